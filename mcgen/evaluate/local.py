"""Local structure of builds: how touching blocks agree and which small shapes occur (numpy only).

* :func:`neighbour_pairs` counts, per grid, the touching (6-neighbour) pairs of solid voxels and
  how many of them are the same block state. Their pooled ratio, the **same-block neighbour
  share**, is high for clean builds (a wall is one material) and low for speckle (every voxel
  drawn on its own); a generator should land near the real builds' share, not above or below it.
* :func:`pattern_counts` counts, per grid, the 256 occupancy patterns of every 2x2x2 window
  (column 0, the all-air window, is kept but ignored by the distance). The total variation
  between two sets' pooled pattern histograms (:func:`mcgen.evaluate.metrics.hist_tv`, which
  skips column 0) is the **2x2x2 pattern TV**: how far the small shapes (flat walls, edges,
  corners, lone voxels) are from real ones.
"""

from __future__ import annotations

import numpy as np

_BITS = 1 << np.arange(8)  # the 8 corners of a 2x2x2 window, one bit each


def neighbour_pairs(blocks: np.ndarray) -> np.ndarray:
    """``(N, X, Y, Z)`` block indices (0 = air) -> ``(N, 2)`` [same-block pairs, solid pairs]."""
    n = blocks.shape[0]
    out = np.zeros((n, 2), dtype=np.int64)
    for axis in (1, 2, 3):
        a = np.moveaxis(blocks, axis, 1)[:, :-1]
        b = np.moveaxis(blocks, axis, 1)[:, 1:]
        both = (a != 0) & (b != 0)
        out[:, 0] += (both & (a == b)).reshape(n, -1).sum(axis=1)
        out[:, 1] += both.reshape(n, -1).sum(axis=1)
    return out


def same_block_share(pairs: np.ndarray) -> float:
    """Pooled same-block share of touching solid pairs from :func:`neighbour_pairs` rows (nan: no pairs)."""
    total = pairs[:, 1].sum()
    return float(pairs[:, 0].sum() / total) if total else float("nan")


def pattern_counts(solid: np.ndarray) -> np.ndarray:
    """``(N, X, Y, Z)`` occupancy -> ``(N, 256)`` counts of each 2x2x2 window pattern (stride 1)."""
    n = solid.shape[0]
    s = solid.astype(np.int64)
    code = np.zeros((n, s.shape[1] - 1, s.shape[2] - 1, s.shape[3] - 1), dtype=np.int64)
    k = 0
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                code += s[:, dx:dx + code.shape[1], dy:dy + code.shape[2], dz:dz + code.shape[3]] * _BITS[k]
                k += 1
    flat = code.reshape(n, -1) + (np.arange(n) * 256)[:, None]
    return np.bincount(flat.ravel(), minlength=n * 256).reshape(n, 256)
