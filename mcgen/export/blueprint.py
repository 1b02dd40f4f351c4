"""Structurize ``.blueprint`` (MineColonies, Structurize build tool): reader and writer.

The file is gzip-compressed big-endian NBT, root ``""``::

    size_x, size_y, size_z   Short
    palette                  List of Compound {Name, Properties}  (like structure .nbt)
    blocks                   IntArray: two 16-bit palette indices per Int, the high half first,
                             in y, then z, then x order (x fastest); the last half may be padding
    tile_entities, entities  List of Compound (block entities carry x, y, z relative to the corner)
    mcversion                Int (the DataVersion)
    name String, version Byte (1), required_mods List of String,
    optional_data.structurize.primary_offset {x, y, z}   (the anchor the mod places by)

Reading maps everything to vanilla block states (see :mod:`mcgen.export.modblocks`):
placeholders, Domum Ornamentum blocks (with the material of their block entity) and other
mod blocks; ``meta["remapped"]`` counts voxels per ``"from -> to"`` block pair.
Writing puts the primary offset at the middle of the bottom layer.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from mcgen.blocks import base_name
from mcgen.errors import ExportError, FormatError
from mcgen.export import nbtio
from mcgen.export.common import check_size, compact_for_write, compound_to_state, grid_from_indices, \
    state_to_compound
from mcgen.export.modblocks import DO, SOLID_FILLS, pick_material, vanilla_state
from mcgen.export.nbtio import BYTE, COMPOUND, INT, INT_ARRAY, LIST, SHORT, STRING, TagDict
from mcgen.grid import VoxelGrid

WHAT = ".blueprint"
MAX_PALETTE = 65535  # indices are 16-bit halves


def is_blueprint(root: TagDict) -> bool:
    """True when the root looks like a Structurize blueprint (``size_x`` and an IntArray ``blocks``)."""
    return "size_x" in root and "palette" in root and root.types.get("blocks") == INT_ARRAY


def _size(root: TagDict, source: object) -> tuple[int, int, int]:
    """``(X, Y, Z)`` from ``size_x/y/z`` (Shorts read unsigned), checked before anything is allocated."""
    dims = [nbtio.get(root, k, (SHORT, INT, BYTE), what=WHAT, source=source) for k in ("size_x", "size_y", "size_z")]
    return check_size([d & 0xFFFF if root.types[k] == SHORT else d for d, k in zip(dims, ("size_x", "size_y", "size_z"))],
                      what=WHAT, source=source)


def unpack_blocks(ints: np.ndarray, size: tuple[int, int, int], *, source: object = None) -> np.ndarray:
    """The ``(X, Y, Z)`` palette indices stored in a blueprint's ``blocks`` IntArray.

    Raises:
        FormatError: the array length does not match the size.
    """
    sx, sy, sz = size
    n = sx * sy * sz
    if ints.size != (n + 1) // 2:
        raise FormatError(f"{WHAT}: 'blocks' holds {ints.size} Ints but size {sx}x{sy}x{sz} needs {(n + 1) // 2}",
                          path=source)
    halves = ints.astype(">i4").view(">u2")[:n]  # high half first, as stored
    return halves.astype(np.int64).reshape(sy, sz, sx).transpose(2, 0, 1)  # (Y, Z, X) -> (X, Y, Z)


def _pos(te: Any) -> tuple[int, int, int] | None:
    """A block entity's ``(x, y, z)`` inside the blueprint, or None when it has no readable position."""
    try:
        p = tuple(int(te[k]) for k in "xyz")
    except (KeyError, TypeError, ValueError):
        return None
    return p  # type: ignore[return-value]


def read_blueprint(nbt: nbtio.NbtFile, *, source: object = None, solid_fill: str = "ground") -> VoxelGrid:
    """Decode a blueprint into a grid of vanilla block states (block entities and entities dropped).

    Args:
        solid_fill: ``ground`` turns ``blocksolidsubstitution`` into dirt, ``air`` drops it.

    Raises:
        FormatError: wrong tag types, a size that does not match ``blocks``, a bad palette index.
    """
    if solid_fill not in SOLID_FILLS:
        raise FormatError(f"solid placeholder fill must be one of {', '.join(SOLID_FILLS)}, got {solid_fill!r}")
    root = nbt.root
    size = _size(root, source)
    plist = nbtio.get(root, "palette", (LIST,), what=WHAT, source=source)
    if plist and plist.elem != COMPOUND:
        raise FormatError(f"{WHAT}: palette entries must be compounds", path=source)
    raw = [compound_to_state(d, what=f"{WHAT} palette[{i}]", source=source) for i, d in enumerate(plist)]
    idx = unpack_blocks(nbtio.get(root, "blocks", (INT_ARRAY,), what=WHAT, source=source), size, source=source)
    counts = np.bincount(idx.ravel(), minlength=len(raw)) if idx.size else np.zeros(len(raw), dtype=np.int64)
    if counts.size > len(raw):
        bad = int(np.flatnonzero(counts)[-1])
        raise FormatError(f"{WHAT}: block refers to palette index {bad} but the palette has {len(raw)} entries",
                          path=source)
    palette = [vanilla_state(s, None, solid_fill) for s in raw]
    remapped: Counter = Counter()
    for s, t, n in zip(raw, palette, counts.tolist()):
        if n and s != t:
            remapped[f"{base_name(s)} -> {base_name(t)}"] += n
    tiles = nbtio.get(root, "tile_entities", (LIST,), what=WHAT, source=source, default=[])
    extra = _apply_materials(idx, raw, palette, tiles, solid_fill, remapped)
    entities = root.get("entities")
    meta: dict[str, Any] = {
        "source_format": "blueprint", "name": root.get("name") if isinstance(root.get("name"), str) else None,
        "data_version": root.get("mcversion") if isinstance(root.get("mcversion"), int) else None,
        "block_entities": len(tiles), "entities": len(entities) if isinstance(entities, list) else 0,
        "remapped": dict(sorted((k, v) for k, v in remapped.items() if v > 0)),
    }
    offset = _primary_offset(root)
    if offset is not None:
        meta["primary_offset"] = offset
    return grid_from_indices(idx, palette + extra, meta, what=WHAT, source=source)


def _apply_materials(idx: np.ndarray, raw: list[str], palette: list[str], tiles: list, solid_fill: str,
                     remapped: Counter) -> list[str]:
    """Give each Domum Ornamentum voxel the material its block entity names (``textureData``).

    Voxels whose state changes get new palette indices after ``palette`` (``idx`` is updated in
    place, ``remapped`` moves their counts); returns those extra states in index order.
    """
    extra: dict[str, int] = {}
    for te in tiles:
        if not isinstance(te, dict):
            continue
        pos, material = _pos(te), pick_material(te.get("textureData"))
        if material is None or pos is None or not all(0 <= p < s for p, s in zip(pos, idx.shape)):
            continue
        i = int(idx[pos])
        if i >= len(raw) or not raw[i].startswith(DO):
            continue
        state = vanilla_state(raw[i], material, solid_fill)
        if state != palette[i]:
            idx[pos] = extra.setdefault(state, len(raw) + len(extra))
            remapped[f"{base_name(raw[i])} -> {base_name(palette[i])}"] -= 1
            remapped[f"{base_name(raw[i])} -> {base_name(state)}"] += 1
    return list(extra)


def _primary_offset(root: TagDict) -> list[int] | None:
    """``optional_data.structurize.primary_offset`` as ``[x, y, z]``, or None when absent."""
    try:
        off = root["optional_data"]["structurize"]["primary_offset"]
        return [int(off[k]) for k in "xyz"]
    except (KeyError, TypeError, ValueError):
        return None


def encode_blueprint(grid: VoxelGrid, *, data_version: int, name: str = "mcgen") -> bytes:
    """Gzipped ``.blueprint`` bytes for ``grid`` (vanilla states, no block entities).

    Raises:
        ExportError: more than 65535 states or an axis over 32767 (the format's limits).
    """
    blocks, palette = compact_for_write(grid)
    if len(palette) > MAX_PALETTE:
        raise ExportError(f".blueprint holds at most {MAX_PALETTE} block states, this build has {len(palette)}")
    sx, sy, sz = blocks.shape
    if max(sx, sy, sz) > 32767:
        raise ExportError(f".blueprint sizes are Shorts; {sx}x{sy}x{sz} is too large")
    flat = np.ascontiguousarray(blocks.transpose(1, 2, 0)).ravel()  # (Y, Z, X): x fastest
    halves = np.zeros(flat.size + flat.size % 2, dtype=">u2")  # big-endian, padded to whole Ints
    halves[:flat.size] = flat
    ints = halves.view(">i4").astype(np.int32)  # each Int: the first half high
    offset = {"x": (INT, sx // 2), "y": (INT, 0), "z": (INT, sz // 2)}
    root = {
        "size_x": (SHORT, sx), "size_y": (SHORT, sy), "size_z": (SHORT, sz),
        "palette": (LIST, (COMPOUND, [state_to_compound(s) for s in palette])),
        "blocks": (INT_ARRAY, ints),
        "tile_entities": (LIST, (COMPOUND, [])), "entities": (LIST, (COMPOUND, [])),
        "name": (STRING, name or "mcgen"), "version": (BYTE, 1), "mcversion": (INT, data_version),
        "required_mods": (LIST, (STRING, [])),
        "optional_data": (COMPOUND, {"structurize": (COMPOUND, {"primary_offset": (COMPOUND, offset)})}),
    }
    return nbtio.gzip_bytes(nbtio.encode(root, root_name=""))
