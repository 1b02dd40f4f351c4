"""Labels from folders, upgrade series, and a train / held-out split that keeps each series whole.

A corpus like MineColonies' stores ``STYLE/CATEGORY/.../NAME<level>.blueprint``: the first folder
under the import root is the style, the second the category, and ``library1`` ... ``library5``
in one folder are the five levels of one building (a *series*). Levels of one building share
most of their blocks, so a split that put level 2 in training and level 3 in the held-out set
would measure memory, not generalisation: the split is drawn over series, never over files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

from mcgen.errors import ConfigError

LABEL_SOURCES = ("name", "style", "category", "folder")
SPLITS = ("none", "series")
_LEVEL = re.compile(r"^(.*?\D)\d+$")


def relative_parts(path: Path, roots: Sequence[Path]) -> tuple[str, ...] | None:
    """``path``'s parts below the first of ``roots`` that contains it (None when none does)."""
    for root in roots:
        try:
            return path.resolve().relative_to(root.resolve()).parts
        except ValueError:
            continue
    return None


def folder_label(path: Path, roots: Sequence[Path], label_from: str) -> str | None:
    """The label taken from the folders of ``path`` (None when it has no such folder).

    Args:
        label_from: ``style`` (first folder under the root), ``category`` (second folder) or
            ``folder`` (the folder holding the file).

    Raises:
        ConfigError: an unknown ``label_from``.
    """
    if label_from not in LABEL_SOURCES[1:]:
        raise ConfigError(f"--label-from must be one of {', '.join(LABEL_SOURCES)}, got {label_from!r}")
    if label_from == "folder":
        return path.parent.name or None
    parts = relative_parts(path, roots)
    if parts is None:
        return None
    depth = 0 if label_from == "style" else 1
    return parts[depth].lower() if len(parts) > depth + 1 else None


def series_key(path: str | Path) -> str:
    """``.../education/library3.blueprint`` -> ``.../education/library``: folder + name without its level digits."""
    p = Path(path)
    stem = p.stem if p.suffix else p.name
    m = _LEVEL.match(stem)
    return str(p.parent / (m.group(1) if m else stem))


def held_out_series(series_labels: dict[str, str], fraction: float, seed: int = 0) -> set[str]:
    """The series to hold out: ``round(fraction * n)`` of each label's ``n`` series (at least one
    when a label has two or more and ``fraction > 0``), chosen by a seeded hash so the choice does
    not depend on the order or number of files.

    Args:
        series_labels: series key -> its label.
        fraction: share of series held out, ``0 <= fraction < 1``.

    Raises:
        ConfigError: ``fraction`` out of range.
    """
    if not 0.0 <= fraction < 1.0:
        raise ConfigError(f"--held-out must be in [0, 1), got {fraction}")
    by_label: dict[str, list[str]] = {}
    for key, label in series_labels.items():
        by_label.setdefault(label, []).append(key)
    out: set[str] = set()
    for keys in by_label.values():
        n = round(fraction * len(keys))
        if fraction > 0 and n == 0 and len(keys) >= 2:
            n = 1
        ranked = sorted(keys, key=lambda k: hashlib.sha1(f"{seed}:{k}".encode()).hexdigest())
        out.update(ranked[:n])
    return out
