"""Bedrock ``.mcstructure``: writer and reader (little-endian, uncompressed NBT).

Index order: z fastest, then y, then x (i = (x*H + y)*L + z), i.e. our ``[x, y, z]`` array
flattened in C order. Layer 0 holds the block, layer 1 the water of waterlogged blocks
(-1 elsewhere). Air is written as air (pasting clears the inside) unless
``include_air=False``, which writes -1 (structure void: the world block stays).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcgen.blocks import canonicalize
from mcgen.errors import BlockStateError, ExportError, FormatError
from mcgen.export import bedrock, nbtio
from mcgen.export.common import check_size, compact_for_write, grid_from_indices, int_list
from mcgen.export.nbtio import COMPOUND, INT, LIST, STRING, TagDict, TagList
from mcgen.grid import VoxelGrid


def _palette_entry(bstate: bedrock.BedrockState) -> dict:
    name, states = bstate
    return {"name": (STRING, name), "states": (COMPOUND, {k: (t, v) for k, t, v in states}),
            "version": (INT, bedrock.BLOCK_VERSION)}


def bedrock_palette(palette: list[str]) -> tuple[list, np.ndarray, np.ndarray]:
    """Bedrock palette and, per Java palette entry, its layer-0 index and layer-1 (water) index.

    Raises:
        ExportError: one or more states have no Bedrock mapping (all of them are listed).
    """
    mapped = [bedrock.to_bedrock(s) for s in palette]
    bad = [s for s, m in zip(palette, mapped) if m is None]
    if bad:
        raise ExportError(f"{len(bad)} block state(s) have no Bedrock mapping: {', '.join(bad)}")
    entries: dict[bedrock.BedrockState, int] = {}
    layer0 = np.array([entries.setdefault(m[0], len(entries)) for m in mapped], dtype=np.int32)
    water = entries.setdefault(bedrock.WATER, len(entries)) if any(m[1] for m in mapped) else -1
    layer1 = np.array([water if m[1] else -1 for m in mapped], dtype=np.int32)
    return [_palette_entry(e) for e in entries], layer0, layer1


def encode_mcstructure(grid: VoxelGrid, *, include_air: bool = True) -> bytes:
    """Uncompressed little-endian ``.mcstructure`` bytes (format_version 1).

    Raises:
        ExportError: a state without a Bedrock mapping.
    """
    blocks, palette = compact_for_write(grid)
    entries, l0, l1 = bedrock_palette(palette)
    flat = blocks.ravel()  # C order over (X, Y, Z): z fastest
    layer0 = l0[flat]
    if not include_air:
        layer0 = np.where(flat == 0, -1, layer0)
    layer1 = l1[flat]
    n = flat.size
    indices = [(INT, nbtio.RawList(n, layer0.astype("<i4").tobytes())),
               (INT, nbtio.RawList(n, layer1.astype("<i4").tobytes()))]
    structure = {
        "block_indices": (LIST, (LIST, indices)),
        "entities": (LIST, (COMPOUND, [])),
        "palette": (COMPOUND, {"default": (COMPOUND, {
            "block_palette": (LIST, (COMPOUND, entries)),
            "block_position_data": (COMPOUND, {}),
        })}),
    }
    root = {"format_version": (INT, 1), "size": (LIST, (INT, list(blocks.shape))),
            "structure": (COMPOUND, structure), "structure_world_origin": (LIST, (INT, [0, 0, 0]))}
    return nbtio.encode(root, root_name="", little_endian=True)


def is_mcstructure(root: TagDict) -> bool:
    """True when the root looks like a Bedrock structure."""
    return "structure" in root and "size" in root and "format_version" in root


def _layer(v: Any, n: int, what: str, source: object) -> np.ndarray:
    if isinstance(v, np.ndarray) and v.dtype.kind == "i":  # format_version 2 uses IntArrays
        arr = v.astype(np.int64)
    elif isinstance(v, TagList) and (v.elem == INT or not v):
        arr = np.array(v, dtype=np.int64)
    else:
        raise FormatError(f"{what}: block_indices layers must be lists of Int", path=source)
    if arr.size != n:
        raise FormatError(f"{what}: a block_indices layer has {arr.size} entries, expected {n}", path=source)
    return arr


def _java_palette(block_palette: list, what: str, source: object) -> tuple[list[str], list[str], list[bool], list[str]]:
    """Per Bedrock entry: Java state when dry, when waterlogged, whether it is water; plus the unmapped."""
    dry, wet, is_water, unmapped = [], [], [], []
    for i, e in enumerate(block_palette):
        name = nbtio.get(e, "name", (STRING,), what=f"{what} palette[{i}]", source=source)
        states = nbtio.get(e, "states", (COMPOUND,), what=f"{what} palette[{i}]", source=source, default=TagDict())
        if any(not isinstance(v, (int, str)) for v in states.values()):
            raise FormatError(f"{what} palette[{i}]: state values must be Byte, Int or String", path=source)
        java = bedrock.to_java(name, states)
        if java is None:
            try:
                java = canonicalize(bedrock.native_state(name, states))
            except BlockStateError as exc:
                raise FormatError(f"{what} palette[{i}]: {exc}", path=source) from exc
            unmapped.append(java)
        dry.append(java)
        wet.append(bedrock.to_java(name, states, waterlogged=True) or java)
        is_water.append(name == "minecraft:water")
    return dry, wet, is_water, unmapped


def read_mcstructure(nbt: nbtio.NbtFile, *, source: object = None) -> VoxelGrid:
    """Decode a ``.mcstructure`` into a grid with Java states where the mapping knows them.

    Bedrock blocks outside the mapping keep their Bedrock name and states; ``meta`` lists them.

    Raises:
        FormatError: wrong tag types, layer sizes, or palette indices out of range.
    """
    root, what = nbt.root, "mcstructure"
    size = check_size(int_list(nbtio.get(root, "size", (LIST,), what=what, source=source), 3,
                               what=f"{what} size", source=source), what=what, source=source)
    st = nbtio.get(root, "structure", (COMPOUND,), what=what, source=source)
    layers = nbtio.get(st, "block_indices", (LIST,), what=what, source=source)
    pal_c = nbtio.get(nbtio.get(st, "palette", (COMPOUND,), what=what, source=source), "default", (COMPOUND,),
                      what=f"{what} palette", source=source)
    bpal = nbtio.get(pal_c, "block_palette", (LIST,), what=f"{what} palette", source=source)
    n = size[0] * size[1] * size[2]
    if not 1 <= len(layers) <= 2:
        raise FormatError(f"{what}: expected 1 or 2 block_indices layers, got {len(layers)}", path=source)
    l0 = _layer(layers[0], n, what, source)
    l1 = _layer(layers[1], n, what, source) if len(layers) == 2 else np.full(n, -1, dtype=np.int64)
    for arr in (l0, l1):
        if arr.size and (int(arr.min()) < -1 or int(arr.max()) >= len(bpal)):
            bad = int(arr.max()) if int(arr.max()) >= len(bpal) else int(arr.min())
            raise FormatError(f"{what}: block refers to palette index {bad} but the palette has {len(bpal)} entries",
                              path=source)
    dry, wet, is_water, unmapped = _java_palette(bpal, what, source)
    k = len(bpal)
    water_at = (l1 >= 0) & np.array(is_water + [False], dtype=bool)[l1]
    # combined palette: [dry..., wet..., air]; -1 (structure void) reads as air
    idx = np.where(l0 < 0, 2 * k, l0 + np.where(water_at, k, 0))
    is_air = np.array([d == "minecraft:air" for d in dry] + [True], dtype=bool)
    lone_water = water_at & is_air[l0]  # water only in the second layer (l0 == -1 indexes the True pad)
    idx = np.where(lone_water, l1, idx)
    meta: dict[str, Any] = {"source_format": "mcstructure", "edition": "bedrock"}
    grid = bedrock.reconnect(grid_from_indices(idx.reshape(size), dry + wet + ["minecraft:air"], meta,
                                               what=what, source=source))
    used = set(grid.palette)
    if any(s in used for s in unmapped):
        meta["bedrock_unmapped"] = sorted({s for s in unmapped if s in used})[:50]
    return grid

