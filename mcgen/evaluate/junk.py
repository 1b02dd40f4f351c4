"""Things that are not buildings, for the feature net's extra "junk" class.

A classifier trained on clean archetypes alone maps garbage (noise, shuffled voxels, blobs) next
to some archetype, so its features cannot tell a failed generator from a good one. Training it
with these corruptions as one more class makes "not a building" a direction in feature space.
Everything here works on family-index arrays (see :func:`mcgen.evaluate.features.family_indices`).
"""

from __future__ import annotations

import numpy as np

JUNK_LABEL = "junk"
JUNK_KINDS = ("noise", "shuffle", "corrupt", "blob")


def _noise(shape: tuple[int, ...], families: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    solid = rng.random(shape) < rng.uniform(0.03, 0.6)
    return np.where(solid, families[rng.integers(0, len(families), shape)], 0)


def _corrupt(build: np.ndarray, families: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    flip = rng.random(build.shape) < rng.uniform(0.05, 0.3)
    added = families[rng.integers(0, len(families), build.shape)]
    return np.where(flip, np.where(build > 0, 0, added), build)


def _blob(shape: tuple[int, ...], families: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(shape, dtype=np.int64)
    for _ in range(int(rng.integers(1, 4))):
        lo = [int(rng.integers(0, s // 2)) for s in shape]
        hi = [int(rng.integers(lo[k] + s // 3, s + 1)) for k, s in enumerate(shape)]
        lo[1] = 0 if rng.random() < 0.7 else lo[1]  # mostly resting on the ground
        out[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] = families[rng.integers(0, len(families))]
    return out


def make_junk(builds: np.ndarray, count: int, num_families: int, seed: int) -> np.ndarray:
    """``count`` junk grids ``(count, X, Y, Z)`` (``builds``' dtype), the kinds in turn, from ``builds``.

    Args:
        builds: ``(N, X, Y, Z)`` family (or block-state) indices of real builds (0 air, 1..num_families).
        count: how many to make.
        num_families: family (or state) count (indices run 1..num_families).
        seed: RNG seed.
    """
    rng = np.random.default_rng(seed)
    shape = builds.shape[1:]
    out = np.zeros((count, *shape), dtype=builds.dtype)
    for i in range(count):
        build = builds[rng.integers(0, len(builds))].astype(np.int64)
        used = np.unique(build[build > 0])
        families = used if len(used) and rng.random() < 0.7 else rng.integers(1, num_families + 1, 3)
        kind = JUNK_KINDS[i % len(JUNK_KINDS)]
        if kind == "noise":
            g = _noise(shape, families, rng)
        elif kind == "shuffle":
            g = rng.permutation(build.ravel()).reshape(shape)
        elif kind == "corrupt":
            g = _corrupt(build, families, rng)
        else:
            g = _blob(shape, families, rng)
        out[i] = g
    return out
