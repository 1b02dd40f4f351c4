"""The per-build steps of an import: find the inputs, read one build, clean and trim it, name it.

Peek at the header (refuse one over the size limit before loading it), read it, turn structure
voids and other technical blocks into air, trim and strip a terrain base, keeping per-state
counts for the report. A file that cannot be read raises its reader's one-line reason. The
engine (:mod:`mcgen.importing.engine`) runs these steps in worker processes; the entry functions
are in :mod:`mcgen.importing.run`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcgen.blocks import base_name
from mcgen.errors import UsageError
from mcgen.files import STRUCTURE_SUFFIXES, is_sample_dir, read_structure
from mcgen.grid import VoxelGrid
from mcgen.importing.fit import strip_ground, trim
from mcgen.importing.labels import label_from_name
from mcgen.importing.mapping import AIR_LIKE, NATURAL_GROUND
from mcgen.importing.options import TooLarge, WorldBox
from mcgen.importing.peek import peek
from mcgen.importing.series import folder_label

# Our bookkeeping, and Structurize's style-pack descriptor (pack.json beside .blueprint files).
_BOOKKEEPING = {"manifest.json", "config.json", "report.json", "build_log.json", "metrics.jsonl", "pack.json"}


@dataclass
class PreparedBuild:
    """One build read, cleaned and trimmed, still in its own palette.

    Attributes:
        blocks: trimmed ``(X, Y, Z)`` source palette indices; ``None`` when not kept in memory.
        counts: blocks per palette entry (after the clean-up).
        raw_size: the size as stored in the file.
        ground_layers: terrain layers removed from the bottom.
        source_remaps: the reader's own remappings (``.blueprint`` mod blocks), ``"from -> to" -> blocks``.
        trimmed: the size after cleaning and trimming.
    """

    source: str
    label: str
    blocks: np.ndarray | None  # trimmed source palette indices; None when not cached
    palette: list[str]
    counts: np.ndarray  # blocks per palette entry
    raw_size: tuple[int, int, int]
    ground_layers: int = 0
    source_remaps: dict[str, int] | None = None
    trimmed: tuple[int, int, int] = (0, 0, 0)


def expand_sources(sources: Sequence[str | os.PathLike], exclude: Path | None = None) -> list[Path]:
    """Files and sample folders under ``sources`` (folders searched recursively), sorted per source.

    Raises:
        UsageError: a source does not exist.
    """
    out: list[Path] = []
    skip = exclude.resolve() if exclude is not None else None
    for src in sources:
        p = Path(src)
        if not p.exists():
            raise UsageError("no such file or folder", path=p)
        if p.is_file() or is_sample_dir(p):
            out.append(p)
            continue
        found: list[Path] = []
        for root, dirs, files in os.walk(p):
            r = Path(root)
            if skip is not None and r.resolve() == skip:
                dirs[:] = []
                continue
            if is_sample_dir(r) and r != p:
                found.append(r)
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [r / f for f in files if Path(f).suffix.lower() in STRUCTURE_SUFFIXES
                      and f not in _BOOKKEEPING and not f.startswith(".")]
        out += sorted(found)
    return out


def load_source(src: Path | WorldBox, max_size: int,
                solid_fill: str = "ground") -> tuple[VoxelGrid, int | None, int | None]:
    """Read one build, refusing it before loading when its header says it is too large.

    Args:
        solid_fill: what ``.blueprint`` "fill with ground" placeholders become (``ground`` or ``air``).

    Returns:
        ``(grid, block_entities, entities)``; a count is ``None`` when the format does not say.

    Raises:
        TooLarge: over ``max_size`` on some axis.
        FormatError: unreadable (the reader's one-line reason).
    """
    if isinstance(src, WorldBox):
        from mcgen.importing.world import read_world_box  # noqa: PLC0415 - amulet only here

        grid = read_world_box(src.world, src.box, max_size=max_size)
        return grid, grid.meta.get("block_entities"), None
    info = peek(src, max_size=max_size)
    if info is not None and max(info.size) > max_size:
        raise TooLarge(f"{'x'.join(map(str, info.size))} is larger than --max-size {max_size}; not loaded",
                       path=src)
    grid = read_structure(src) if solid_fill == "ground" else read_structure(src, solid_fill=solid_fill)
    if max(grid.size, default=0) > max_size:
        raise TooLarge(f"{'x'.join(map(str, grid.size))} is larger than --max-size {max_size}", path=src)
    be = info.block_entities if info is not None and info.block_entities is not None else grid.meta.get("block_entities")
    ent = info.entities if info is not None and info.entities is not None else grid.meta.get("entities")
    return grid, be, ent


def prepare_build(grid: VoxelGrid, source: str, label: str, keep: bool, keep_ground: bool) -> PreparedBuild:
    """Technical blocks -> air, trim, strip a terrain base; keeps per-state counts for the report.

    Args:
        keep: keep the trimmed blocks (else only the counts, for a first pass over many builds).
    """
    air_like = np.array([s in AIR_LIKE for s in grid.palette], dtype=bool)
    blocks = grid.blocks
    if air_like[1:].any():
        lut = np.arange(len(grid.palette), dtype=np.int64)
        lut[air_like] = 0
        blocks = lut[blocks].astype(grid.blocks.dtype)
    core = trim(blocks)
    cut = 0
    if not keep_ground and core.size:
        ground = np.array([base_name(s) in NATURAL_GROUND for s in grid.palette], dtype=bool)
        core, cut = strip_ground(core, ground)
        core = trim(core)
    counts = np.bincount(core.ravel(), minlength=len(grid.palette)) if core.size else np.zeros(len(grid.palette), int)
    counts[0] = 0
    remapped = grid.meta.get("remapped")
    return PreparedBuild(source, label, core if keep else None, list(grid.palette), counts, grid.size, cut,
                         dict(remapped) if isinstance(remapped, dict) else None,
                         tuple(int(v) for v in core.shape))  # type: ignore[arg-type]


def source_name(src: Path | WorldBox) -> str:
    """The name a build is reported under: the resolved path, or the world box."""
    return str(src) if isinstance(src, WorldBox) else str(src.resolve())


def build_label(src: Path | WorldBox, grid: VoxelGrid, label_from: str = "name", roots: Sequence[Path] = ()) -> str:
    """The label of a build.

    ``name``: our own files keep the label they carry, others get one from the file name.
    ``style``/``category``/``folder``: from the folders under the import root (see
    :func:`mcgen.importing.series.folder_label`), falling back to ``name`` when there is none.
    """
    if isinstance(src, WorldBox):
        return "build"
    if label_from != "name":
        label = folder_label(src, roots, label_from)
        if label:
            return label
    own = src.is_dir() or src.suffix.lower() in (".json", ".npz")
    return str(grid.meta["label"]) if own and grid.meta.get("label") else label_from_name(src.name)
