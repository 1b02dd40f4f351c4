"""A cheap look at a structure file's header: its size (and block-entity counts) before loading.

The NBT tree is parsed with nbtlib (so every tag is read, and a structure ``.nbt``'s ``blocks`` list of
compounds is built), but no block array is decoded into a voxel grid: a 1000^3 schematic costs its
compressed bytes plus the raw ``BlockData`` byte string, not a billion-cell array. Decompression stops
at :data:`MAX_NBT_BYTES` so a gzip bomb cannot take the memory either.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcgen.errors import FormatError

MAX_NBT_BYTES = 512 * 1024 * 1024  # decompressed NBT larger than this is refused outright
_JSON_SIZE = re.compile(rb'"size"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]')


@dataclass(frozen=True)
class Peek:
    """What a header says about a structure file.

    Attributes:
        size: ``(X, Y, Z)`` of the stored volume (the enclosing box for multi-region files).
        block_entities: block entities stored (chests, signs...); ``None`` when unknown.
        entities: entities stored (mobs, armour stands, item frames); ``None`` when unknown.
        kind: the container recognised (``sponge``, ``legacy_schematic``, ``structure``,
            ``litematic``, ``mcstructure``, ``json``, ``npz``).
    """

    size: tuple[int, int, int]
    block_entities: int | None = None
    entities: int | None = None
    kind: str = ""


def peek_size(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """The ``(X, Y, Z)`` size a structure file declares, read without building its voxel grid.

    Returns:
        The size, or ``None`` when the header does not say (an unknown layout, or NBT that nbtlib
        cannot parse; the real reader then decides and gives the reason).

    Raises:
        FormatError: the file cannot be opened, or decompresses to more than :data:`MAX_NBT_BYTES`.
    """
    info = peek(path)
    return None if info is None else info.size


def peek(path: str | os.PathLike) -> Peek | None:
    """Like :func:`peek_size`, with block-entity and entity counts where the format stores them."""
    path = Path(path)
    if path.is_dir():
        npz = path / "voxels.npz"
        return _peek_npz(npz) if npz.is_file() else _peek_json(path / "data.json")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _peek_npz(path)
    if suffix == ".json":
        return _peek_json(path)
    root = _load_nbt(path)
    if root is None:
        return None
    try:
        return _peek_root(root)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None  # an unexpected layout: let the reader explain


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=path) from exc


def _gunzip(data: bytes, path: Path) -> bytes:
    d = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    try:
        out = d.decompress(data, MAX_NBT_BYTES + 1)
    except zlib.error as exc:
        raise FormatError(f"corrupt compressed data ({exc})", path=path) from exc
    if len(out) > MAX_NBT_BYTES:
        raise FormatError(f"decompresses to more than {MAX_NBT_BYTES >> 20} MiB of NBT; refused", path=path)
    return out


def _load_nbt(path: Path) -> Any:
    import nbtlib  # noqa: PLC0415 - only needed for foreign files

    data = _read_bytes(path)
    if data[:2] == b"\x1f\x8b" or data[:1] == b"\x78":
        data = _gunzip(data, path)
    if len(data) < 3 or data[0] != 10:
        return None
    for order in _byte_orders(data):
        try:
            return nbtlib.File.parse(io.BytesIO(data), byteorder=order)
        except Exception:  # noqa: BLE001 - nbtlib raises assorted errors on bad input
            continue  # the real reader runs next and gives the reason
    return None


def _byte_orders(data: bytes) -> list[str]:
    """Big-endian first unless the first child's name length only makes sense little-endian."""
    name_len = int.from_bytes(data[1:3], "big")
    pos = 3 + name_len
    if len(data) >= pos + 3:
        be = int.from_bytes(data[pos + 1:pos + 3], "big")
        le = int.from_bytes(data[pos + 1:pos + 3], "little")
        if le < be:
            return ["little", "big"]
    return ["big", "little"]


def _n(tag: Any) -> int | None:
    return None if tag is None else len(tag)


def _peek_root(root: Any) -> Peek | None:
    if "Regions" in root:
        return _peek_litematic(root)
    if "structure" in root and "size" in root:
        s = root["structure"]
        pal = s.get("palette", {}).get("default", {})
        bpd = pal.get("block_position_data", {})
        be = sum(1 for v in bpd.values() if "block_entity_data" in v)
        return Peek(_ints(root["size"]), be, _n(s.get("entities")), "mcstructure")
    if "size" in root and ("blocks" in root or "palette" in root or "palettes" in root):
        blocks = root.get("blocks", [])
        be = sum(1 for b in blocks if "nbt" in b)
        return Peek(_ints(root["size"]), be, _n(root.get("entities")), "structure")
    body = root["Schematic"] if "Schematic" in root and "Width" not in root else root
    if all(k in body for k in ("Width", "Height", "Length")):
        size = tuple(int(body[k]) & 0xFFFF for k in ("Width", "Height", "Length"))
        blocks = body.get("Blocks")
        be = body.get("BlockEntities", body.get("TileEntities"))
        if be is None and hasattr(blocks, "get"):
            be = blocks.get("BlockEntities")
        kind = "sponge" if "Version" in body else "legacy_schematic"
        return Peek(size, _n(be), _n(body.get("Entities")), kind)  # type: ignore[arg-type]
    return None


def _ints(tag: Any) -> tuple[int, int, int]:
    vals = [int(v) for v in tag]
    if len(vals) != 3:
        raise ValueError("size must have three values")
    return vals[0], vals[1], vals[2]


def _peek_litematic(root: Any) -> Peek | None:
    lo, hi = [None] * 3, [None] * 3
    be = ent = 0
    for region in root["Regions"].values():
        pos = [int(region["Position"][k]) for k in "xyz"]
        size = [int(region["Size"][k]) for k in "xyz"]
        for a in range(3):
            far = pos[a] + size[a] - (1 if size[a] > 0 else -1 if size[a] < 0 else 0)
            a_lo, a_hi = min(pos[a], far), max(pos[a], far)
            lo[a] = a_lo if lo[a] is None else min(lo[a], a_lo)
            hi[a] = a_hi if hi[a] is None else max(hi[a], a_hi)
        be += len(region.get("TileEntities", []))
        ent += len(region.get("Entities", []))
    if lo[0] is None:
        return Peek((0, 0, 0), 0, 0, "litematic")
    return Peek(tuple(h - l + 1 for l, h in zip(lo, hi)), be, ent, "litematic")  # type: ignore[arg-type]


def _peek_npz(path: Path) -> Peek | None:
    try:
        with zipfile.ZipFile(path) as zf, zf.open("blocks.npy") as fh:
            version = np.lib.format.read_magic(fh)
            shape, _, _ = np.lib.format._read_array_header(fh, version)  # header only, no data
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise FormatError(f"not a readable NPZ file ({exc})", path=path) from exc
    return Peek(tuple(int(s) for s in shape), 0, 0, "npz") if len(shape) == 3 else None  # type: ignore[arg-type]


def _peek_json(path: Path) -> Peek | None:
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    m = _JSON_SIZE.search(head)
    if m is None:
        return None
    return Peek((int(m.group(1)), int(m.group(2)), int(m.group(3))), 0, 0, "json")
