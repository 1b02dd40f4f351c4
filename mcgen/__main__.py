"""``python -m mcgen``."""

from mcgen.cli import main

main()
