"""`python -m photogate` is the CLI."""

from photogate.entrypoints.cli import main

main()
