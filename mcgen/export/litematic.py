"""Litematica ``.litematic``: writer (Version 6, one region) and reader (Versions 1-7, any regions).

Packing: ``bits = max(2, ceil(log2(palette size)))``; entry i (i = (y*L + z)*W + x) occupies
bits [i*bits, (i+1)*bits) of one little-endian bit stream over the ``BlockStates`` longs,
so entries may straddle two longs. Both directions use numpy bit operations.

Reader: a region's ``Size`` may be negative per axis (the region extends from ``Position``
towards negative coordinates); several regions are merged into their enclosing box, later
regions winning where they overlap with non-air blocks.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mcgen.errors import FormatError
from mcgen.export import nbtio
from mcgen.export.common import check_size, compact_for_write, compound_to_state, grid_from_indices, state_to_compound
from mcgen.export.nbtio import COMPOUND, INT, LIST, LONG, LONG_ARRAY, STRING, TagDict
from mcgen.grid import VoxelGrid

WRITE_VERSION = 6
MAX_READ_VERSION = 7


def bits_for(palette_size: int) -> int:
    """Bits per entry Litematica derives from the palette length."""
    return max(2, (max(palette_size, 1) - 1).bit_length())


def pack(values: np.ndarray, bits: int) -> np.ndarray:
    """Pack non-negative ints into int64 longs, LSB-first, entries spanning longs."""
    v = np.ascontiguousarray(values, dtype=np.uint64).ravel()
    stream = ((v[:, None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8).ravel()
    nlongs = -(-stream.size // 64)
    stream = np.concatenate([stream, np.zeros(nlongs * 64 - stream.size, dtype=np.uint8)])
    return np.packbits(stream, bitorder="little").view("<i8").astype(np.int64)


def unpack(longs: np.ndarray, bits: int, count: int, *, what: str, source: object = None) -> np.ndarray:
    """Inverse of :func:`pack`: ``count`` entries of ``bits`` bits.

    Raises:
        FormatError: too few longs for ``count`` entries.
    """
    need = -(-count * bits // 64)
    if longs.size < need:
        raise FormatError(f"{what}: BlockStates has {longs.size} longs, {need} needed for {count} blocks",
                          path=source)
    stream = np.unpackbits(longs[:need].astype("<i8").view(np.uint8), bitorder="little")[: count * bits]
    weights = (np.int64(1) << np.arange(bits, dtype=np.int64))
    return stream.reshape(count, bits).astype(np.int64) @ weights


def _xyz(x: int, y: int, z: int) -> tuple[str, tuple]:
    return COMPOUND, {"x": (INT, x), "y": (INT, y), "z": (INT, z)}


def encode_litematic(grid: VoxelGrid, *, data_version: int, name: str = "mcgen", author: str = "mcgen",
                     description: str = "", time_ms: int | None = None) -> bytes:
    """Gzipped ``.litematic`` (Version 6, SubVersion 1, one region named after ``name``)."""
    blocks, palette = compact_for_write(grid)
    w, h, length = blocks.shape
    longs = pack(blocks.transpose(1, 2, 0), bits_for(len(palette)))  # (Y, Z, X): x fastest
    now = int(time.time() * 1000) if time_ms is None else time_ms
    meta = {
        "Name": (STRING, name), "Author": (STRING, author), "Description": (STRING, description),
        "RegionCount": (INT, 1), "TotalVolume": (INT, w * h * length), "TotalBlocks": (INT, int(np.count_nonzero(blocks))),
        "TimeCreated": (LONG, now), "TimeModified": (LONG, now), "EnclosingSize": _xyz(w, h, length),
    }
    region = {
        "Position": _xyz(0, 0, 0), "Size": _xyz(w, h, length),
        "BlockStatePalette": (LIST, (COMPOUND, [state_to_compound(s) for s in palette])),
        "BlockStates": (LONG_ARRAY, longs),
        "TileEntities": (LIST, (COMPOUND, [])), "Entities": (LIST, (COMPOUND, [])),
        "PendingBlockTicks": (LIST, (COMPOUND, [])), "PendingFluidTicks": (LIST, (COMPOUND, [])),
    }
    root = {"Version": (INT, WRITE_VERSION), "SubVersion": (INT, 1), "MinecraftDataVersion": (INT, data_version),
            "Metadata": (COMPOUND, meta), "Regions": (COMPOUND, {name or "mcgen": (COMPOUND, region)})}
    return nbtio.gzip_bytes(nbtio.encode(root, root_name=""))


def is_litematic(root: TagDict) -> bool:
    """True when the root looks like a Litematica schematic."""
    return "Regions" in root and "Version" in root


def _vec(d: Any, key: str, what: str, source: object) -> tuple[int, int, int]:
    c = nbtio.get(d, key, (COMPOUND,), what=what, source=source)
    return tuple(nbtio.get(c, k, (INT,), what=f"{what}.{key}", source=source) for k in "xyz")  # type: ignore[return-value]


def _region_box(reg: TagDict, what: str, source: object) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Min corner (relative to the schematic origin) and absolute size of one region."""
    pos = np.array(_vec(reg, "Position", what, source), dtype=np.int64)
    size = np.array(_vec(reg, "Size", what, source), dtype=np.int64)
    far = pos + size - np.sign(size)  # the opposite corner, inclusive
    dims = check_size(np.abs(size).tolist(), what=what, source=source)
    return np.minimum(pos, far), dims


def _region_blocks(reg: TagDict, dims: tuple[int, int, int], what: str, source: object) -> tuple[np.ndarray, list[str]]:
    pal = nbtio.get(reg, "BlockStatePalette", (LIST,), what=what, source=source)
    states = [compound_to_state(d, what=f"{what} palette[{i}]", source=source) for i, d in enumerate(pal)]
    if not states:
        raise FormatError(f"{what}: empty BlockStatePalette", path=source)
    longs = nbtio.get(reg, "BlockStates", (LONG_ARRAY,), what=what, source=source)
    w, h, length = dims
    vals = unpack(longs, bits_for(len(states)), w * h * length, what=what, source=source)
    if vals.size and int(vals.max()) >= len(states):
        raise FormatError(f"{what}: block refers to palette index {int(vals.max())} but the palette has "
                          f"{len(states)} entries", path=source)
    return vals.reshape(h, length, w).transpose(2, 0, 1), states  # (Y, Z, X) -> (X, Y, Z)


def read_litematic(nbt: nbtio.NbtFile, *, source: object = None) -> VoxelGrid:
    """Decode a ``.litematic`` (all regions merged) into a grid; tile entities and entities dropped.

    Raises:
        FormatError: a newer Version, wrong tag types, too few packed longs, bad palette index.
    """
    root, what = nbt.root, "litematic"
    version = nbtio.get(root, "Version", (INT,), what=what, source=source)
    if not 1 <= version <= MAX_READ_VERSION:
        raise FormatError(f"unsupported Litematica Version {version} (this mcgen reads 1..{MAX_READ_VERSION})",
                          path=source)
    regions = nbtio.get(root, "Regions", (COMPOUND,), what=what, source=source)
    boxes = {}
    for rname, reg in regions.items():
        boxes[rname] = _region_box(reg, f"{what} region {rname!r}", source)
    if not boxes:
        raise FormatError(f"{what}: no regions", path=source)
    lo = np.min([b[0] for b in boxes.values()], axis=0)
    hi = np.max([b[0] + np.array(b[1]) for b in boxes.values()], axis=0)
    total = check_size((hi - lo).tolist(), what=what, source=source)
    palette: list[str] = ["minecraft:air"]
    idx = np.zeros(total, dtype=np.int64)
    for rname, (rmin, dims) in boxes.items():
        if 0 in dims:
            continue
        vals, states = _region_blocks(regions[rname], dims, f"{what} region {rname!r}", source)
        o = rmin - lo
        view = idx[o[0]:o[0] + dims[0], o[1]:o[1] + dims[1], o[2]:o[2] + dims[2]]
        shifted = vals + len(palette)
        solid = np.array([s != "minecraft:air" for s in states])[vals]
        view[solid] = shifted[solid]
        palette += states
    dv = root.get("MinecraftDataVersion") if isinstance(root.get("MinecraftDataVersion"), int) else None
    meta = {"source_format": f"litematic_v{version}", "data_version": dv, "regions": len(boxes)}
    return grid_from_indices(idx, palette, meta, what=what, source=source)
