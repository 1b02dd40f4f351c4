"""A minimal, independent reader of Anvil region files for the world tests (no amulet).

Handles the two chunk layouts in the fixtures: ``Level.Sections[].Palette/BlockStates``
(1.16-1.17) and ``sections[].block_states.{palette,data}`` (1.18+), with the 1.16+ packing
(entries never straddle longs, at least 4 bits). NBT is parsed with nbtlib.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from pathlib import Path

import nbtlib
import numpy as np


def read_chunk_nbt(region: Path, cx: int, cz: int) -> nbtlib.Compound | None:
    """The chunk's root compound, or None when the region or the chunk is absent."""
    if not region.is_file():
        return None
    data = region.read_bytes()
    slot = 4 * ((cx & 31) + 32 * (cz & 31))
    loc = int.from_bytes(data[slot:slot + 3], "big")
    if loc == 0:
        return None
    start = loc * 4096
    length, ctype = struct.unpack(">IB", data[start:start + 5])
    payload = data[start + 5:start + 4 + length]
    if ctype == 2:
        raw = zlib.decompress(payload)
    elif ctype == 1:
        raw = gzip.decompress(payload)
    elif ctype == 3:
        raw = payload
    else:
        raise ValueError(f"compression {ctype} not supported by the test reader")
    return nbtlib.File.parse(io.BytesIO(raw))


def _state(entry: nbtlib.Compound) -> str:
    name = str(entry["Name"])
    props = entry.get("Properties")
    if not props:
        return name
    return name + "[" + ",".join(f"{k}={props[k]}" for k in sorted(props)) + "]"


def _unpack(longs, n_palette: int) -> np.ndarray:
    bits = max(4, (n_palette - 1).bit_length())
    per = 64 // bits
    arr = np.array([int(v) & 0xFFFFFFFFFFFFFFFF for v in longs], dtype=np.uint64)
    idx = np.arange(4096)
    words = arr[idx // per]
    shift = ((idx % per) * bits).astype(np.uint64)
    return ((words >> shift) & np.uint64((1 << bits) - 1)).astype(np.int64)


def chunk_sections(root: nbtlib.Compound) -> dict[int, np.ndarray]:
    """Section y -> (16, 16, 16) object array of block-state strings indexed [x, y, z]."""
    level = root.get("Level", root)
    sections = level.get("sections", level.get("Sections", []))
    out = {}
    for sec in sections:
        if "block_states" in sec:
            palette, data = sec["block_states"].get("palette"), sec["block_states"].get("data")
        else:
            palette, data = sec.get("Palette"), sec.get("BlockStates")
        if not palette:
            continue
        names = np.array([_state(p) for p in palette], dtype=object)
        ids = np.zeros(4096, dtype=np.int64) if data is None or len(palette) == 1 else _unpack(data, len(palette))
        out[int(sec["Y"])] = names[ids].reshape(16, 16, 16).transpose(2, 0, 1)  # (y,z,x) -> (x,y,z)
    return out


class RegionReader:
    """Block states of a save, read straight from its region files (cached per chunk)."""

    def __init__(self, world: Path, region_dir: str = "region") -> None:
        self.world = Path(world)
        self.rdir = self.world / region_dir
        self._chunks: dict[tuple[int, int], dict[int, np.ndarray]] = {}
        self._roots: dict[tuple[int, int], nbtlib.Compound | None] = {}

    def root(self, cx: int, cz: int) -> nbtlib.Compound | None:
        if (cx, cz) not in self._roots:
            self._roots[(cx, cz)] = read_chunk_nbt(self.rdir / f"r.{cx >> 5}.{cz >> 5}.mca", cx, cz)
        return self._roots[(cx, cz)]

    def block(self, x: int, y: int, z: int) -> str:
        """``minecraft:name[k=v,...]`` at a world position (air where no section)."""
        key = (x >> 4, z >> 4)
        if key not in self._chunks:
            root = self.root(*key)
            self._chunks[key] = chunk_sections(root) if root is not None else {}
        sec = self._chunks[key].get(y >> 4)
        if sec is None:
            return "minecraft:air"
        return sec[x & 15, y & 15, z & 15]

    def box(self, x0: int, y0: int, z0: int, sx: int, sy: int, sz: int) -> np.ndarray:
        """(sx, sy, sz) object array of states."""
        out = np.empty((sx, sy, sz), dtype=object)
        for i in range(sx):
            for k in range(sz):
                for j in range(sy):
                    out[i, j, k] = self.block(x0 + i, y0 + j, z0 + k)
        return out


# --- helpers shared by the world tests ------------------------------------------------------

def chunk_status(reader: RegionReader, cx: int, cz: int) -> str | None:
    """``Status`` of a chunk without the ``minecraft:`` prefix, None when absent."""
    root = reader.root(cx, cz)
    if root is None:
        return None
    return str(root.get("Level", root).get("Status", "")).removeprefix("minecraft:")


def find_full_block(reader: RegionReader, near: tuple[int, int], w: int = 2, d: int = 2,
                    search: int = 12) -> tuple[int, int]:
    """A chunk ``(cx, cz)`` such that the ``w x d`` chunks from it are all fully generated."""
    c0x, c0z = near
    for r in range(search):
        for cx in range(c0x - r, c0x + r + 1):
            for cz in range(c0z - r, c0z + r + 1):
                if all(chunk_status(reader, cx + i, cz + k) == "full" for i in range(w) for k in range(d)):
                    return cx, cz
    raise AssertionError(f"no {w}x{d} block of full chunks near {near}")


def tree_digest(world: Path, skip: tuple[str, ...] = ("mcgen_backups", "session.lock")) -> dict[str, bytes]:
    """Relative path -> contents of every file in a save (except ``skip``)."""
    out = {}
    for p in sorted(Path(world).rglob("*")):
        rel = p.relative_to(world).as_posix()
        if p.is_file() and not rel.startswith(skip):
            out[rel] = p.read_bytes()
    return out


def column_states(reader: RegionReader, cx: int, cz: int, y0: int, y1: int) -> np.ndarray:
    """(16, y1 - y0, 16) object array of one chunk's states between ``y0`` and ``y1``."""
    root = reader.root(cx, cz)
    secs = chunk_sections(root) if root is not None else {}
    out = np.full((16, y1 - y0, 16), "minecraft:air", dtype=object)
    for cy, arr in secs.items():
        lo, hi = max(y0, cy * 16), min(y1, cy * 16 + 16)
        if lo < hi:
            out[:, lo - y0:hi - y0, :] = arr[:, lo - cy * 16:hi - cy * 16, :]
    return out
