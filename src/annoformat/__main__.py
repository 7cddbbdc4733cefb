"""``python -m annoformat``: the command line, for environments without the script on PATH."""

from annoformat.cli import main

main()
