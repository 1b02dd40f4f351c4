"""``mcgen view``: one self-contained HTML file that shows structures in 3-D (plain WebGL).

Works for a structure file of any readable format, a folder of samples, a dataset, or a training
output folder (step slider through ``inference_samples/`` next to the loss curve).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mcgen.fsutil import atomic_write_text
from mcgen.view.gather import detect_kind, gather
from mcgen.view.page import render_page

__all__ = ["ViewSummary", "detect_kind", "gather", "render_page", "write_view"]


@dataclass(frozen=True)
class ViewSummary:
    """What :func:`write_view` wrote.

    Attributes:
        out: the HTML file.
        kind: ``structure``, ``samples``, ``dataset`` or ``training``.
        structures: how many structures the page embeds.
        steps: sample steps (training runs; 0 otherwise).
        bytes: size of the file.
        notes: remarks for the user (e.g. what was left out).
    """

    out: Path
    kind: str
    structures: int
    steps: int
    bytes: int
    notes: tuple[str, ...]


def write_view(path: str | os.PathLike, out: str | os.PathLike, *, limit: int = 400) -> ViewSummary:
    """Write the viewer page for ``path`` to ``out`` (atomically).

    Raises:
        FormatError: nothing readable to show at ``path``.
        FileIOError: ``out`` cannot be written.
    """
    data = gather(path, limit=limit)
    text = render_page(data)
    out = Path(out)
    atomic_write_text(out, text)
    steps = len(data["training"]["steps"]) if "training" in data else 0
    return ViewSummary(out, data["kind"], len(data["structures"]), steps, len(text.encode("utf-8")), tuple(data["notes"]))
