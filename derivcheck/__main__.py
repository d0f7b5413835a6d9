"""``python -m derivcheck``."""

from derivcheck.cli import main

if __name__ == "__main__":
    main()
