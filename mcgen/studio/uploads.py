"""Uploaded structure files -> grids, within the server's limits.

Any format mcgen reads is accepted: our voxel JSON and ``.npz`` by suffix, every NBT format by
content. The readers' own limits apply (declared sizes over their caps are refused before anything
is allocated); on top of them a server refuses compressed data that inflates past
``inflate_limit`` and structures larger than its ``max_cells``, before building the grid where the
format declares its size up front (JSON, NPZ) and right after reading for the rest.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import PurePath

import numpy as np

from mcgen.errors import FormatError
from mcgen.grid import VoxelGrid
from mcgen.studio.errors import TooLarge

MAX_NAME = 80


def display_name(filename: str | None) -> str:
    """A short, harmless name for an upload (its base name without the suffix)."""
    stem = PurePath((filename or "upload").replace("\\", "/")).stem or "upload"
    clean = "".join(c if c.isalnum() or c in "-_ ." else "_" for c in stem).strip(" .")
    return clean[:MAX_NAME] or "upload"


def _check_cells(size: tuple[int, ...] | list[int], max_cells: int, name: str) -> None:
    cells = int(np.prod([int(s) for s in size])) if size else 0
    if cells > max_cells:
        raise TooLarge(f"{name}: {'x'.join(str(int(s)) for s in size)} = {cells} cells is more than this "
                       f"server's limit of {max_cells}")


def read_upload(data: bytes, filename: str | None, *, max_cells: int, inflate_limit: int) -> VoxelGrid:
    """Decode an uploaded structure file.

    Args:
        data: the file's bytes.
        filename: the name the client gave (only its suffix matters: ``.json``/``.npz`` are ours,
            anything else is sniffed as NBT).
        max_cells: largest volume accepted.
        inflate_limit: most bytes gzip/zlib data may inflate to.

    Raises:
        FormatError: unreadable, corrupt, or unsupported (one line).
        TooLarge: over ``max_cells`` or ``inflate_limit``.
    """
    name = display_name(filename)
    suffix = PurePath(filename or "").suffix.lower()
    if not data:
        raise FormatError(f"{name}: the file is empty")
    if suffix == ".json":
        grid = _read_json(data, name, max_cells)
    elif suffix == ".npz":
        grid = _read_npz(data, name, max_cells)
    else:
        grid = _read_nbt(data, name, inflate_limit)
    _check_cells(grid.size, max_cells, name)
    grid.meta.setdefault("source", f"{name}{suffix}")
    return grid


def _read_json(data: bytes, name: str, max_cells: int) -> VoxelGrid:
    from mcgen.export.common import check_size  # noqa: PLC0415

    try:
        d = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{name}: not voxel JSON ({exc})") from exc
    if isinstance(d, dict) and "size" in d:
        _check_cells(check_size(d["size"], what="voxel JSON", source=name), max_cells, name)
    return VoxelGrid.from_json_dict(d, source=name)


def _read_npz(data: bytes, name: str, max_cells: int) -> VoxelGrid:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf, zf.open("blocks.npy") as fh:
            version = np.lib.format.read_magic(fh)  # the header only: the data stays unread
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape = read(fh)[0]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FormatError(f"{name}: not a voxels.npz file ({exc})") from exc
    _check_cells(shape, max_cells, name)
    return VoxelGrid.from_npz(io.BytesIO(data))


def _read_nbt(data: bytes, name: str, inflate_limit: int) -> VoxelGrid:
    from mcgen.export import nbtio  # noqa: PLC0415
    from mcgen.export.readers import read_bytes  # noqa: PLC0415

    try:
        raw, _ = nbtio.decompress(data, source=name, limit=inflate_limit)
    except FormatError as exc:
        if "refusing" in str(exc):
            raise TooLarge(f"{name}: decompresses to more than {inflate_limit // (1024 * 1024)} MiB") from exc
        raise
    return read_bytes(raw, source=name)
