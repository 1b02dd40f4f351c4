"""Helpers shared by the format modules: size limits, palettes, compound block states."""

from __future__ import annotations

from typing import Any

import numpy as np

from mcgen.blocks import AIR, canonicalize, format_state, parse_state
from mcgen.errors import BlockStateError, FormatError
from mcgen.export import nbtio
from mcgen.export.nbtio import COMPOUND, STRING
from mcgen.grid import MAX_AXIS, VoxelGrid

MAX_VOLUME = 1 << 26  # 67M cells (~128 MiB as uint16): larger declared sizes are refused unread


def check_size(size: Any, *, what: str, source: object = None) -> tuple[int, int, int]:
    """Validate a declared ``(X, Y, Z)`` size before anything is allocated.

    Raises:
        FormatError: not three non-negative integers, an axis over ``MAX_AXIS`` or a volume
            over ``MAX_VOLUME``.
    """
    try:
        sx, sy, sz = (int(v) for v in size)
    except (TypeError, ValueError) as exc:
        raise FormatError(f"{what}: size must be three integers, got {size!r}", path=source) from exc
    if min(sx, sy, sz) < 0:
        raise FormatError(f"{what}: negative size {sx}x{sy}x{sz}", path=source)
    if max(sx, sy, sz) > MAX_AXIS or sx * sy * sz > MAX_VOLUME:
        raise FormatError(
            f"{what}: size {sx}x{sy}x{sz} is too large (limit {MAX_AXIS} per axis, {MAX_VOLUME} blocks)",
            path=source,
        )
    return sx, sy, sz


def canonical_palette(states: list[str], *, what: str, source: object = None) -> list[str]:
    """Canonicalise foreign block-state strings (sorted properties, namespace added).

    Raises:
        FormatError: an entry cannot be read as a block state.
    """
    out = []
    for i, s in enumerate(states):
        try:
            out.append(canonicalize(s))
        except BlockStateError as exc:
            raise FormatError(f"{what}: palette entry {i}: {exc}", path=source) from exc
    return out


def grid_from_indices(
    idx: np.ndarray, palette: list[str], meta: dict, *, what: str, source: object = None,
    axes: tuple[int, int, int] | None = None,
) -> VoxelGrid:
    """Build a grid from ``idx[x, y, z]`` into a canonical (possibly duplicated) ``palette``.

    ``axes``: when ``idx`` is stored in another axis order, the transpose that makes it
    ``(X, Y, Z)``; applied after the (cheaper, uint16) palette mapping.

    Air is moved to index 0, duplicate states (e.g. the same state with properties in another
    order) are merged, unused entries dropped.

    Raises:
        FormatError: an index is outside the palette.
    """
    n = len(palette)
    flat = idx.ravel()
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= n):
        bad = int(flat.max()) if int(flat.max()) >= n else int(flat.min())
        raise FormatError(f"{what}: block refers to palette index {bad} but the palette has {n} entries",
                          path=source)
    used = np.bincount(flat, minlength=n) > 0 if flat.size else np.zeros(n, dtype=bool)
    merged: dict[str, int] = {AIR: 0}
    lut = np.zeros(max(n, 1), dtype=np.int64)
    for i, s in enumerate(palette):
        if used[i]:
            lut[i] = merged.setdefault(s, len(merged))
    dtype = np.uint16 if len(merged) < 65536 else np.uint32
    blocks = lut.astype(dtype)[idx] if idx.size else np.zeros(idx.shape, dtype=dtype)
    if axes is not None:
        blocks = np.ascontiguousarray(blocks.transpose(axes))
    return VoxelGrid(blocks, list(merged), meta)


def state_to_compound(state: str) -> dict:
    """``minecraft:oak_log[axis=y]`` -> encoder compound ``{Name, Properties}``."""
    name, props = parse_state(state)
    out: dict = {"Name": (STRING, name)}
    if props:
        out["Properties"] = (COMPOUND, {k: (STRING, v) for k, v in props.items()})
    return out


def compound_to_state(d: Any, *, what: str, source: object = None) -> str:
    """Decoded ``{Name, Properties}`` compound -> canonical state string.

    Raises:
        FormatError: wrong tag types or an unreadable name.
    """
    name = nbtio.get(d, "Name", (STRING,), what=what, source=source)
    props = nbtio.get(d, "Properties", (COMPOUND,), what=what, source=source, default=None)
    kv: dict[str, str] = {}
    if props:
        for k, v in props.items():
            if not isinstance(v, (str, int)):
                raise FormatError(f"{what}: property {k!r} of {name!r} is {nbtio.type_name(props, k)}",
                                  path=source)
            kv[k] = str(v)
    try:
        return canonicalize(format_state(name, kv) if kv else name)
    except BlockStateError as exc:
        raise FormatError(f"{what}: {exc}", path=source) from exc


def int_list(v: Any, n: int, *, what: str, source: object = None) -> list[int]:
    """A List of Int or IntArray with exactly ``n`` entries, as Python ints.

    Raises:
        FormatError: anything else.
    """
    if isinstance(v, np.ndarray) and v.dtype.kind == "i" and v.size == n:
        return [int(a) for a in v]
    if isinstance(v, nbtio.TagList) and len(v) == n and v.elem in (nbtio.INT, nbtio.SHORT, nbtio.BYTE):
        return [int(a) for a in v]
    raise FormatError(f"{what}: expected {n} integers, got {_describe(v)}", path=source)


def _describe(v: Any) -> str:
    if isinstance(v, nbtio.TagList):
        return f"a List of {len(v)} {nbtio.TAG_NAMES[v.elem]}"
    if isinstance(v, np.ndarray):
        return f"an array of {v.size}"
    return type(v).__name__


def compact_for_write(grid: VoxelGrid) -> tuple[np.ndarray, list[str]]:
    """``(blocks[x, y, z], palette)`` with unused states dropped and air kept at 0 (O(n), no sort)."""
    pal = grid.palette
    used = np.bincount(grid.blocks.ravel(), minlength=len(pal)) > 0
    used[0] = True
    if used.all():
        return grid.blocks, list(pal)
    lut = (np.cumsum(used) - 1).astype(grid.blocks.dtype)
    return lut[grid.blocks], [s for s, u in zip(pal, used) if u]
