"""Isometric renderer: image sizes, non-empty pictures, occlusion order, shapes and sheets."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PIL import Image

from mcgen.blocks import AIR
from mcgen.grid import VoxelGrid
from mcgen.render import BACKGROUND, contact_sheet, render_grid
from mcgen.synth import generate_dataset

STONE, RED = "minecraft:stone", "minecraft:red_wool"


def _grid(cells: dict[tuple[int, int, int], str], n: int = 4) -> VoxelGrid:
    states = np.full((n, n, n), AIR, dtype=object)
    for p, s in cells.items():
        states[p] = s
    return VoxelGrid.from_states(states)


def _reddish(img: Image.Image) -> int:
    a = np.asarray(img.convert("RGB")).astype(int)
    return int(((a[..., 0] > a[..., 1] + 40) & (a[..., 0] > a[..., 2] + 40)).sum())


def _painted(img: Image.Image) -> int:
    a = np.asarray(img.convert("RGB")).astype(int)
    return int((np.abs(a - np.array(BACKGROUND)).sum(-1) > 8).sum())


@pytest.mark.parametrize("size", [64, 256, 300])
def test_picture_has_the_requested_size_and_is_not_blank(size):
    img = render_grid(generate_dataset(1, 16, seed=1)[0], size)
    assert img.size == (size, size) and img.mode == "RGB"
    assert _painted(img) > size * size // 20


def test_empty_grid_gives_plain_background_and_transparent_mode_works():
    empty = VoxelGrid.empty((4, 4, 4))
    assert _painted(render_grid(empty, 64)) == 0
    rgba = render_grid(_grid({(1, 0, 1): STONE}), 64, background=None)
    alpha = np.asarray(rgba)[..., 3]
    assert rgba.mode == "RGBA" and alpha.min() == 0 and alpha.max() == 255


def test_nearer_blocks_hide_farther_ones():
    red_alone = _reddish(render_grid(_grid({(2, 2, 2): RED}), 256, crop=False))
    red_in_front = _reddish(render_grid(_grid({(1, 1, 1): STONE, (2, 2, 2): RED}), 256, crop=False))
    red_behind = _reddish(render_grid(_grid({(2, 2, 2): STONE, (1, 1, 1): RED}), 256, crop=False))
    assert red_alone > 500
    assert abs(red_in_front - red_alone) <= red_alone * 0.02  # nothing covers the front block
    assert red_behind < red_alone * 0.8  # the stone in front covers part of it


def test_partial_blocks_are_drawn_smaller_and_oriented():
    cube = _painted(render_grid(_grid({(1, 0, 1): "minecraft:oak_planks"}), 128, crop=False))
    post = _painted(render_grid(_grid({(1, 0, 1): "minecraft:oak_fence[east=false,north=false,south=false,"
                                       "waterlogged=false,west=false]"}), 128, crop=False))
    slab = _painted(render_grid(_grid({(1, 0, 1): "minecraft:oak_slab[type=bottom,waterlogged=false]"}), 128, crop=False))
    assert 0 < post < slab < cube

    def stair(facing: str) -> np.ndarray:
        s = f"minecraft:oak_stairs[facing={facing},half=bottom,shape=straight,waterlogged=false]"
        return np.asarray(render_grid(_grid({(1, 0, 1): s}), 128, crop=False))

    assert not np.array_equal(stair("north"), stair("south"))
    assert not np.array_equal(stair("east"), stair("west"))


def test_contact_sheet_layout_and_file(tmp_path):
    grids = generate_dataset(7, 16, seed=2)
    path = tmp_path / "sheet.png"
    sheet = contact_sheet([(g.meta["label"], g) for g in grids], path, cols=3, cell=96)
    label_h = max(14, 96 // 10)
    assert sheet.size == (3 * 96, 3 * (96 + label_h))
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == sheet.size
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file
    # the empty eighth and ninth cells stay background; the filled ones do not
    a = np.asarray(sheet).astype(int)
    cell = a[2 * (96 + label_h):2 * (96 + label_h) + 96, 2 * 96:3 * 96]
    assert (np.abs(cell - np.array(BACKGROUND)).sum(-1) > 8).sum() == 0
    first = a[:96, :96]
    assert (np.abs(first - np.array(BACKGROUND)).sum(-1) > 8).sum() > 500


def test_a_64_sample_sheet_renders_in_seconds(tmp_path):
    grids = generate_dataset(64, 16, seed=4)
    t = time.perf_counter()
    contact_sheet([(str(i), g) for i, g in enumerate(grids)], tmp_path / "s.png", cell=128)
    assert time.perf_counter() - t < 20  # a few seconds on an idle 2-core CPU; slack for a busy one
