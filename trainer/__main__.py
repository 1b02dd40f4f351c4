"""``python -m trainer ARGS`` / ``torchrun --nproc_per_node=K -m trainer ARGS``: same flags as ``mcgen train``."""

from __future__ import annotations

import sys

from mcgen.cli import run

if __name__ == "__main__":
    sys.exit(run(["train", *sys.argv[1:]]))
