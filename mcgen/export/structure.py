"""Vanilla structure file ``.nbt`` (structure block, ``/place template``): writer and reader.

Air is written as air by default, so placing the structure clears its inside; with
``include_air=False`` air cells are left out of ``blocks`` and the world keeps whatever is
there (that is how the game stores structure void). ``minecraft:structure_void`` cells are
never stored, for the same reason. The ``blocks`` list is built as one numpy record array of
fixed-layout compounds, so a large structure costs no per-block Python objects.

Reader: ``palette`` or ``palettes`` (several alternative palettes, e.g. shipwrecks: the
first one is used and the count is kept in ``meta``); positions absent from ``blocks`` read
as air.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcgen.errors import FormatError
from mcgen.export import nbtio
from mcgen.export.common import check_size, compact_for_write, compound_to_state, grid_from_indices, int_list, \
    state_to_compound
from mcgen.export.nbtio import COMPOUND, INT, LIST, TagDict, TagList
from mcgen.grid import VoxelGrid

STRUCTURE_VOID = "minecraft:structure_void"


def _block_records(states: np.ndarray, pos: np.ndarray) -> bytes:
    """Big-endian payload of ``{state: Int, pos: [Int, Int, Int]}`` compounds, one per row."""
    rec = np.dtype([("h1", "u1", 8), ("state", ">i4"), ("h2", "u1", 11), ("pos", ">i4", 3), ("end", "u1")])
    out = np.zeros(len(states), dtype=rec)
    out["h1"] = np.frombuffer(b"\x03\x00\x05state", dtype=np.uint8)
    out["h2"] = np.frombuffer(b"\x09\x00\x03pos\x03\x00\x00\x00\x03", dtype=np.uint8)
    out["state"] = states
    out["pos"] = pos
    return out.tobytes()


def encode_structure(grid: VoxelGrid, *, data_version: int, include_air: bool = True) -> bytes:
    """Gzipped structure ``.nbt`` bytes for ``grid``.

    Blocks are listed layer by layer from the bottom (y, then z, then x), so supports come
    before what stands on them.
    """
    blocks, palette = compact_for_write(grid)
    order = blocks.transpose(1, 2, 0)  # (Y, Z, X)
    ys, zs, xs = np.nonzero(np.ones(order.shape, dtype=bool))
    states = order.ravel()
    keep = np.ones(states.size, dtype=bool)
    if not include_air:
        keep &= states != 0
    if STRUCTURE_VOID in palette:
        keep &= states != palette.index(STRUCTURE_VOID)
    pos = np.stack([xs, ys, zs], axis=1)[keep]
    payload = _block_records(states[keep].astype(np.int32), pos.astype(np.int32))
    root = {
        "DataVersion": (INT, data_version),
        "size": (LIST, (INT, list(blocks.shape))),
        "palette": (LIST, (COMPOUND, [state_to_compound(s) for s in palette])),
        "blocks": (LIST, (COMPOUND, nbtio.RawList(int(keep.sum()), payload))),
        "entities": (LIST, (COMPOUND, [])),
    }
    return nbtio.gzip_bytes(nbtio.encode(root, root_name=""))


def is_structure(root: TagDict) -> bool:
    """True when the root looks like a structure file (``size`` and ``blocks``)."""
    return "size" in root and "blocks" in root and ("palette" in root or "palettes" in root)


def _palette(root: TagDict, source: object) -> tuple[list[str], int]:
    what = "structure .nbt"
    if "palette" in root:
        pal = nbtio.get(root, "palette", (LIST,), what=what, source=source)
        count = 1
    else:
        pals = nbtio.get(root, "palettes", (LIST,), what=what, source=source)
        if not pals:
            raise FormatError(f"{what}: 'palettes' is empty", path=source)
        if not all(isinstance(p, TagList) for p in pals):
            raise FormatError(f"{what}: 'palettes' must be a list of lists", path=source)
        pal, count = pals[0], len(pals)
    if pal and pal.elem != COMPOUND:
        raise FormatError(f"{what}: palette entries must be compounds", path=source)
    return [compound_to_state(d, what=f"{what} palette[{i}]", source=source) for i, d in enumerate(pal)], count


def read_structure_nbt(nbt: nbtio.NbtFile, *, source: object = None) -> VoxelGrid:
    """Decode a structure ``.nbt`` into a grid (block entities and entities dropped).

    Raises:
        FormatError: wrong tag types, sizes, positions outside the size, bad palette index.
    """
    root, what = nbt.root, "structure .nbt"
    size = check_size(int_list(nbtio.get(root, "size", (LIST, nbtio.INT_ARRAY), what=what, source=source), 3,
                               what=f"{what} size", source=source), what=what, source=source)
    states, npal = _palette(root, source)
    blist = nbtio.get(root, "blocks", (LIST,), what=what, source=source)
    if blist and blist.elem != COMPOUND:
        raise FormatError(f"{what}: 'blocks' must be a list of compounds", path=source)
    sidx, pos = _block_arrays(blist, what, source)
    if pos.size:
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        if (lo < 0).any() or (hi >= np.array(size)).any():
            bad = pos[((pos < 0) | (pos >= np.array(size))).any(axis=1)][0].tolist()
            raise FormatError(f"{what}: block position {bad} is outside size {list(size)}", path=source)
    # index len(states) stands for "absent" (air) so the palette check below stays exact
    idx = np.full(size, len(states), dtype=np.int64)
    if sidx.size:
        if int(sidx.min()) < 0 or int(sidx.max()) >= len(states):
            bad = int(sidx.max()) if int(sidx.max()) >= len(states) else int(sidx.min())
            raise FormatError(f"{what}: block refers to palette index {bad} but the palette has "
                              f"{len(states)} entries", path=source)
        idx[pos[:, 0], pos[:, 1], pos[:, 2]] = sidx
    meta: dict[str, Any] = {"source_format": "structure_nbt",
                            "data_version": root.get("DataVersion") if isinstance(root.get("DataVersion"), int) else None}
    if npal > 1:
        meta["palettes"] = npal
        meta["palette_used"] = 0
    return grid_from_indices(idx, states + ["minecraft:air"], meta, what=what, source=source)


def _block_arrays(blist: list, what: str, source: object) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(blist, nbtio.BlockRecords):
        return blist.state, blist.pos.reshape(-1, 3)
    sidx = np.empty(len(blist), dtype=np.int64)
    pos = np.empty((len(blist), 3), dtype=np.int64)
    for i, b in enumerate(blist):
        sidx[i] = nbtio.get(b, "state", (INT,), what=f"{what} blocks[{i}]", source=source)
        pos[i] = int_list(nbtio.get(b, "pos", (LIST, nbtio.INT_ARRAY), what=f"{what} blocks[{i}]", source=source),
                          3, what=f"{what} blocks[{i}].pos", source=source)
    return sidx, pos
