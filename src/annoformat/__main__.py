"""``python -m annoformat``: the command line, for environments without the script on PATH."""

from annoformat._entry import main

if __name__ == "__main__":
    main()
