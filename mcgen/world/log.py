"""``mcgen_log.json`` in the save: what mcgen pasted there (read by ``world info``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import mcgen
from mcgen.fsutil import atomic_write_text

LOG_NAME = "mcgen_log.json"


def read_log(world: Path) -> list[dict[str, Any]]:
    """Entries of the log, oldest first (empty when there is none or it is unreadable)."""
    try:
        d = json.loads((Path(world) / LOG_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = d.get("entries") if isinstance(d, dict) else None
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def append_log(world: Path, entry: dict[str, Any]) -> None:
    """Add ``entry`` (with a UTC time stamp) to the log, atomically."""
    entries = read_log(world)
    entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "mcgen_version": mcgen.__version__, **entry}
    entries.append(entry)
    text = json.dumps({"format": "mcgen.world_log", "version": 1, "entries": entries}, indent=1)
    atomic_write_text(Path(world) / LOG_NAME, text + "\n")
