"""The scoring of benchmarks/complete_bench.py and benchmarks/seam_bench.py: masks, scores and baselines
give the numbers they claim on builds whose answer is known."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import complete_bench as cb  # noqa: E402
import seam_bench as sb  # noqa: E402

STATES = ["minecraft:air", "minecraft:stone",
          "minecraft:oak_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]",
          "minecraft:oak_planks"]


def _house() -> np.ndarray:
    b = np.zeros((16, 16, 16), dtype=np.int64)
    b[3:11, 0:6, 4:12] = 1
    b[4:10, 1:6, 5:11] = 0
    b[3:11, 6, 4:12] = 3
    b[3, 6, 4:12] = 2  # an oriented block, so the symmetry's state turn matters
    return b


@pytest.mark.parametrize("kind", cb.MASKS)
def test_masks_hide_part_of_the_build(kind: str) -> None:
    b = _house()
    free = cb.hidden_mask(b, kind, np.random.default_rng(0))
    solid = b != 0
    assert free.any() and (solid & free).any() and (solid & ~free).any()
    if kind == "top_third":
        assert free[:, 5:].all() and not free[:, :5].any()  # height 7: from 5 (ceil(2 * 7 / 3)) up


def test_scores_count_only_cells_solid_in_truth_or_prediction() -> None:
    truth = _house()[None]
    free = np.zeros_like(truth, dtype=bool)
    free[0, :, 4:] = True
    acc, iou = cb.scores(truth, truth.copy(), free)
    assert acc[0] == 1.0 and iou[0] == 1.0
    acc, iou = cb.scores(truth, np.zeros_like(truth), free)  # all air is not a good answer
    assert acc[0] == 0.0 and iou[0] == 0.0
    wrong = np.where(truth != 0, 3, 0)  # right shape, one material
    acc, iou = cb.scores(truth, wrong, free)
    assert iou[0] == 1.0 and 0 < acc[0] < 1


def test_nearest_finds_a_turned_training_copy_and_turns_its_states() -> None:
    from mcgen.evaluate.metrics import state_symmetry_luts, symmetries

    house = _house()
    states = list(STATES)
    luts = state_symmetry_luts(list(STATES))
    turned = luts[1][symmetries(house[None])[1][0]]  # a quarter turn, stairs facing turned with it
    held = turned[None].copy()
    train = np.stack([np.zeros_like(house), house])
    free = np.zeros_like(held, dtype=bool)
    free[0, :, 4:] = True
    out = cb.nearest_fill(held, free, train, states)
    assert np.array_equal(out, held)  # the hidden part came back exactly, stairs included
    common = cb.most_common_fill(held, free)
    assert (common[free] == 1).all() and np.array_equal(common[~free], held[~free])


def test_seam_cut_rate_and_seam_planes() -> None:
    solid = np.zeros((32, 4, 16), dtype=bool)
    solid[4:16, 0, 4:8] = True  # ends flush at x = 16
    solid[16:20, 0, 4:8] = False
    assert sb.plane_cut_rate(solid, 0, 16) == 1.0
    solid[16:24, 0, 4:8] = True  # now it continues
    assert sb.plane_cut_rate(solid, 0, 16) == 0.0
    assert sb.plane_cut_rate(solid, 0, 30) is None
    assert sb.seams_of(48, 16, 0) == [16, 32] and sb.seams_of(48, 16, 8) == [16, 24, 32, 40]


def test_sampling_options_parse_per_model_and_refuse_unknown_keys():
    assert cb.sampling_options(["a=sampler:remask,temperature:0.5,steps:12", "b="]) == {
        "a": {"sampler": "remask", "temperature": 0.5, "steps": 12}, "b": {}}
    with pytest.raises(SystemExit, match="unknown key 'guide'"):
        cb.sampling_options(["a=guide:2"])
