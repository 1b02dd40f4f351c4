"""Write a :class:`~mcgen.grid.VoxelGrid` in any export format, checked before anything is written."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mcgen.errors import ExportError
from mcgen.export import FORMATS, blueprint, litematic, mcstructure, sponge, structure, versions
from mcgen.export.common import compact_for_write
from mcgen.fsutil import atomic_write_bytes
from mcgen.grid import VoxelGrid

_SUFFIX_FORMAT = {".schem": "schem", ".nbt": "nbt", ".litematic": "litematic", ".mcstructure": "mcstructure",
                  ".blueprint": "blueprint"}


def format_for_path(path: str | os.PathLike) -> str:
    """Export format chosen by a file's suffix (``.schem`` -> Sponge v2).

    Raises:
        ExportError: a suffix we cannot write.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".schematic":
        raise ExportError("writing legacy .schematic files is not supported; use .schem (Sponge v2)", path=path)
    if suffix not in _SUFFIX_FORMAT:
        raise ExportError(f"cannot tell the output format from suffix {suffix or '(none)'!r} "
                          f"(use .schem, .nbt, .litematic, .mcstructure or .blueprint)", path=path)
    return _SUFFIX_FORMAT[suffix]


def encode(grid: VoxelGrid, fmt: str, *, mc_version: str | None = None, include_air: bool = True,
           anchor: str = "front", name: str = "", author: str = "mcgen", **opts: Any) -> bytes:
    """The file bytes of ``grid`` in ``fmt`` (see :data:`mcgen.export.FORMATS`).

    ``mc_version`` picks the DataVersion of the Java formats; every used block state is
    written in that version's spelling (``minecraft:grass`` is ``short_grass`` from 1.20.3 on) and
    checked against it first. ``include_air=False`` leaves air out (structure void) in
    ``nbt`` and ``mcstructure``. ``anchor`` sets the Sponge paste offset (see
    :mod:`mcgen.export.sponge`).

    Raises:
        ExportError: unknown format or version, a state missing in that version, a state
            without a Bedrock mapping, or a structure too large for the format.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if opts:
        raise ExportError(f"unknown option(s) for {fmt}: {', '.join(sorted(opts))}")
    dv = versions.data_version(mc_version)
    if fmt == "mcstructure":
        return mcstructure.encode_mcstructure(grid, include_air=include_air)
    grid = versions.spelled_for_version(grid, dv)
    versions.check_states(compact_for_write(grid)[1], dv)
    if fmt in ("schem", "schem3"):
        return sponge.encode_schem(grid, data_version=dv, version=3 if fmt == "schem3" else 2, anchor=anchor,
                                   name=name, author=author)
    if fmt == "nbt":
        return structure.encode_structure(grid, data_version=dv, include_air=include_air)
    if fmt == "blueprint":
        return blueprint.encode_blueprint(grid, data_version=dv, name=name or "mcgen")
    return litematic.encode_litematic(grid, data_version=dv, name=name or "mcgen", author=author)


def write_file(grid: VoxelGrid, path: str | os.PathLike, fmt: str | None = None, *,
               mc_version: str | None = None, **opts: Any) -> Path:
    """Encode ``grid`` as ``fmt`` (default: from the suffix) and write ``path`` atomically.

    Nothing is written when a check fails. Returns the path written.

    Raises:
        ExportError: see :func:`encode`.
        FileIOError: the file cannot be written.
    """
    path = Path(path)
    fmt = fmt or format_for_path(path)
    data = encode(grid, fmt, mc_version=mc_version, **opts)
    atomic_write_bytes(path, data)
    return path
