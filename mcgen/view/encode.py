"""Compact encoding of a voxel grid for embedding in the viewer page.

The page receives, per structure, the size, the palette (block states and preview colours) and
the block indices as one flat array in ``(y, z, x)`` order (x fastest, then z, then y), i.e.
``flat[(y * Z + z) * X + x] == blocks[x, y, z]``. The array is stored in whichever of three forms
is shortest, base64-encoded:

- ``raw8``: one byte per cell (palettes of at most 256 entries);
- ``raw16``: two little-endian bytes per cell;
- ``rle``: unsigned LEB128 varints ``value, run_length, value, run_length, ...``.

Noisy early training samples favour ``raw8``; real buildings (mostly air) favour ``rle``.

A structure whose ``meta`` records which cells were given (``given_runs``, see
:mod:`mcgen.given`) also gets ``given``: the same run lengths, re-ordered to the page's
``(y, z, x)`` order, with ``given_count`` / ``generated_count`` (non-air blocks of each kind);
the page can then mark generated blocks apart from given ones.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

from mcgen.errors import FormatError
from mcgen.given import GIVEN_KEY, decode_given, encode_given
from mcgen.grid import VoxelGrid
from mcgen.view.shapes import block_alpha, block_shape
from mcgen.vocab import color_of


def flat_yzx(blocks: np.ndarray) -> np.ndarray:
    """Flatten ``blocks[x, y, z]`` so that x varies fastest, then z, then y."""
    return np.ascontiguousarray(blocks.transpose(1, 2, 0)).ravel()  # (Y, Z, X) -> (Y*Z*X,)


def varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128 encoding of non-negative integers (vectorised).

    Args:
        values: 1-D array of integers in ``[0, 2**35)``.
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    if v.size == 0:
        return b""
    nbytes = np.ones(v.shape, dtype=np.int64)
    for k in range(1, 5):
        nbytes += v >= (1 << (7 * k))
    offsets = np.concatenate(([0], np.cumsum(nbytes)[:-1]))
    out = np.zeros(int(nbytes.sum()), dtype=np.uint8)
    for k in range(5):
        mask = nbytes > k
        byte = (v[mask] >> (7 * k)) & 0x7F
        more = np.where(nbytes[mask] > k + 1, 0x80, 0)
        out[offsets[mask] + k] = (byte | more).astype(np.uint8)
    return out.tobytes()


def run_lengths(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and lengths of the runs of equal consecutive elements of ``flat``."""
    if flat.size == 0:
        return flat[:0], flat[:0]
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.concatenate((starts, [flat.size])))
    return flat[starts], lengths


def encode_blocks(grid: VoxelGrid) -> tuple[str, str]:
    """Encode the grid's block indices; returns ``(encoding, base64 text)``."""
    flat = flat_yzx(grid.blocks).astype(np.int64)
    values, lengths = run_lengths(flat)
    pairs = np.stack([values, lengths], axis=1).ravel()  # (runs, 2) -> (2*runs,)
    candidates = {"rle": varints(pairs)}
    if len(grid.palette) <= 256:
        candidates["raw8"] = flat.astype(np.uint8).tobytes()
    else:
        candidates["raw16"] = flat.astype("<u2").tobytes()
    enc = min(candidates, key=lambda k: len(candidates[k]))
    return enc, base64.b64encode(candidates[enc]).decode("ascii")


def hex_color(rgb: tuple[int, int, int]) -> str:
    """``(r, g, b)`` -> ``"#rrggbb"``."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def encode_grid(grid: VoxelGrid, name: str, *, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The page's record for one structure (compacted palette, preview colours, encoded blocks).

    ``shapes`` (present when any block is not a full cube) holds, per palette entry, ``None``
    or the boxes of :func:`mcgen.view.shapes.block_shape`; ``alpha`` (present when any block is
    see-through) the opacity of each entry.

    Args:
        grid: the structure.
        name: what the thumbnail and title show (usually the file or folder name).
        extra: additional fields merged into the record (e.g. ``step``, ``sample``).
    """
    g = grid.compact()
    enc, data = encode_blocks(g)
    rec: dict[str, Any] = {
        "name": name,
        "size": list(g.size),
        "palette": g.palette,
        "colors": [hex_color(color_of(s)) for s in g.palette],
        "count": g.count(),
        "enc": enc,
        "data": data,
        "meta": clean_meta({k: v for k, v in g.meta.items() if k != GIVEN_KEY}),
    }
    if GIVEN_KEY in g.meta:
        _add_given(rec, g)
    shapes = [block_shape(st) for st in g.palette]
    if any(shapes):
        rec["shapes"] = shapes
    alpha = [block_alpha(st) for st in g.palette]
    if min(alpha) < 1:
        rec["alpha"] = alpha
    rec.update(extra or {})
    return rec


def _add_given(rec: dict[str, Any], grid: VoxelGrid) -> None:
    """``given`` runs in the page's ``(y, z, x)`` order and the block counts; a malformed mask is
    left out and named in the shown meta instead (the page still shows the blocks)."""
    try:
        mask = decode_given(grid.meta[GIVEN_KEY], grid.size)
    except FormatError as exc:
        rec["meta"][GIVEN_KEY] = f"ignored: {exc}"
        return
    rec["given"] = encode_given(mask.transpose(1, 2, 0))  # (X, Y, Z) -> (Y, Z, X), x fastest
    given_blocks = int(np.count_nonzero(mask & grid.solid))
    rec["given_count"] = given_blocks
    rec["generated_count"] = rec["count"] - given_blocks


def clean_meta(meta: dict[str, Any], *, max_keys: int = 60, max_chars: int = 400) -> dict[str, Any]:
    """A JSON-safe, bounded copy of ``meta``: non-finite numbers become ``None``, other objects and
    over-long values become (shortened) strings, at most ``max_keys`` entries."""
    def one(v: Any) -> Any:
        if v is None or isinstance(v, (bool, int, str)):
            return v if not isinstance(v, str) or len(v) <= max_chars else v[:max_chars] + "…"
        if isinstance(v, float):
            return v if math.isfinite(v) else None
        if isinstance(v, (list, tuple)) and len(v) <= 16:
            return [one(x) for x in v]
        text = json.dumps(v, default=str) if isinstance(v, (dict, list, tuple)) else str(v)
        return text if len(text) <= max_chars else text[:max_chars] + "…"

    return {str(k): one(v) for k, v in list(meta.items())[:max_keys]}


def decode_blocks(rec: dict[str, Any]) -> np.ndarray:
    """Inverse of :func:`encode_blocks` for a record (used by tests and tools).

    Returns:
        ``blocks[x, y, z]`` as int64, shape ``(X, Y, Z)``.

    Raises:
        FormatError: unknown encoding or a length that does not match the size.
    """
    x, y, z = rec["size"]
    raw = base64.b64decode(rec["data"])
    if rec["enc"] == "raw8":
        flat = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    elif rec["enc"] == "raw16":
        flat = np.frombuffer(raw, dtype="<u2").astype(np.int64)
    elif rec["enc"] == "rle":
        nums = _read_varints(raw)
        flat = np.repeat(nums[0::2], nums[1::2])
    else:
        raise FormatError(f"unknown block encoding {rec['enc']!r}")
    if flat.size != x * y * z:
        raise FormatError(f"encoded blocks hold {flat.size} cells, size {rec['size']} needs {x * y * z}")
    return flat.reshape(y, z, x).transpose(2, 0, 1)  # (Y, Z, X) -> (X, Y, Z)


def _read_varints(raw: bytes) -> np.ndarray:
    out, cur, shift = [], 0, 0
    for b in raw:
        cur |= (b & 0x7F) << shift
        if b & 0x80:
            shift += 7
        else:
            out.append(cur)
            cur, shift = 0, 0
    return np.array(out, dtype=np.int64)
