"""Local-structure figures: same-block neighbour share and the 2x2x2 occupancy-pattern histogram."""

from __future__ import annotations

import numpy as np

from mcgen.evaluate.local import neighbour_pairs, pattern_counts, same_block_share
from mcgen.evaluate.metrics import hist_tv
from mcgen.evaluate.report import evaluate
from mcgen.grid import VoxelGrid


def test_neighbour_pairs_count_touching_solid_voxels() -> None:
    g = np.zeros((1, 4, 4, 4), dtype=np.int32)
    g[0, 0, 0, 0:3] = [1, 1, 2]  # a row of three: pairs (1,1) same, (1,2) different
    g[0, 3, 3, 3] = 1  # a lone voxel touches nothing
    assert neighbour_pairs(g).tolist() == [[1, 2]]
    assert same_block_share(neighbour_pairs(g)) == 0.5
    assert np.isnan(same_block_share(neighbour_pairs(np.zeros((1, 2, 2, 2), dtype=np.int32))))


def test_pattern_counts_see_every_window_and_tell_shapes_apart() -> None:
    solid = np.zeros((2, 3, 3, 3), dtype=bool)
    solid[0, 1, 1, 1] = True  # one voxel: 8 windows hold it, each as a different corner
    solid[1, :, 0, :] = True  # a floor
    c = pattern_counts(solid)
    assert c.shape == (2, 256) and c.sum(axis=1).tolist() == [8, 8]
    assert (c[0, 1:] > 0).sum() == 8 and c[0, 0] == 0
    assert hist_tv(c[:1], c[:1]) == 0.0 and hist_tv(c[:1], c[1:]) == 1.0  # no pattern in common


def test_evaluate_reports_both_next_to_their_baseline() -> None:
    rng = np.random.default_rng(0)
    states = ["minecraft:air", "minecraft:stone", "minecraft:oak_planks"]
    clean, speckled = [], []
    for _ in range(8):
        b = np.zeros((8, 8, 8), dtype=np.int64)
        b[2:6, 0:4, 2:6] = 1 + rng.integers(0, 2)  # one-material blocks
        clean.append(VoxelGrid(b, states))
        s = b.copy()
        s[s > 0] = rng.integers(1, 3, size=int((s > 0).sum()))  # same shape, every voxel its own material
        speckled.append(VoxelGrid(s, states))
    r = evaluate(speckled, clean, features=False, n_boot=0)
    assert r["same_block"]["baseline"] == 1.0 and r["same_block"]["samples"] < 0.7
    assert r["pattern_tv"]["samples"] == 0.0  # the shapes are the same
