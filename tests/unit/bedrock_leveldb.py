"""A minimal, independent reader of Bedrock saves for the world tests (no amulet, no LevelDB binding).

LevelDB as LevelDB itself recovers it: ``CURRENT`` names the ``MANIFEST``, whose version edits
list the live table files and the first log still in use; the tables (``*.ldb``: blocks of
prefix-compressed entries, Mojang's zlib or raw-deflate compression) and those logs (write
batches in 32 KiB-block record framing) are read, and for each key the entry with the highest
sequence number wins (deletions included). Then sub-chunks (versions 8 and 9) are decoded: per
storage a packed index array (x*256 + z*16 + y) and a palette of little-endian NBT compounds,
parsed with nbtlib.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import nbtlib
import numpy as np

Block = tuple[str, dict]  # (name, {state: int | str})


def _varint(buf: bytes, off: int) -> tuple[int, int]:
    out = shift = 0
    while True:
        b = buf[off]
        off += 1
        out |= (b & 0x7F) << shift
        if b < 0x80:
            return out, off
        shift += 7


def _slice(buf: bytes, off: int) -> tuple[bytes, int]:
    n, off = _varint(buf, off)
    return buf[off:off + n], off + n


def log_records(data: bytes) -> list[bytes]:
    """The records of a LevelDB log file (also the MANIFEST's framing)."""
    out, parts, off = [], [], 0
    while off + 7 <= len(data):
        room = 32768 - off % 32768
        if room < 7:
            off += room
            continue
        length, kind = struct.unpack_from("<HB", data, off + 4)
        chunk = data[off + 7:off + 7 + length]
        off += 7 + length
        if kind == 1:
            out.append(chunk)
        elif kind == 2:
            parts = [chunk]
        elif kind == 3:
            parts.append(chunk)
        elif kind == 4:
            out.append(b"".join(parts + [chunk]))
        elif kind == 0 and length == 0:
            break  # preallocated zeros
    return out


def manifest(db: Path) -> tuple[set[int], int]:
    """``(live table numbers, log number)`` from the MANIFEST that ``CURRENT`` names."""
    name = (db / "CURRENT").read_text().strip()
    files: set[int] = set()
    log_number = 0
    for rec in log_records((db / name).read_bytes()):
        off = 0
        while off < len(rec):
            tag, off = _varint(rec, off)
            if tag == 1:
                _, off = _slice(rec, off)
            elif tag in (2, 3, 4, 9):
                value, off = _varint(rec, off)
                log_number = value if tag == 2 else log_number
            elif tag == 5:
                _, off = _varint(rec, off)
                _, off = _slice(rec, off)
            elif tag == 6:
                _, off = _varint(rec, off)
                number, off = _varint(rec, off)
                files.discard(number)
            elif tag == 7:
                _, off = _varint(rec, off)
                number, off = _varint(rec, off)
                _, off = _varint(rec, off)
                _, off = _slice(rec, off)
                _, off = _slice(rec, off)
                files.add(number)
            else:
                raise ValueError(f"unknown version edit tag {tag} in {name}")
    return files, log_number


def _block(data: bytes, off: int, size: int) -> bytes:
    raw, kind = data[off:off + size], data[off + size]
    if kind == 0:
        return raw
    if kind == 2:
        return zlib.decompress(raw)
    if kind == 4:
        return zlib.decompress(raw, -15)
    raise ValueError(f"block compression {kind} not supported by the test reader")


def _entries(block: bytes):
    restarts = struct.unpack_from("<I", block, len(block) - 4)[0]
    end, off, key = len(block) - 4 - 4 * restarts, 0, b""
    while off < end:
        shared, off = _varint(block, off)
        unshared, off = _varint(block, off)
        vlen, off = _varint(block, off)
        key = key[:shared] + block[off:off + unshared]
        off += unshared
        yield key, block[off:off + vlen]
        off += vlen


def table_entries(path: Path):
    """``(user key, sequence, kind, value)`` of every entry in an ``.ldb`` table."""
    data = path.read_bytes()
    footer = data[-48:]
    assert struct.unpack("<Q", footer[-8:])[0] == 0xDB4775248B80FB57, f"{path.name}: not a LevelDB table"
    _, o = _varint(footer, 0)
    _, o = _varint(footer, o)
    index_off, o = _varint(footer, o)
    index_size, _ = _varint(footer, o)
    for _, handle in _entries(_block(data, index_off, index_size)):
        b_off, o = _varint(handle, 0)
        b_size, _ = _varint(handle, o)
        for ikey, value in _entries(_block(data, b_off, b_size)):
            trailer = struct.unpack("<Q", ikey[-8:])[0]
            yield ikey[:-8], trailer >> 8, trailer & 0xFF, value


def batch_entries(record: bytes):
    """``(key, sequence, kind, value)`` of a write batch."""
    seq, count = struct.unpack_from("<QI", record, 0)
    off = 12
    for i in range(count):
        kind = record[off]
        key, off = _slice(record, off + 1)
        value = b""
        if kind == 1:
            value, off = _slice(record, off)
        yield key, seq + i, kind, value


def read_db(db: Path) -> dict[bytes, bytes]:
    """Every live key and value of a LevelDB folder."""
    tables, log_number = manifest(db)
    best: dict[bytes, tuple[int, int, bytes]] = {}

    def take(entries):
        for key, seq, kind, value in entries:
            if key not in best or best[key][0] < seq:
                best[key] = (seq, kind, value)

    for number in tables:
        path = next(p for p in (db / f"{number:06d}.ldb", db / f"{number:06d}.sst") if p.exists())
        take(table_entries(path))
    for log in sorted(db.glob("*.log")):
        if int(log.stem) >= log_number:
            for rec in log_records(log.read_bytes()):
                take(batch_entries(rec))
    return {k: v for k, (_, kind, v) in best.items() if kind == 1}


def _plain(tag) -> object:
    return str(tag) if isinstance(tag, nbtlib.String) else int(tag)


def decode_subchunk(data: bytes) -> list[tuple[np.ndarray, list[Block]]]:
    """Storages of a sub-chunk: ``(indices of 4096 (x*256 + z*16 + y), palette)`` each."""
    version = data[0]
    if version not in (8, 9):
        raise ValueError(f"sub-chunk version {version} not supported by the test reader")
    count, off = data[1], 3 if version == 9 else 2
    out = []
    for _ in range(count):
        bits = data[off] >> 1
        off += 1
        if bits:
            per = 32 // bits
            words = -(-4096 // per)
            arr = np.frombuffer(data, "<u4", words, off).astype(np.uint64)
            off += 4 * words
            shifts = (np.arange(per) * bits).astype(np.uint64)
            idx = ((arr[:, None] >> shifts) & np.uint64((1 << bits) - 1)).ravel()[:4096].astype(np.int64)
            size = struct.unpack_from("<i", data, off)[0]
            off += 4
        else:
            idx, size = np.zeros(4096, dtype=np.int64), 1
        buf = io.BytesIO(data)
        buf.seek(off)
        palette = []
        for _ in range(size):
            tag = nbtlib.File.parse(buf, byteorder="little")
            palette.append((str(tag["name"]), {k: _plain(v) for k, v in tag.get("states", {}).items()}))
        off = buf.tell()
        out.append((idx, palette))
    return out


class BedrockReader:
    """Blocks of a Bedrock save's overworld, straight from its LevelDB files."""

    def __init__(self, world: Path) -> None:
        self.kv = read_db(Path(world) / "db")
        self._subs: dict[tuple[int, int, int], list] = {}

    def storages(self, cx: int, cz: int, cy: int) -> list[tuple[np.ndarray, list[Block]]]:
        """The decoded storages of sub-chunk ``(cx, cy, cz)``; empty when it is absent."""
        key = (cx, cz, cy)
        if key not in self._subs:
            raw = self.kv.get(struct.pack("<iiBb", cx, cz, 0x2F, cy))
            self._subs[key] = decode_subchunk(raw) if raw is not None else []
        return self._subs[key]

    def layers(self, x: int, y: int, z: int) -> list[Block]:
        """The block of each storage at ``(x, y, z)`` (one for most cells, two where waterlogged)."""
        out = []
        i = (x & 15) * 256 + (z & 15) * 16 + (y & 15)
        for idx, palette in self.storages(x >> 4, z >> 4, y >> 4):
            out.append(palette[int(idx[i])])
        return out

    def block(self, x: int, y: int, z: int) -> Block:
        """The first-layer block (air where the sub-chunk is absent)."""
        got = self.layers(x, y, z)
        return got[0] if got else ("minecraft:air", {})

    def has_chunk(self, cx: int, cz: int) -> bool:
        """True when the chunk has a version record (``,`` or legacy ``v``)."""
        return any(struct.pack("<ii", cx, cz) + t in self.kv for t in (b",", b"v"))
