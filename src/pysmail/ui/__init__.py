"""What the user sees on the terminal: the one output of every command, and the progress bar."""
