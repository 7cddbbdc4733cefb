"""``python -m annoformat``: the command line, for environments without the script on PATH."""

from annoformat.cli import main

if __name__ == "__main__":
    main()
