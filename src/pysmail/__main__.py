"""`python -m pysmail` runs the smail command."""

from pysmail.cli.smail_main import run

run()
