"""What the user sees while a run goes on: the progress bar."""
