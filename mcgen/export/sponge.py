"""Sponge schematic ``.schem`` v2 / v3: writer and reader (v1, v2, v3).

Block order in ``BlockData`` / ``Blocks.Data``: index = x + z*W + y*W*L, i.e. our ``[x, y, z]``
array transposed to ``(y, z, x)`` and flattened. Values are unsigned LEB128 varints, encoded
and decoded with numpy (no per-block Python work).

Paste anchor ("front", the default): WorldEdit puts the clipboard origin at the player's
block. We place the build so that the player, standing on the build's floor level just
outside the middle of its north face (min-z side) and looking south (the default spawn
facing), has it straight in front: block (0, 0, 0) goes to player + (-W//2, 0, 1). v2 stores
that vector in ``Metadata.WEOffsetX/Y/Z`` (``Offset`` = 0,0,0), v3 in ``Offset``. Other
anchors: ``"center"`` (player in the middle of the floor) and ``"corner"`` (player at the
min corner).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from mcgen.errors import ExportError, FormatError
from mcgen.export import nbtio
from mcgen.export.common import canonical_palette, check_size, compact_for_write, grid_from_indices
from mcgen.export.nbtio import BYTE, BYTE_ARRAY, COMPOUND, INT, INT_ARRAY, LIST, LONG, SHORT, STRING, TagDict
from mcgen.export.versions import FLATTENING_DV
from mcgen.grid import VoxelGrid

ANCHORS = ("front", "center", "corner")
MAX_PALETTE_ID = 1 << 20
_LEGACY_KEYS = frozenset({"variant", "color", "check_decay", "decayable", "seamless", "legacy_data"})
_INTS = (BYTE, SHORT, INT)


# --- varints ------------------------------------------------------------------------------
def encode_varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128 of every value (non-negative, < 2**32), vectorised."""
    v = np.ascontiguousarray(values, dtype=np.uint32).ravel()
    if v.size == 0 or int(v.max()) < 128:
        return v.astype(np.uint8).tobytes()
    nbytes = 1 + sum((v >= (1 << (7 * k))).astype(np.int64) for k in range(1, 5))
    starts = np.cumsum(nbytes) - nbytes
    out = np.empty(int(nbytes.sum()), dtype=np.uint8)
    for k in range(5):
        sel = nbytes > k
        if not sel.any():
            break
        part = ((v[sel] >> (7 * k)) & 0x7F).astype(np.uint8)
        part[nbytes[sel] > k + 1] |= 0x80
        out[starts[sel] + k] = part
    return out.tobytes()


def decode_varints(data: np.ndarray, count: int, *, what: str, source: object = None) -> np.ndarray:
    """Decode exactly ``count`` unsigned varints (each < 2**20, a palette id) into an int32 array.

    Single-byte values (the common case) are taken as they are; only the multi-byte varints
    are assembled, so memory stays a few bytes per block even for 10^7-block files.

    Raises:
        FormatError: a varint longer than 5 bytes, a truncated last varint, or a count mismatch.
    """
    b = np.ascontiguousarray(data).view(np.uint8)
    cont = b >= 128
    if b.size and cont[-1]:
        raise FormatError(f"{what}: block data ends in the middle of a varint (truncated)", path=source)
    starts = np.ones(b.size, dtype=bool)
    starts[1:] = ~cont[:-1]
    n = int(np.count_nonzero(starts))
    if n != count:
        raise FormatError(f"{what}: block data holds {n} entries, expected {count} (W*H*L)", path=source)
    vals = (b[starts] & 0x7F).astype(np.int32)
    multi = np.flatnonzero(cont & starts)  # first bytes of multi-byte varints
    if multi.size:
        acc = vals[multi - np.searchsorted(np.flatnonzero(cont), multi - 1)]
        alive = np.ones(multi.size, dtype=bool)
        for k in range(1, 6):
            nxt = b[np.minimum(multi + k, b.size - 1)].astype(np.int64)
            if k == 5:
                if alive.any():
                    raise FormatError(f"{what}: varint longer than 5 bytes at byte {int(multi[alive][0])} "
                                      f"(corrupt block data)", path=source)
                break
            acc = np.where(alive, acc | ((nxt & 0x7F) << (7 * k)), acc)
            alive &= nxt >= 128
        if int(acc.max()) >= MAX_PALETTE_ID:
            raise FormatError(f"{what}: block data refers to palette id {int(acc.max())}, which is out of range",
                              path=source)
        vals[multi - np.searchsorted(np.flatnonzero(cont), multi - 1)] = acc
    return vals


# --- writer -------------------------------------------------------------------------------
def paste_offset(size: tuple[int, int, int], anchor: str = "front") -> tuple[int, int, int]:
    """Where block (0, 0, 0) lands relative to the player's block for ``anchor``."""
    w, _, length = size
    if anchor == "front":
        return (-(w // 2), 0, 1)
    if anchor == "center":
        return (-(w // 2), 0, -(length // 2))
    if anchor == "corner":
        return (0, 0, 0)
    raise ExportError(f"unknown anchor {anchor!r} (choose from {', '.join(ANCHORS)})")


def _short(n: int) -> int:
    return n if n < 32768 else n - 65536  # sizes are unsigned 16-bit stored in a signed Short


def encode_schem(grid: VoxelGrid, *, data_version: int, version: int = 2, anchor: str = "front",
                 name: str = "", author: str = "mcgen", date_ms: int | None = None) -> bytes:
    """Gzipped Sponge schematic bytes (``version`` 2 or 3) for ``grid``.

    Raises:
        ExportError: size over 65535 on an axis, bad anchor or version.
    """
    if version not in (2, 3):
        raise ExportError(f"Sponge schematic version must be 2 or 3, got {version}")
    blocks, palette = compact_for_write(grid)
    w, h, length = blocks.shape
    if max(w, h, length) > 65535:
        raise ExportError(f"size {w}x{h}x{length} does not fit a Sponge schematic (65535 per axis)")
    data = encode_varints(blocks.transpose(1, 2, 0))  # (Y, Z, X): x fastest, then z, then y
    pal = {s: (INT, i) for i, s in enumerate(palette)}
    off = paste_offset((w, h, length), anchor)
    date = int(time.time() * 1000) if date_ms is None else date_ms
    meta: dict[str, Any] = {"Name": (STRING, name), "Author": (STRING, author), "Date": (LONG, date)}
    sizes = {"Width": (SHORT, _short(w)), "Height": (SHORT, _short(h)), "Length": (SHORT, _short(length))}
    raw_data = (BYTE_ARRAY, np.frombuffer(data, dtype=np.int8))
    empty = (LIST, (COMPOUND, []))
    if version == 2:
        meta.update({"WEOffsetX": (INT, off[0]), "WEOffsetY": (INT, off[1]), "WEOffsetZ": (INT, off[2])})
        root = {"Version": (INT, 2), "DataVersion": (INT, data_version), **sizes,
                "Offset": (INT_ARRAY, [0, 0, 0]), "Metadata": (COMPOUND, meta),
                "PaletteMax": (INT, len(palette)), "Palette": (COMPOUND, pal),
                "BlockData": raw_data, "BlockEntities": empty}
        return nbtio.gzip_bytes(nbtio.encode(root, root_name="Schematic"))
    inner = {"Version": (INT, 3), "DataVersion": (INT, data_version), "Metadata": (COMPOUND, meta), **sizes,
             "Offset": (INT_ARRAY, list(off)),
             "Blocks": (COMPOUND, {"Palette": (COMPOUND, pal), "Data": raw_data, "BlockEntities": empty})}
    return nbtio.gzip_bytes(nbtio.encode({"Schematic": (COMPOUND, inner)}, root_name=""))


# --- reader -------------------------------------------------------------------------------
def sponge_body(root: TagDict) -> TagDict | None:
    """The compound holding ``Version`` etc. (the root for v1/v2, ``Schematic`` for v3), or None."""
    inner = root.get("Schematic")
    if isinstance(inner, TagDict) and "Version" in inner and root.types.get("Schematic") == COMPOUND:
        return inner
    if "Version" in root and ("BlockData" in root or "Palette" in root or "Width" in root):
        return root
    return None


def _size(body: TagDict, what: str, source: object) -> tuple[int, int, int]:
    dims = []
    for key in ("Width", "Height", "Length"):
        v = nbtio.get(body, key, _INTS, what=what, source=source)
        dims.append(v & 0xFFFF if body.types[key] == SHORT else v)  # Short sizes are unsigned
    return check_size(dims, what=what, source=source)


def _palette(pal: Any, what: str, source: object) -> tuple[np.ndarray, list[str]]:
    """Palette compound -> (lut from palette id to position in ``names``, names)."""
    if not isinstance(pal, TagDict):
        raise FormatError(f"{what}: Palette must be a compound", path=source)
    names, ids = [], []
    for key, val in pal.items():
        if pal.types[key] not in _INTS:
            raise FormatError(f"{what}: invalid palette entry {key!r}: {nbtio.type_name(pal, key)} instead of Int",
                              path=source)
        if not 0 <= val < MAX_PALETTE_ID:
            raise FormatError(f"{what}: palette id {val} for {key!r} is out of range", path=source)
        names.append(key)
        ids.append(val)
    lut = np.full(max(ids, default=-1) + 1, -1, dtype=np.int64)
    lut[np.array(ids, dtype=np.int64)] = np.arange(len(ids))
    return lut, names


def read_schem(nbt: nbtio.NbtFile, *, source: object = None) -> VoxelGrid:
    """Decode a Sponge schematic (v1, v2 or v3) into a grid; block entities are dropped.

    Raises:
        FormatError: unsupported variant (v1 without palette, pre-1.13 names, unknown version)
            or corrupt content; the message names it.
    """
    body = sponge_body(nbt.root)
    if body is None:
        raise FormatError("not a Sponge schematic (no Version tag)", path=source)
    version = nbtio.get(body, "Version", _INTS, what="Sponge schematic", source=source)
    what = f"Sponge v{version}"
    if version not in (1, 2, 3):
        raise FormatError(f"unsupported Sponge schematic version {version} (this mcgen reads 1, 2 and 3)",
                          path=source)
    size = _size(body, what, source)
    dv = nbtio.get(body, "DataVersion", _INTS, what=what, source=source, default=None)
    if version == 3:
        blocks_c = nbtio.get(body, "Blocks", (COMPOUND,), what=what, source=source, default=None)
        pal = blocks_c.get("Palette") if blocks_c is not None else None
        data = nbtio.get(blocks_c, "Data", (BYTE_ARRAY,), what=what, source=source) if blocks_c else None
    else:
        pal = body.get("Palette")
        data = nbtio.get(body, "BlockData", (BYTE_ARRAY,), what=what, source=source, default=None)
        if pal is None and data is not None:
            raise FormatError(f"{what} without a Palette (block ids of the platform's global registry) "
                              f"is not supported", path=source)
    meta: dict[str, Any] = {"source_format": f"sponge_v{version}", "data_version": dv}
    _offsets(body, meta)
    if data is None:  # v3 allows a schematic without blocks: all air
        return VoxelGrid.empty(size, meta)
    lut, names = _palette(pal, what, source)
    states = canonical_palette(names, what=what, source=source)
    _reject_legacy(states, dv, what, source)
    vals = decode_varints(data, size[0] * size[1] * size[2], what=what, source=source)
    if vals.size and int(vals.max()) >= lut.size:
        raise FormatError(f"{what}: block data refers to palette id {int(vals.max())}, "
                          f"but the palette's largest id is {lut.size - 1}", path=source)
    idx = lut.astype(np.int32)[vals] if vals.size else vals
    if idx.size and int(idx.min()) < 0:
        raise FormatError(f"{what}: block data refers to a palette id that is not in the palette", path=source)
    idx = idx.reshape(size[1], size[2], size[0])  # (Y, Z, X)
    return grid_from_indices(idx, states, meta, what=what, source=source, axes=(2, 0, 1))


def _offsets(body: TagDict, meta: dict) -> None:
    off = body.get("Offset")
    if isinstance(off, np.ndarray) and off.size == 3:
        meta["offset"] = [int(v) for v in off]
    md = body.get("Metadata")
    if isinstance(md, TagDict) and all(isinstance(md.get(k), int) for k in ("WEOffsetX", "WEOffsetY", "WEOffsetZ")):
        meta["we_offset"] = [md["WEOffsetX"], md["WEOffsetY"], md["WEOffsetZ"]]


def _reject_legacy(states: list[str], dv: int | None, what: str, source: object) -> None:
    """Pre-1.13 (numeric-era) block names cannot be mapped; a wrong DataVersion alone is tolerated."""
    if dv is None or dv >= FLATTENING_DV:
        return
    for s in states:
        props = s[s.index("[") + 1:-1].split(",") if "[" in s else []
        if any(p.split("=", 1)[0] in _LEGACY_KEYS for p in props):
            raise FormatError(f"{what} with DataVersion {dv} (pre-1.13) uses legacy block states such as {s!r}; "
                              f"pre-flattening names are not supported", path=source)
