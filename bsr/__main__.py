"""`python -m bsr`: the same as the `bsr` command."""

from bsr.cli import main

main()
