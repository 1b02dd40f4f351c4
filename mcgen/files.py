"""Reading structures from any supported file, and walking folders of them.

Our own formats (voxel JSON, ``voxels.npz``, dataset sample folders) are read here; every other
format (.schem, .schematic, .nbt, .litematic, .mcstructure, .blueprint) is sniffed by content in
:mod:`mcgen.export.readers`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from mcgen.errors import FormatError
from mcgen.grid import VoxelGrid, load_json

OWN_SUFFIXES = (".json", ".npz")
FOREIGN_SUFFIXES = (".schem", ".schematic", ".nbt", ".litematic", ".mcstructure", ".blueprint")
STRUCTURE_SUFFIXES = OWN_SUFFIXES + FOREIGN_SUFFIXES


def is_sample_dir(path: Path) -> bool:
    """A dataset sample folder: ``data.json`` and/or ``voxels.npz``."""
    return path.is_dir() and ((path / "voxels.npz").is_file() or (path / "data.json").is_file())


def load_sample_dir(path: str | os.PathLike) -> VoxelGrid:
    """Read ``sample_XXXX/``: blocks from ``voxels.npz`` when present, meta from ``data.json``."""
    path = Path(path)
    npz, js = path / "voxels.npz", path / "data.json"
    if npz.is_file():
        meta = {}
        if js.is_file():
            try:
                meta = json.loads(js.read_text(encoding="utf-8")).get("meta", {})
            except (OSError, json.JSONDecodeError, AttributeError) as exc:
                raise FormatError(f"cannot read data.json: {exc}", path=js) from exc
        return VoxelGrid.from_npz(npz, meta=meta)
    return load_json(js)


def read_structure(path: str | os.PathLike, *, solid_fill: str = "ground") -> VoxelGrid:
    """Read one structure from a file or a dataset sample folder.

    ``solid_fill`` applies to ``.blueprint`` solid placeholders: ``ground`` (dirt) or ``air``.

    Raises:
        FormatError: unreadable, unsupported, or corrupt.
    """
    path = Path(path)
    if is_sample_dir(path):
        return load_sample_dir(path)
    if not path.is_file():
        raise FormatError("no such file", path=path)
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return VoxelGrid.from_npz(path)
    if suffix == ".json":
        return load_json(path)
    from mcgen.export.readers import read_file  # nbtlib; imported only when needed

    return read_file(path, solid_fill=solid_fill)


def iter_structure_paths(path: str | os.PathLike) -> list[Path]:
    """Expand a file, a sample folder, or a folder (of samples or structure files), sorted.

    Skips our own bookkeeping JSON (``manifest.json``, ``config.json``, ``report.json``).
    """
    path = Path(path)
    if path.is_file() or is_sample_dir(path):
        return [path]
    if not path.is_dir():
        raise FormatError("no such file or folder", path=path)
    out: list[Path] = []
    for p in sorted(path.iterdir()):
        if is_sample_dir(p):
            out.append(p)
        elif p.is_file() and p.suffix.lower() in STRUCTURE_SUFFIXES and not _is_bookkeeping(p):
            out.append(p)
    return out


def _is_bookkeeping(p: Path) -> bool:
    return p.suffix.lower() == ".json" and p.name in {"manifest.json", "config.json", "report.json", "build_log.json"}


def iter_structures(path: str | os.PathLike) -> Iterator[tuple[Path, VoxelGrid]]:
    """Yield ``(path, grid)`` for every structure under ``path`` (see :func:`iter_structure_paths`)."""
    for p in iter_structure_paths(path):
        yield p, read_structure(p)
