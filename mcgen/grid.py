"""The voxel data model: a ``[x, y, z]`` array of palette indices (y up), and its two files.

JSON (``*.json``)::

    {"format": "mcgen.voxels", "version": 1, "size": [X, Y, Z],
     "palette": ["minecraft:air", ...],
     "voxels": [{"x": 0, "y": 0, "z": 0, "block": "minecraft:stone"}, ...],
     "meta": {...}}

``voxels`` lists every non-air block exactly once. NPZ (``voxels.npz``): ``blocks`` (uint16,
``(X, Y, Z)``) and ``palette`` (str array), loaded without pickle.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcgen.blocks import AIR, check_canonical, transform_state
from mcgen.errors import BlockStateError, FormatError
from mcgen.fsutil import atomic_write_bytes

JSON_FORMAT = "mcgen.voxels"
JSON_VERSION = 1
MAX_AXIS = 4096  # refuse declared sizes beyond this before allocating anything


@dataclass
class VoxelGrid:
    """A structure: ``blocks[x, y, z]`` indexes ``palette``; ``palette[0]`` is air.

    Attributes:
        blocks: integer array, shape ``(X, Y, Z)``.
        palette: canonical block-state strings, ``palette[0] == "minecraft:air"``.
        meta: free-form metadata (label, seed, source, ...).
    """

    blocks: np.ndarray
    palette: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.blocks = np.asarray(self.blocks)
        self.palette = list(self.palette)
        if self.blocks.ndim != 3:
            raise FormatError(f"blocks must be 3-D (X, Y, Z), got shape {self.blocks.shape}")
        if not np.issubdtype(self.blocks.dtype, np.integer):
            raise FormatError(f"blocks must be integers, got {self.blocks.dtype}")
        if not self.palette or self.palette[0] != AIR:
            raise FormatError(f"palette[0] must be {AIR!r}, got {self.palette[:1]}")
        for state in self.palette:
            check_canonical(state)
        if len(set(self.palette)) != len(self.palette):
            raise FormatError("palette has duplicate entries")
        if self.blocks.size and (self.blocks.min() < 0 or self.blocks.max() >= len(self.palette)):
            raise FormatError(
                f"block index out of range: values {int(self.blocks.min())}..{int(self.blocks.max())}"
                f" with a palette of {len(self.palette)}"
            )
        self.blocks = self.blocks.astype(np.uint16 if len(self.palette) < 65536 else np.uint32)

    # --- construction ------------------------------------------------------------------
    @classmethod
    def empty(cls, size: tuple[int, int, int], meta: dict | None = None) -> VoxelGrid:
        """An all-air grid of ``size`` (X, Y, Z)."""
        return cls(np.zeros(size, dtype=np.uint16), [AIR], dict(meta or {}))

    @classmethod
    def from_states(cls, states: np.ndarray, meta: dict | None = None) -> VoxelGrid:
        """Build from an ``(X, Y, Z)`` array of block-state strings (``AIR`` for empty)."""
        uniq, inv = np.unique(np.asarray(states, dtype=object).astype(str), return_inverse=True)
        palette = [AIR] + [s for s in uniq.tolist() if s != AIR]
        lut = np.array([palette.index(s) for s in uniq.tolist()], dtype=np.int64)
        return cls(lut[inv].reshape(np.shape(states)), palette, dict(meta or {}))

    # --- properties --------------------------------------------------------------------
    @property
    def size(self) -> tuple[int, int, int]:
        """``(X, Y, Z)``."""
        return tuple(int(s) for s in self.blocks.shape)  # type: ignore[return-value]

    @property
    def solid(self) -> np.ndarray:
        """Boolean ``(X, Y, Z)`` mask of non-air voxels."""
        return self.blocks != 0

    def count(self) -> int:
        """Number of non-air blocks."""
        return int(np.count_nonzero(self.blocks))

    def state_at(self, x: int, y: int, z: int) -> str:
        """Block state at ``(x, y, z)``."""
        return self.palette[int(self.blocks[x, y, z])]

    def histogram(self) -> dict[str, int]:
        """Non-air block state -> count."""
        counts = np.bincount(self.blocks.ravel(), minlength=len(self.palette))
        return {self.palette[i]: int(c) for i, c in enumerate(counts) if i and c}

    def __eq__(self, other: object) -> bool:
        """Same size and same block state at every position (palette order and meta ignored)."""
        if not isinstance(other, VoxelGrid) or self.size != other.size:
            return False
        a = np.array(self.palette, dtype=object)[self.blocks]
        b = np.array(other.palette, dtype=object)[other.blocks]
        return bool(np.all(a == b))

    # --- palette operations -------------------------------------------------------------
    def compact(self) -> VoxelGrid:
        """Drop unused palette entries (air stays at 0); the rest keep their palette order."""
        used = np.flatnonzero(np.bincount(self.blocks.ravel(), minlength=len(self.palette)))  # sorted, no sort
        keep = [0] + [int(i) for i in used if i != 0]
        lut = np.zeros(len(self.palette), dtype=np.int64)
        lut[keep] = np.arange(len(keep))
        return VoxelGrid(lut[self.blocks], [self.palette[i] for i in keep], dict(self.meta))

    def remap(self, palette: list[str]) -> np.ndarray:
        """Indices of this grid's blocks in another ``palette`` (which must hold every state used).

        Raises:
            FormatError: a used state is missing from ``palette``.
        """
        index = {s: i for i, s in enumerate(palette)}
        used = np.unique(self.blocks)
        missing = [self.palette[i] for i in used if self.palette[i] not in index]
        if missing:
            raise FormatError(f"{len(missing)} block state(s) not in the vocabulary: {', '.join(missing[:5])}")
        lut = np.zeros(len(self.palette), dtype=np.int64)
        for i in used:
            lut[i] = index[self.palette[i]]
        return lut[self.blocks]

    # --- symmetries -------------------------------------------------------------------------
    def transformed(self, quarter_turns: int = 0, mirror: bool = False) -> VoxelGrid:
        """Mirror east<->west (first), then turn clockwise seen from above, remapping states."""
        b = self.blocks
        if mirror:
            b = b[::-1]  # (X, Y, Z): flip x
        for _ in range(quarter_turns % 4):
            # (x, z) -> (Z-1-z, x): new[x', y, z'] = old[z', y, Z-1-x']
            b = b.transpose(2, 1, 0)[::-1]  # (Z, Y, X)
        palette = [transform_state(s, quarter_turns, mirror) for s in self.palette]
        return self._merged(np.ascontiguousarray(b), palette)

    def mapped(self, fn: Callable[[str], str]) -> VoxelGrid:
        """The same voxels with every palette state passed through ``fn`` (states made equal merge).

        Returns ``self`` when ``fn`` changes nothing.
        """
        palette = [fn(s) for s in self.palette]
        return self if palette == self.palette else self._merged(self.blocks, palette)

    def _merged(self, blocks: np.ndarray, palette: list[str]) -> VoxelGrid:
        """A grid of ``blocks`` indexing ``palette``, whose repeated states become one entry."""
        merged: dict[str, int] = {}
        lut = np.array([merged.setdefault(s, len(merged)) for s in palette], dtype=np.int64)
        return VoxelGrid(lut[blocks], list(merged), dict(self.meta))

    # --- JSON -------------------------------------------------------------------------------
    def to_json_dict(self) -> dict[str, Any]:
        """The JSON contract as a dict (compacted palette, voxels in x, y, z order)."""
        g = self.compact()
        xs, ys, zs = np.nonzero(g.blocks)
        ids = g.blocks[xs, ys, zs]
        pal = g.palette
        voxels = [
            {"x": int(x), "y": int(y), "z": int(z), "block": pal[i]}
            for x, y, z, i in zip(xs.tolist(), ys.tolist(), zs.tolist(), ids.tolist())
        ]
        return {
            "format": JSON_FORMAT, "version": JSON_VERSION, "size": list(g.size),
            "palette": pal, "voxels": voxels, "meta": g.meta,
        }

    def to_json(self) -> str:
        """Serialise to the JSON contract (one voxel per line, so diffs stay readable).

        The text equals ``json.dumps`` of :meth:`to_json_dict`'s voxels line by line; it is
        formatted directly, without a dict per voxel (about 3x faster on a full 32^3 build).
        """
        g = self.compact()
        xs, ys, zs = np.nonzero(g.blocks)
        ids = g.blocks[xs, ys, zs]
        enc = [json.dumps(s) for s in g.palette]
        head = {"format": JSON_FORMAT, "version": JSON_VERSION, "size": list(g.size), "palette": g.palette,
                "meta": g.meta}
        lines = ",\n  ".join(f'{{"x": {x}, "y": {y}, "z": {z}, "block": {enc[i]}}}'
                              for x, y, z, i in zip(xs.tolist(), ys.tolist(), zs.tolist(), ids.tolist()))
        body = json.dumps(head, indent=1)[:-2]
        return f'{body},\n "voxels": [\n  {lines}\n ]\n}}\n' if lines else f'{body},\n "voxels": []\n}}\n'

    @classmethod
    def from_json_dict(cls, d: Any, *, source: object = None) -> VoxelGrid:
        """Read the JSON contract, rejecting anything that breaks it.

        Raises:
            FormatError: wrong format/version, bad size, unknown block, duplicate or
                out-of-range voxel; the message says what and where.
        """
        def bad(msg: str) -> FormatError:
            return FormatError(msg, path=source)

        if not isinstance(d, dict):
            raise bad("not an mcgen voxel JSON object")
        if d.get("format") != JSON_FORMAT:
            raise bad(f"unknown format {d.get('format')!r} (expected {JSON_FORMAT!r})")
        if d.get("version") != JSON_VERSION:
            raise bad(f"unsupported version {d.get('version')!r} (this mcgen reads version {JSON_VERSION})")
        size = d.get("size")
        if (not isinstance(size, list) or len(size) != 3
                or not all(isinstance(s, int) and not isinstance(s, bool) for s in size)):
            raise bad(f"size must be three integers, got {size!r}")
        if any(s < 0 or s > MAX_AXIS for s in size):
            raise bad(f"size {size} out of range (0..{MAX_AXIS} per axis)")
        palette = d.get("palette")
        if not isinstance(palette, list) or not palette or palette[0] != AIR:
            raise bad(f"palette must be a list starting with {AIR!r}")
        for i, s in enumerate(palette):
            try:
                check_canonical(s)
            except BlockStateError as exc:
                raise bad(f"palette[{i}]: {exc}") from exc
        index = {s: i for i, s in enumerate(palette)}
        if len(index) != len(palette):
            raise bad("palette has duplicate entries")
        voxels = d.get("voxels")
        if not isinstance(voxels, list):
            raise bad("voxels must be a list")
        blocks = np.zeros(size, dtype=np.uint16 if len(palette) < 65536 else np.uint32)
        seen = np.zeros(size, dtype=bool)
        for n, v in enumerate(voxels):
            try:
                x, y, z, block = v["x"], v["y"], v["z"], v["block"]
            except (TypeError, KeyError) as exc:
                raise bad(f"voxels[{n}]: needs x, y, z and block") from exc
            if not all(isinstance(c, int) and not isinstance(c, bool) for c in (x, y, z)):
                raise bad(f"voxels[{n}]: coordinates must be integers, got {(x, y, z)!r}")
            if not (0 <= x < size[0] and 0 <= y < size[1] and 0 <= z < size[2]):
                raise bad(f"voxels[{n}]: ({x}, {y}, {z}) is outside size {size}")
            i = index.get(block)
            if i is None:
                raise bad(f"voxels[{n}] at ({x}, {y}, {z}): block {block!r} is not in the palette")
            if i == 0:
                raise bad(f"voxels[{n}] at ({x}, {y}, {z}): air must not be listed")
            if seen[x, y, z]:
                raise bad(f"voxels[{n}]: duplicate voxel at ({x}, {y}, {z})")
            seen[x, y, z] = True
            blocks[x, y, z] = i
        meta = d.get("meta", {})
        if not isinstance(meta, dict):
            raise bad("meta must be an object")
        return cls(blocks, palette, meta)

    # --- NPZ --------------------------------------------------------------------------------
    def to_npz_bytes(self) -> bytes:
        """``blocks`` (uint16) and ``palette`` (unicode array), no pickled objects."""
        buf = io.BytesIO()
        g = self.compact()
        np.savez_compressed(buf, blocks=g.blocks.astype(np.uint16), palette=np.array(g.palette, dtype=str))
        return buf.getvalue()

    @classmethod
    def from_npz(cls, path: str | os.PathLike, meta: dict | None = None) -> VoxelGrid:
        """Load ``voxels.npz`` without pickle.

        Raises:
            FormatError: missing arrays, wrong dtype or shape, bad palette.
        """
        try:
            with np.load(path, allow_pickle=False) as z:
                if "blocks" not in z or "palette" not in z:
                    raise FormatError("NPZ must hold 'blocks' and 'palette'", path=path)
                blocks, palette = z["blocks"], z["palette"]
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise FormatError(f"not a readable NPZ file ({exc})", path=path) from exc
        if blocks.ndim != 3 or not np.issubdtype(blocks.dtype, np.integer):
            raise FormatError(f"'blocks' must be a 3-D integer array, got {blocks.dtype}{blocks.shape}", path=path)
        if palette.ndim != 1 or palette.dtype.kind != "U":
            raise FormatError("'palette' must be a 1-D string array", path=path)
        try:
            return cls(blocks, palette.tolist(), dict(meta or {}))
        except (FormatError, BlockStateError) as exc:
            raise FormatError(str(exc), path=path) from exc


def save_json(grid: VoxelGrid, path: str | os.PathLike) -> None:
    """Write ``grid`` as voxel JSON, atomically."""
    atomic_write_bytes(path, grid.to_json().encode("utf-8"))


def load_json(path: str | os.PathLike) -> VoxelGrid:
    """Read voxel JSON.

    Raises:
        FormatError: not JSON, or breaks the contract.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read: {exc}", path=path) from exc
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON at line {exc.lineno}: {exc.msg}", path=path) from exc
    return VoxelGrid.from_json_dict(d, source=path)


def save_npz(grid: VoxelGrid, path: str | os.PathLike) -> None:
    """Write ``grid`` as ``voxels.npz``, atomically."""
    atomic_write_bytes(path, grid.to_npz_bytes())
