"""The given-cells mask of completed structures: run-length helpers and the voxel JSON round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcgen.errors import FormatError
from mcgen.given import GIVEN_KEY, decode_given, encode_given, given_mask
from mcgen.grid import VoxelGrid, load_json, save_json

shapes = st.tuples(st.integers(1, 7), st.integers(1, 7), st.integers(1, 7))


@settings(max_examples=80, deadline=None)
@given(shapes, st.integers(0, 2**32 - 1), st.floats(0, 1))
def test_runs_round_trip_and_alternate_starting_with_generated(shape, seed, density):
    mask = np.random.default_rng(seed).random(shape) < density
    runs = encode_given(mask)
    assert all(isinstance(r, int) for r in runs) and sum(runs) == mask.size
    assert all(r > 0 for r in runs[1:])  # only the first run may be empty
    assert (runs[0] == 0) == bool(mask.flat[0])
    assert runs == _reference(mask)
    back = decode_given(runs, shape)
    assert back.dtype == bool and back.shape == shape and np.array_equal(back, mask)


def _reference(mask: np.ndarray) -> list[int]:
    """The documented encoding, cell by cell: x slowest, z fastest; runs of False, True, ..."""
    runs, cur, n = [], False, 0
    for x in range(mask.shape[0]):
        for y in range(mask.shape[1]):
            for z in range(mask.shape[2]):
                if bool(mask[x, y, z]) == cur:
                    n += 1
                else:
                    runs.append(n)
                    cur, n = not cur, 1
    return runs + [n]


def test_uniform_masks_and_order():
    assert encode_given(np.zeros((2, 3, 4), bool)) == [24]
    assert encode_given(np.ones((2, 3, 4), bool)) == [0, 24]
    m = np.zeros((2, 2, 2), bool)
    m[0, 0, 1] = True  # cell number (0 * 2 + 0) * 2 + 1 = 1
    m[1, 1, 1] = True  # the last cell
    assert encode_given(m) == [1, 1, 5, 1]
    assert encode_given(np.zeros((0, 3, 3), bool)) == [] and decode_given([], (0, 3, 3)).shape == (0, 3, 3)


def test_a_box_above_a_height_stays_short():
    mask = np.ones((32, 32, 32), bool)
    mask[8:24, 10:, 8:24] = False  # a box to generate on top of a given base
    assert len(encode_given(mask)) < 1100


@pytest.mark.parametrize("runs,match", [
    ([3, 4], r"covers 7 cells, the grid \(2, 2, 2\) has 8"),
    ([9, -1], "negative"),
    ([4.0, 4], "list of integers"),
    ([True, 7], "list of integers"),
    ("8", "list of integers"),
])
def test_malformed_runs_are_format_errors(runs, match):
    with pytest.raises(FormatError, match=match):
        decode_given(runs, (2, 2, 2))


def test_voxel_json_keeps_the_mask(tmp_path):
    rng = np.random.default_rng(3)
    g = VoxelGrid(rng.integers(0, 3, (4, 5, 6)).astype(np.uint16), ["minecraft:air", "minecraft:stone", "minecraft:glass"])
    mask = np.zeros(g.size, bool)
    mask[:, :2, :] = True  # the two bottom layers were given
    g.meta[GIVEN_KEY] = encode_given(mask)
    save_json(g, tmp_path / "c.json")
    back = load_json(tmp_path / "c.json")
    assert np.array_equal(given_mask(back.meta, back.size), mask)
    assert np.array_equal(given_mask(back.compact().meta, back.size), mask)
    assert given_mask({"label": "x"}, back.size) is None
