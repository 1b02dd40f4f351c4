"""A small, bounded NBT codec (big- and little-endian) for the structure formats.

Why not parse with nbtlib: a hostile or corrupt file can declare a list of 2**31 empty
entries or a 100000**3 block array, and a general-purpose parser allocates first and asks
later. This decoder checks every declared length against the bytes that are actually left,
caps the decompressed size and the nesting depth, and raises one-line :class:`FormatError`\\ s.
The encoder writes the same tree shape and accepts pre-encoded list payloads, so the
writers can emit large block lists straight from numpy without per-block Python objects.

Decoded values: compounds are :class:`TagDict` (a ``dict`` with ``types[key] -> tag id``),
lists are :class:`TagList` (a ``list`` with ``elem``), numbers are ``int``/``float``,
strings ``str``, arrays 1-D numpy arrays (native byte order).
Encoded values: ``(tag_id, value)`` pairs; compounds are dicts of such pairs, lists are
``(LIST, (elem_id, [values]))`` or ``(LIST, (elem_id, RawList(count, payload)))``.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from mcgen.errors import FormatError

END, BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, BYTE_ARRAY, STRING, LIST, COMPOUND, INT_ARRAY, LONG_ARRAY = range(13)
TAG_NAMES = ("End", "Byte", "Short", "Int", "Long", "Float", "Double", "ByteArray", "String", "List",
             "Compound", "IntArray", "LongArray")
MAX_DECOMPRESSED = 512 * 1024 * 1024  # bytes; far above any real structure file
MAX_DEPTH = 512  # Minecraft itself stops at 512
_SCALAR = {BYTE: "b", SHORT: "h", INT: "i", LONG: "q", FLOAT: "f", DOUBLE: "d"}
_ARRAY = {BYTE_ARRAY: "i1", INT_ARRAY: "i4", LONG_ARRAY: "i8"}
_MIN_SIZE = {END: 0, BYTE: 1, SHORT: 2, INT: 4, LONG: 8, FLOAT: 4, DOUBLE: 8, BYTE_ARRAY: 4, STRING: 2,
             LIST: 5, COMPOUND: 1, INT_ARRAY: 4, LONG_ARRAY: 4}


class TagDict(dict):
    """A decoded compound: a ``dict`` plus ``types`` (key -> tag id)."""

    def __init__(self) -> None:
        super().__init__()
        self.types: dict[str, int] = {}


class TagList(list):
    """A decoded list: a ``list`` plus ``elem`` (the element tag id)."""

    def __init__(self, elem: int, items: list) -> None:
        super().__init__(items)
        self.elem = elem


class BlockRecords(TagList):
    """A List of ``{pos: [x, y, z], state: Int}`` compounds decoded in one numpy pass.

    Structure files hold one such compound per block; decoding them one by one costs ~50 us
    each. ``state`` (n,) and ``pos`` (n, 3) hold the values; iterating still yields
    :class:`TagDict` entries (built on demand) so generic code keeps working.
    """

    def __init__(self, state: np.ndarray, pos: np.ndarray) -> None:
        super().__init__(COMPOUND, [])
        self.state, self.pos = state, pos

    def __len__(self) -> int:
        return int(self.state.size)

    def __bool__(self) -> bool:
        return self.state.size > 0

    def __getitem__(self, i):  # type: ignore[override]
        d = TagDict()
        d["pos"] = TagList(INT, [int(v) for v in self.pos[i]])
        d["state"] = int(self.state[i])
        d.types.update(pos=LIST, state=INT)
        return d

    def __iter__(self):  # type: ignore[override]
        return (self[i] for i in range(len(self)))


# Fixed byte layouts of a block compound (big-endian), in the two key orders seen in files.
_POS_HDR = b"\x09\x00\x03pos\x03\x00\x00\x00\x03"
_STATE_HDR = b"\x03\x00\x05state"
_RECORD_LAYOUTS = [
    (np.dtype([("h1", "V11"), ("pos", ">i4", 3), ("h2", "V8"), ("state", ">i4"), ("end", "V1")]),
     _POS_HDR, _STATE_HDR),
    (np.dtype([("h2", "V8"), ("state", ">i4"), ("h1", "V11"), ("pos", ">i4", 3), ("end", "V1")]),
     _POS_HDR, _STATE_HDR),
]
_FAST_MIN = 32


@dataclass(frozen=True)
class RawList:
    """A pre-encoded list payload: ``count`` elements already serialised in ``payload``."""

    count: int
    payload: bytes


@dataclass(frozen=True)
class NbtFile:
    """A decoded file: root name and compound, and how it was stored."""

    root_name: str
    root: TagDict
    gzipped: bool
    little_endian: bool


def encode_mutf8(s: str) -> bytes:
    """Java's modified UTF-8: NUL as C0 80, characters above U+FFFF as two 3-byte surrogates."""
    units = s.encode("utf-16-be", "surrogatepass")
    chars = "".join(chr(int.from_bytes(units[i:i + 2], "big")) for i in range(0, len(units), 2))
    return chars.encode("utf-8", "surrogatepass").replace(b"\x00", b"\xc0\x80")


def decode_mutf8(raw: bytes) -> str:
    """Inverse of :func:`encode_mutf8`; undecodable bytes become U+FFFD."""
    raw = raw.replace(b"\xc0\x80", b"\x00")
    try:
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")
    return text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "replace")


# --- decoding -------------------------------------------------------------------------------
def decompress(data: bytes, *, source: object = None, limit: int = MAX_DECOMPRESSED) -> tuple[bytes, bool]:
    """Return ``(raw, was_gzipped)``; gzip (or zlib) input is inflated with a size cap.

    Raises:
        FormatError: truncated or corrupt compressed data, or more than ``limit`` bytes.
    """
    if data[:2] == b"\x1f\x8b":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif len(data) > 1 and data[0] == 0x78 and (data[0] * 256 + data[1]) % 31 == 0:
        d = zlib.decompressobj()
    else:
        return data, False
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise FormatError(f"corrupt compressed data ({exc})", path=source) from exc
    if len(out) > limit:
        raise FormatError(f"decompresses to more than {limit // (1024 * 1024)} MiB; refusing", path=source)
    if not d.eof:
        raise FormatError("truncated compressed data (unexpected end of stream)", path=source)
    return out, True


class _Reader:
    # The hot paths (tag bytes, names, scalars) read ``self.data`` with ``unpack_from`` and plain
    # indexing instead of slicing a memoryview: block entities make a file mostly small tags.
    def __init__(self, data: bytes, little: bool, source: object) -> None:
        self.data = bytes(data)
        self.buf = memoryview(self.data)
        self.size = len(self.data)
        self.pos = 0
        self.e = "<" if little else ">"
        self.source = source
        self.structs = {t: struct.Struct(self.e + c) for t, c in _SCALAR.items()}
        self.u16 = struct.Struct(self.e + "H")

    def fail(self, msg: str) -> FormatError:
        return FormatError(f"corrupt NBT at byte {self.pos}: {msg}", path=self.source)

    def short_of(self, n: int) -> FormatError:
        return self.fail(f"needs {n} more bytes but only {self.size - self.pos} are left (truncated?)")

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > self.size:
            raise self.short_of(n)
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def scalar(self, tag: int) -> Any:
        s = self.structs[tag]
        pos = self.pos
        if pos + s.size > self.size:
            raise self.short_of(s.size)
        self.pos = pos + s.size
        return s.unpack_from(self.data, pos)[0]

    def string(self) -> str:
        pos = self.pos
        if pos + 2 > self.size:
            raise self.short_of(2)
        n = self.u16.unpack_from(self.data, pos)[0]
        end = pos + 2 + n
        if end > self.size:
            self.pos = pos + 2
            raise self.short_of(n)
        self.pos = end
        raw = self.data[pos + 2:end]
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return decode_mutf8(raw)

    def count(self, elem: int) -> int:
        n = self.scalar(INT)
        left = self.size - self.pos
        if n < 0:
            raise self.fail(f"negative length {n}")
        if elem == END and n > 0:
            raise self.fail(f"list of {n} End tags")
        if n * _MIN_SIZE[elem] > left:
            raise self.fail(f"declares {n} {TAG_NAMES[elem]} entries but only {left} bytes are left")
        return n

    def payload(self, tag: int, depth: int) -> Any:
        if tag in _SCALAR:
            return self.scalar(tag)
        if tag == STRING:
            return self.string()
        if tag in _ARRAY:
            dt = np.dtype(self.e + _ARRAY[tag])
            n = self.count(BYTE)
            if n * dt.itemsize > len(self.buf) - self.pos:
                raise self.fail(f"declares a {TAG_NAMES[tag]} of {n} entries but the file is shorter")
            return np.frombuffer(self.take(n * dt.itemsize), dtype=dt).astype(dt.newbyteorder("="))
        if depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        if tag == LIST:
            elem = self.byte_tag()
            n = self.count(elem)
            if elem == COMPOUND and n >= _FAST_MIN and self.e == ">":
                fast = self.block_records(n)
                if fast is not None:
                    return fast
            return TagList(elem, [self.payload(elem, depth + 1) for _ in range(n)])
        if tag == COMPOUND:
            out = TagDict()
            while True:
                t = self.byte_tag()
                if t == END:
                    return out
                name = self.string()
                out[name] = self.payload(t, depth + 1)
                out.types[name] = t
        raise self.fail(f"unknown tag type {tag}")

    def block_records(self, n: int) -> BlockRecords | None:
        """Decode ``n`` block compounds at once when every one has the fixed layout, else None."""
        for dt, pos_hdr, state_hdr in _RECORD_LAYOUTS:
            size = dt.itemsize * n
            if self.pos + size > len(self.buf):
                return None
            rec = np.frombuffer(self.buf[self.pos:self.pos + size], dtype=dt)
            if (rec["h1"][0].tobytes() != pos_hdr or rec["h2"][0].tobytes() != state_hdr):
                continue
            ok = (np.all(rec["h1"] == rec["h1"][0]) and np.all(rec["h2"] == rec["h2"][0])
                  and not rec["end"].view(np.uint8).any())
            if not ok:
                return None
            self.pos += size
            return BlockRecords(rec["state"].astype(np.int64), rec["pos"].astype(np.int64))
        return None

    def byte_tag(self) -> int:
        pos = self.pos
        if pos >= self.size:
            raise self.short_of(1)
        t = self.data[pos]
        self.pos = pos + 1
        if t > LONG_ARRAY:
            raise self.fail(f"unknown tag type {t}")
        return t


def parse(raw: bytes, *, little_endian: bool = False, source: object = None) -> tuple[str, TagDict]:
    """Decode uncompressed NBT whose root is a compound; return ``(root_name, root)``.

    Raises:
        FormatError: not NBT, truncated, lengths that exceed the data, trailing garbage.
    """
    r = _Reader(raw, little_endian, source)
    if not raw:
        raise FormatError("empty file", path=source)
    if raw[0] != COMPOUND:
        raise FormatError("not an NBT file (the root tag is not a compound)", path=source)
    r.pos = 1
    name = r.string()
    root = r.payload(COMPOUND, 0)
    if r.pos != len(raw):
        raise FormatError(f"not a single NBT document: {len(raw) - r.pos} extra bytes after the root", path=source)
    return name, root


def load_bytes(data: bytes, *, source: object = None, little_endian: bool | None = None) -> NbtFile:
    """Decompress if needed and decode; byte order is sniffed when ``little_endian`` is None.

    Raises:
        FormatError: see :func:`parse` and :func:`decompress`.
    """
    raw, gz = decompress(data, source=source)
    if little_endian is not None:
        name, root = parse(raw, little_endian=little_endian, source=source)
        return NbtFile(name, root, gz, little_endian)
    first = _looks_little_endian(raw)
    try:
        name, root = parse(raw, little_endian=first, source=source)
        return NbtFile(name, root, gz, first)
    except FormatError as exc:
        try:
            name, root = parse(raw, little_endian=not first, source=source)
        except FormatError:
            raise exc from None
        return NbtFile(name, root, gz, not first)


def _looks_little_endian(raw: bytes) -> bool:
    # Root: 0x0A, a u16 name length, the name, then the first child (tag byte, u16 name
    # length). Names are short, so the byte order that reads the smaller length wins.
    if len(raw) < 3 or raw[0] != COMPOUND:
        return False
    be, le = int.from_bytes(raw[1:3], "big"), int.from_bytes(raw[1:3], "little")
    if be != le:
        return le < be
    at = 3 + be + 1
    if len(raw) < at + 2:
        return False
    return int.from_bytes(raw[at:at + 2], "little") < int.from_bytes(raw[at:at + 2], "big")


# --- encoding -------------------------------------------------------------------------------
class _Writer:
    def __init__(self, little: bool) -> None:
        self.e = "<" if little else ">"
        self.parts: list[bytes] = []
        self.structs = {t: struct.Struct(self.e + c) for t, c in _SCALAR.items()}
        self.u16 = struct.Struct(self.e + "H")
        self.i32 = struct.Struct(self.e + "i")

    def string(self, s: str) -> None:
        b = s.encode("ascii") if s.isascii() and "\x00" not in s else encode_mutf8(s)
        if len(b) > 65535:
            raise FormatError(f"string of {len(b)} bytes is too long for NBT")
        self.parts.append(self.u16.pack(len(b)) + b)

    def payload(self, tag: int, value: Any) -> None:
        if tag in _SCALAR:
            self.parts.append(self.structs[tag].pack(value))
        elif tag == STRING:
            self.string(value)
        elif tag in _ARRAY:
            arr = np.ascontiguousarray(value, dtype=np.dtype(self.e + _ARRAY[tag]))
            self.parts.append(self.i32.pack(arr.size))
            self.parts.append(arr.tobytes())
        elif tag == LIST:
            elem, items = value
            if isinstance(items, RawList):
                self.parts.append(bytes([elem]) + self.i32.pack(items.count))
                self.parts.append(items.payload)
                return
            self.parts.append(bytes([elem if items else END]) + self.i32.pack(len(items)))
            for item in items:
                self.payload(elem, item)
        elif tag == COMPOUND:
            for key, (t, v) in value.items():
                self.parts.append(bytes([t]))
                self.string(key)
                self.payload(t, v)
            self.parts.append(b"\x00")
        else:
            raise ValueError(f"unknown tag type {tag}")


def encode(root: dict, *, root_name: str = "", little_endian: bool = False) -> bytes:
    """Serialise a compound of ``(tag_id, value)`` pairs to uncompressed NBT bytes."""
    w = _Writer(little_endian)
    w.parts.append(bytes([COMPOUND]))
    w.string(root_name)
    w.payload(COMPOUND, root)
    return b"".join(w.parts)


def gzip_bytes(raw: bytes, level: int = 4) -> bytes:
    """Gzip ``raw`` with a fixed mtime (reproducible files).

    Level 4 gives files within ~1 % of level 6 at half the time for typical structures.
    """
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0) as gz:
        gz.write(raw)
    return buf.getvalue()


# --- typed access for readers --------------------------------------------------------------------
def type_name(d: TagDict, key: str) -> str:
    """Tag type name of ``d[key]`` (``"missing"`` when absent)."""
    return TAG_NAMES[d.types[key]] if key in d.types else "missing"


def get(d: Any, key: str, tags: tuple[int, ...], *, what: str, source: object = None, default: Any = ...) -> Any:
    """``d[key]`` checked to be one of ``tags``; ``default`` when missing (error if not given).

    Raises:
        FormatError: ``d`` is not a compound, ``key`` missing (no default) or of the wrong type.
    """
    if not isinstance(d, TagDict):
        raise FormatError(f"{what}: expected a compound", path=source)
    if key not in d:
        if default is ...:
            raise FormatError(f"{what}: missing tag {key!r}", path=source)
        return default
    if d.types[key] not in tags:
        want = " or ".join(TAG_NAMES[t] for t in tags)
        raise FormatError(f"{what}: tag {key!r} is {TAG_NAMES[d.types[key]]}, expected {want}", path=source)
    return d[key]
