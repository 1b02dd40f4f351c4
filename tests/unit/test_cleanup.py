"""Post-sampling clean-up: floating blocks and stray pieces."""

from __future__ import annotations

import numpy as np
import pytest

from mcgen.blocks import AIR
from mcgen.generate.clean import CLEANUPS, cleanup, cleanup_mask
from mcgen.errors import ConfigError
from mcgen.evaluate.metrics import GridBatch, plausibility
from mcgen.grid import VoxelGrid

STONE, PLANKS = "minecraft:stone", "minecraft:oak_planks"


def _scene() -> VoxelGrid:
    """A 3x3-footprint tower (27 blocks), a grounded 1-block post, a floating 2-block bar and a
    block hanging under the tower's overhang (connected to it, so supported)."""
    b = np.zeros((8, 8, 8), dtype=np.int64)
    b[1:4, 0:3, 1:4] = 1  # tower, touches y = 0
    b[4, 2, 2] = 2  # overhang attached to the tower's side at y = 2
    b[6, 0, 6] = 2  # lone post on the ground
    b[5:7, 5, 0] = 1  # floating bar
    return VoxelGrid(b, [AIR, STONE, PLANKS], {"label": "x"})


def test_floating_mode_removes_only_blocks_without_a_path_to_the_ground() -> None:
    grid, removed = cleanup(_scene(), "floating")
    assert removed == 2
    assert grid.count() == 27 + 1 + 1
    assert grid.state_at(5, 5, 0) == AIR and grid.state_at(6, 0, 6) == PLANKS and grid.state_at(4, 2, 2) == PLANKS
    assert grid.meta["cleanup"] == "floating" and grid.meta["cleanup_removed"] == 2 and grid.meta["label"] == "x"
    assert grid.meta["cleanup_lowered"] == 0


def test_largest_mode_keeps_the_biggest_grounded_piece_only() -> None:
    grid, removed = cleanup(_scene(), "largest")
    assert removed == 3 and grid.count() == 28
    assert grid.state_at(6, 0, 6) == AIR
    assert grid.palette == [AIR, STONE, PLANKS]


def test_cleaned_samples_pass_the_plausibility_checks_they_failed() -> None:
    raw = _scene()
    states = [AIR, STONE, PLANKS]
    batch = lambda g: GridBatch(g.remap(states).astype(np.int32)[None], states)  # noqa: E731
    assert not plausibility(batch(raw))["plausible"][0]
    floating = plausibility(batch(cleanup(raw, "floating")[0]))
    assert floating["unsupported"][0] == 0 and not floating["connected"][0]  # the post is a second piece
    assert plausibility(batch(cleanup(raw, "largest")[0]))["plausible"][0]


def test_none_keeps_the_grid_and_edge_cases_are_safe() -> None:
    raw = _scene()
    same, removed = cleanup(raw, "none")
    assert same is raw and removed == 0
    empty = VoxelGrid.empty((4, 4, 4))
    for mode in CLEANUPS:
        assert cleanup(empty, mode)[0].count() == 0
    with pytest.raises(ConfigError, match="clean-up"):
        cleanup(raw, "tidy")


def test_a_hovering_building_is_settled_on_the_ground_not_thrown_away() -> None:
    b = np.zeros((8, 10, 8), dtype=np.int64)
    b[2:4, 3:5, 2:4] = 1  # a 2x2x2 cube hovering 3 layers up
    b[6, 8, 6] = 2  # a speck above it, apart
    grid = VoxelGrid(b, [AIR, STONE, PLANKS])
    for mode in ("floating", "largest"):
        got, removed = cleanup(grid, mode)
        assert removed == 1 and got.count() == 8 and got.meta["cleanup_lowered"] == 3
        assert (got.blocks[2:4, 0:2, 2:4] == got.palette.index(STONE)).all()  # same cube, now at y = 0..1
    keep, dy = cleanup_mask(b != 0, "none")
    assert dy == 0 and keep.sum() == 9


def test_random_grids_after_largest_are_one_grounded_piece() -> None:
    rng = np.random.default_rng(0)
    grids = [VoxelGrid((rng.random((10, 10, 10)) < p).astype(np.int64), [AIR, STONE]) for p in (0.2, 0.3, 0.5)]
    cleaned = [cleanup(g, "largest")[0] for g in grids]
    arr = np.stack([c.remap([AIR, STONE]) for c in cleaned]).astype(np.int32)
    res = plausibility(GridBatch(arr, [AIR, STONE]))
    assert res["connected"].all() and res["grounded"].all() and (res["unsupported"] == 0).all()
    assert all(c.count() <= g.count() for c, g in zip(cleaned, grids))
