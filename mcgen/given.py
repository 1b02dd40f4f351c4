"""Which cells of a structure were given (kept from the input) and which were generated.

A completed structure records it in its voxel JSON as ``meta["given_runs"]``: a run-length
encoding of the boolean mask "this cell was given" over the grid flattened in C order of
``blocks[x, y, z]`` (x slowest, z fastest: cell ``(x, y, z)`` is number ``(x * Y + y) * Z + z``).
The runs alternate between not-given (generated) and given cells, starting with not-given, so the
first run is 0 when cell ``(0, 0, 0)`` was given::

    [12, 4, 100]   # 12 generated cells, 4 given, 100 generated (a grid of 116 cells)
    [0, 116]       # everything given;  [116]: everything generated

The runs add up to the number of cells. A box, a layer or everything above a height takes a few
hundred numbers even on 32^3 grids. Air cells count as well as blocks (a given air cell is air
the model had to keep). The mask belongs to the grid as stored: after rotating or mirroring a grid
(:meth:`mcgen.grid.VoxelGrid.transformed`, which copies ``meta``) it no longer fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mcgen.errors import FormatError

GIVEN_KEY = "given_runs"


def encode_given(mask: np.ndarray) -> list[int]:
    """Run lengths of a boolean mask in C order, alternating not-given / given, not-given first.

    Args:
        mask: any shape (grids: ``(X, Y, Z)``); non-zero means given.

    Returns:
        Plain ints (JSON-ready) adding up to ``mask.size``; ``[]`` for an empty mask.
    """
    flat = np.asarray(mask).astype(bool).ravel()
    if flat.size == 0:
        return []
    starts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    runs = np.diff(np.concatenate(([0], starts, [flat.size])))
    return ([0] if flat[0] else []) + [int(r) for r in runs]


def decode_given(runs: Sequence[int] | Any, shape: tuple[int, ...]) -> np.ndarray:
    """The boolean mask of :func:`encode_given` runs, reshaped to ``shape``.

    Raises:
        FormatError: ``runs`` is not a list of non-negative integers adding up to the cell count.
    """
    if not isinstance(runs, (list, tuple)) or not all(isinstance(r, int) and not isinstance(r, bool) for r in runs):
        raise FormatError(f"{GIVEN_KEY} must be a list of integers, got {str(runs)[:80]}")
    counts = np.asarray(runs, dtype=np.int64)
    cells = int(np.prod(shape))
    if (counts < 0).any():
        raise FormatError(f"{GIVEN_KEY} has a negative run length")
    if int(counts.sum()) != cells:
        raise FormatError(f"{GIVEN_KEY} covers {int(counts.sum())} cells, the grid {tuple(shape)} has {cells}")
    values = np.arange(counts.size) % 2 == 1  # runs alternate: not given, given, ...
    return np.repeat(values, counts).reshape(shape)


def given_mask(meta: dict[str, Any], shape: tuple[int, int, int]) -> np.ndarray | None:
    """The given-mask a structure's ``meta`` records, or None when it records none.

    Raises:
        FormatError: ``meta["given_runs"]`` is there but malformed (see :func:`decode_given`).
    """
    if GIVEN_KEY not in meta:
        return None
    return decode_given(meta[GIVEN_KEY], shape)
