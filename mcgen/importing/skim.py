"""A light NBT skimmer: walks the bytes without building the big parts of the tree.

Compounds near the root become dicts and numbers become ints, but byte/int/long arrays and
strings are only measured, and a long list of compounds (a structure file's ``blocks``) is
summarised as :class:`ListSummary` (its length and how many elements carry block-entity data)
instead of being built. So peeking at a 300^3 structure costs a walk over its bytes, not a few
gigabytes of Python objects. A truncated input yields the part of the tree read so far.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_FIXED = {1: 1, 2: 2, 3: 4, 4: 8, 5: 4, 6: 8}  # byte, short, int, long, float, double
_ARRAY = {7: 1, 11: 4, 12: 8}  # byte, int, long arrays: element width
_FORMATS = {1: "b", 2: "h", 3: "i", 4: "q", 5: "f", 6: "d"}
BIG_LIST = 64  # lists of compounds longer than this are summarised, not built
MAX_DEPTH = 6  # compounds deeper than this are walked, not built
_BE_KEYS = ("nbt", "block_entity_data")


class Truncated(Exception):
    """The data ended inside a tag."""


class _Enough(Exception):
    """The caller's ``stop`` predicate is satisfied: the rest is not needed."""


@dataclass
class ListSummary:
    """A long list of compounds, not built.

    Attributes:
        length: number of elements.
        with_block_entity: elements holding an ``nbt`` or ``block_entity_data`` key.
    """

    length: int
    with_block_entity: int = 0

    def __len__(self) -> int:
        return self.length


@dataclass(frozen=True)
class Blob:
    """A byte/int/long array or a long string, measured but not read."""

    length: int

    def __len__(self) -> int:
        return self.length


class _Walker:
    def __init__(self, data: bytes, little: bool, stop: Callable[[dict], bool] | None = None) -> None:
        self.data, self.pos = memoryview(data), 0
        self.end = "<" if little else ">"
        self.stop = stop

    def take(self, n: int) -> memoryview:
        if n < 0 or self.pos + n > len(self.data):
            raise Truncated
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def num(self, tag: int) -> Any:
        return struct.unpack(self.end + _FORMATS[tag], self.take(_FIXED[tag]))[0]

    def length(self) -> int:
        return struct.unpack(self.end + "i", self.take(4))[0]

    def name(self) -> str:
        n = struct.unpack(self.end + "H", self.take(2))[0]
        return bytes(self.take(n)).decode("utf-8", "replace")

    def value(self, tag: int, depth: int) -> Any:
        if tag in _FIXED:
            return self.num(tag)
        if tag in _ARRAY:
            n = self.length()
            self.take(n * _ARRAY[tag])
            return Blob(n)
        if tag == 8:
            n = struct.unpack(self.end + "H", self.take(2))[0]
            raw = self.take(n)
            return bytes(raw).decode("utf-8", "replace") if n <= 256 else Blob(n)
        if tag == 9:
            return self.list(depth)
        if tag == 10:
            return self.compound(depth, {} if depth <= MAX_DEPTH else None)
        raise ValueError(f"unknown NBT tag type {tag}")

    def list(self, depth: int) -> Any:
        elem, n = self.take(1)[0], self.length()
        if n <= 0:
            return []
        if elem in _FIXED and n > BIG_LIST:
            self.take(n * _FIXED[elem])
            return Blob(n)
        if elem == 10 and n > BIG_LIST:
            summary = ListSummary(n)
            for _ in range(n):
                keys: set[str] = set()
                self.compound(depth + 1, None, keys)
                summary.with_block_entity += any(k in keys for k in _BE_KEYS)
            return summary
        out: list[Any] = []
        for _ in range(n):
            out.append(self.value(elem, depth + 1))
        return out

    def compound(self, depth: int, into: dict | None, keys: set[str] | None = None) -> Any:
        """Read a compound into ``into`` (filled as it goes, so a truncated read keeps what it saw)."""
        while True:
            tag = self.take(1)[0]
            if tag == 0:
                return into if into is not None else Blob(0)
            key = self.name()
            if keys is not None:
                keys.add(key)
            if into is None:
                self.skip(tag, depth + 1)
            elif tag == 10 and depth + 1 <= MAX_DEPTH:
                child: dict = {}
                into[key] = child  # attach first: a truncated child still shows up
                self.compound(depth + 1, child)
            else:
                into[key] = self.value(tag, depth + 1)
            if depth == 0 and self.stop is not None and into is not None and self.stop(into):
                raise _Enough

    def skip(self, tag: int, depth: int) -> None:
        if tag == 10:
            self.compound(depth, None)
        elif tag == 9:
            elem, n = self.take(1)[0], self.length()
            if elem in _FIXED:
                self.take(max(0, n) * _FIXED[elem])
            else:
                for _ in range(max(0, n)):
                    self.skip(elem, depth + 1)
        else:
            self.value(tag, depth)


def skim(data: bytes, *, little_endian: bool = False,
         stop: Callable[[dict], bool] | None = None) -> tuple[dict, bool]:
    """Walk an uncompressed NBT document.

    Args:
        data: the NBT bytes.
        little_endian: Bedrock byte order.
        stop: called with the root dict after each top-level tag; True ends the walk there.

    Returns:
        ``(root, complete)``: the root compound as a light tree, and False when the data ended
        early (``root`` then holds what came before) or ``stop`` ended the walk.

    Raises:
        ValueError: not NBT (no root compound, unknown tag types).
    """
    w = _Walker(data, little_endian, stop)
    root: dict = {}
    try:
        if w.take(1)[0] != 10:
            raise ValueError("NBT root is not a compound")
        w.name()
        w.compound(0, root)
    except (Truncated, _Enough):
        return root, False
    except (struct.error, IndexError) as exc:
        raise ValueError(f"malformed NBT ({exc})") from exc
    return root, True
