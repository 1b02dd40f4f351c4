"""A cheap look at a structure file's header: its size (and block-entity counts) before loading.

The NBT is walked by :mod:`mcgen.importing.skim`, which reads numbers and small compounds but only
measures arrays and summarises long lists (a structure file's ``blocks``), so no block data is
decoded or built. The first :data:`PREFIX_BYTES` of decompressed NBT are looked at first: the
size fields usually come early, so a build over the limit is refused without decompressing the
rest. Decompression never goes past :data:`MAX_NBT_BYTES`.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mcgen.errors import FormatError
from mcgen.importing.skim import ListSummary, skim

MAX_NBT_BYTES = 512 * 1024 * 1024  # decompressed NBT larger than this is refused outright
PREFIX_BYTES = 1 << 20
_JSON_SIZE = re.compile(rb'"size"\s*:\s*\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]')


@dataclass(frozen=True)
class Peek:
    """What a header says about a structure file.

    Attributes:
        size: ``(X, Y, Z)`` of the stored volume (the enclosing box for multi-region files).
        block_entities: block entities stored (chests, signs...); ``None`` when unknown.
        entities: entities stored (mobs, armour stands, item frames); ``None`` when unknown.
        kind: the container recognised (``sponge``, ``legacy_schematic``, ``structure``,
            ``litematic``, ``mcstructure``, ``blueprint``, ``json``, ``npz``).
    """

    size: tuple[int, int, int]
    block_entities: int | None = None
    entities: int | None = None
    kind: str = ""


def peek_size(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """The ``(X, Y, Z)`` size a structure file declares, read without building its voxel grid.

    Returns:
        The size, or ``None`` when the header does not say (an unknown layout, or bytes that are
        not NBT; the real reader then decides and gives the reason).

    Raises:
        FormatError: the file cannot be opened, or decompresses to more than :data:`MAX_NBT_BYTES`.
    """
    info = peek(path)
    return None if info is None else info.size


def peek(path: str | os.PathLike, max_size: int | None = None) -> Peek | None:
    """Like :func:`peek_size`, with block-entity and entity counts where the format stores them.

    Args:
        path: a structure file or sample folder.
        max_size: when the first part of the file already shows a size over this on some axis,
            stop there (the counts are then ``None``).
    """
    path = Path(path)
    if path.is_dir():
        npz = path / "voxels.npz"
        return _peek_npz(npz) if npz.is_file() else _peek_json(path / "data.json")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _peek_npz(path)
    if suffix == ".json":
        return _peek_json(path)
    data = _read_bytes(path)
    packed = data[:2] == b"\x1f\x8b" or data[:1] == b"\x78"
    if packed and max_size is not None:
        raw = _inflate(data, path, PREFIX_BYTES)
        if len(raw) < PREFIX_BYTES:  # the whole file fitted in the prefix: one walk says everything
            return _peek_raw(raw, partial=False)
        head = _peek_raw(raw, partial=True)
        if head is not None and max(head.size) > max_size:
            return head
    return _peek_raw(_inflate(data, path, MAX_NBT_BYTES) if packed else data, partial=False)


def _peek_raw(raw: bytes, partial: bool) -> Peek | None:
    root = _skim(raw)
    if root is None:
        return None
    try:
        info = _peek_root(root, raw)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None  # an unexpected layout (or not read far enough): let the reader explain
    if info is not None and partial:
        return Peek(info.size, None, None, info.kind)
    return info


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror or exc}", path=path) from exc


def _inflate(data: bytes, path: Path, limit: int) -> bytes:
    """Decompress gzip/zlib data, at most ``limit`` bytes of it (refusing more than MAX_NBT_BYTES)."""
    d = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise FormatError(f"corrupt compressed data ({exc})", path=path) from exc
    if len(out) > limit:
        if limit >= MAX_NBT_BYTES:
            raise FormatError(f"decompresses to more than {MAX_NBT_BYTES >> 20} MiB of NBT; refused", path=path)
        return out[:limit]
    return out


def _structure_header_read(root: dict) -> bool:
    """A header that says enough: a structure .nbt whose size and entities are known (its ``blocks``
    need not be walked), or a ``.blueprint`` whose three sizes are known (the reader counts the rest)."""
    if all(k in root for k in ("size_x", "size_y", "size_z")):
        return True
    return "size" in root and "entities" in root and "structure" not in root


def _skim(raw: bytes) -> dict | None:
    if len(raw) < 3 or raw[0] != 10:
        return None
    for little in _byte_orders(raw):
        try:
            root, _ = skim(raw, little_endian=little, stop=None if little else _structure_header_read)
        except ValueError:
            continue
        if root:
            return root
    return None


def _byte_orders(data: bytes) -> list[bool]:
    """Little-endian? Big-endian first unless the first child's name length only makes sense little-endian."""
    pos = 3 + int.from_bytes(data[1:3], "big")
    if len(data) >= pos + 3:
        be = int.from_bytes(data[pos + 1:pos + 3], "big")
        le = int.from_bytes(data[pos + 1:pos + 3], "little")
        if le < be:
            return [True, False]
    return [False, True]


def _n(tag: Any) -> int | None:
    return None if tag is None else len(tag)


def _with_block_entity(blocks: Any) -> int:
    if isinstance(blocks, ListSummary):
        return blocks.with_block_entity
    return sum(1 for b in blocks if isinstance(b, dict) and "nbt" in b)


def _peek_root(root: Any, raw: bytes = b"") -> Peek | None:
    if all(k in root for k in ("size_x", "size_y", "size_z")):  # .blueprint: counts come from the reader
        return Peek(tuple(int(root[k]) & 0xFFFF for k in ("size_x", "size_y", "size_z")), None, None,  # type: ignore[arg-type]
                    "blueprint")
    if "Regions" in root:
        return _peek_litematic(root)
    if "structure" in root and "size" in root:
        s = root["structure"]
        pal = s.get("palette", {}).get("default", {})
        bpd = pal.get("block_position_data", {})
        be = sum(1 for v in bpd.values() if "block_entity_data" in v)
        return Peek(_ints(root["size"]), be, _n(s.get("entities")), "mcstructure")
    if "size" in root:  # a structure .nbt (or a partial read whose other keys come later)
        entities = _n(root.get("entities"))
        if "blocks" in root:
            be = _with_block_entity(root["blocks"])
        else:  # walk stopped before the blocks: each block entity is a compound named "nbt"
            be = max(0, raw.count(b"\n\x00\x03nbt") - (entities or 0)) if raw else None
        return Peek(_ints(root["size"]), be, entities, "structure")
    body = root["Schematic"] if "Schematic" in root and "Width" not in root else root
    if all(k in body for k in ("Width", "Height", "Length")):
        size = tuple(int(body[k]) & 0xFFFF for k in ("Width", "Height", "Length"))
        blocks = body.get("Blocks")
        be = body.get("BlockEntities", body.get("TileEntities"))
        if be is None and isinstance(blocks, dict):
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
