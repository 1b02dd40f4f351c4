"""Sanity tests for the evaluation metrics themselves (numpy only, no feature net)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from mcgen.evaluate import CONTRACT_KEYS, EvaluationError, evaluate, quick_eval
from mcgen.evaluate import metrics as M
from mcgen.grid import VoxelGrid

MATERIALS = ["minecraft:stone_bricks", "minecraft:oak_planks", "minecraft:bricks", "minecraft:cobblestone",
             "minecraft:spruce_planks", "minecraft:sandstone"]
PALETTE = ["minecraft:air", *MATERIALS, "minecraft:glass"]


def toy_building(rng: np.random.Generator, size: int = 16) -> VoxelGrid:
    """A hollow box with windows and a stepped roof: grounded, one piece, varied."""
    b = np.zeros((size, size, size), dtype=np.uint16)
    w, l = rng.integers(4, size - 3, 2)
    x0, z0 = rng.integers(0, size - w + 1), rng.integers(0, size - l + 1)
    h = int(rng.integers(3, size // 2))
    b[x0:x0 + w, :h, z0:z0 + l] = rng.integers(1, len(MATERIALS) + 1)
    b[x0 + 1:x0 + w - 1, 1:h, z0 + 1:z0 + l - 1] = 0
    b[x0, 1:h - 1:2, z0 + 1:z0 + l - 1:2] = len(PALETTE) - 1  # windows
    roof = rng.integers(1, len(MATERIALS) + 1)
    for k in range(min(w, l) // 2):
        if h + k >= size:
            break
        b[x0 + k:x0 + w - k, h + k, z0 + k:z0 + l - k] = roof
    return VoxelGrid(b, PALETTE, {"label": "toy"})


def shuffled(g: VoxelGrid, rng: np.random.Generator) -> VoxelGrid:
    """Same blocks, positions permuted: histograms kept, structure destroyed."""
    flat = g.blocks.ravel().copy()
    rng.shuffle(flat)
    return VoxelGrid(flat.reshape(g.blocks.shape), g.palette)


def noise(rng: np.random.Generator, size: int = 16) -> VoxelGrid:
    """Half the voxels solid, each of a random block type."""
    states = ["minecraft:air", "minecraft:gold_block", "minecraft:diamond_block", "minecraft:red_wool"]
    solid = rng.random((size, size, size)) < 0.5
    return VoxelGrid(np.where(solid, rng.integers(1, len(states), solid.shape), 0), states)


def hand_features(batch: M.GridBatch) -> tuple[np.ndarray, np.ndarray]:
    """A stand-in feature extractor: fill per layer and per x slab, and the block histogram."""
    s = batch.solid.astype(float)
    counts = M.block_counts(batch).astype(float)
    hist = counts[:, 1:] / np.maximum(counts[:, 1:].sum(1, keepdims=True), 1)
    f = np.concatenate([s.mean(axis=(1, 3)), s.mean(axis=(2, 3)), hist[:, :12]], axis=1)
    probs = np.ones((len(batch), 2)) / 2
    return f, probs


@pytest.fixture(scope="module")
def reference() -> list[VoxelGrid]:
    rng = np.random.default_rng(1)
    return [toy_building(rng) for _ in range(120)]


@pytest.fixture(scope="module")
def fresh() -> list[VoxelGrid]:
    rng = np.random.default_rng(2)
    return [toy_building(rng) for _ in range(60)]


def run_eval(samples, reference, n_boot=50):
    return evaluate(samples, reference, seed=0, n_boot=n_boot, features=True, feature_fn=hand_features)


# --- building blocks -----------------------------------------------------------------------------
def test_flood_finds_pieces_and_support():
    b = np.zeros((6, 6, 6), dtype=np.uint16)
    b[0:2, 0:3, 0:2] = 1  # grounded piece
    b[4, 3:5, 4] = 1  # floating piece
    g = VoxelGrid(b, ["minecraft:air", "minecraft:stone"])
    p = M.plausibility(M.stack([g], [], (6, 6, 6)))
    assert not p["connected"][0] and p["grounded"][0] and not p["plausible"][0]
    assert p["unsupported"][0] == pytest.approx(2 / 14)
    b[4, 0:3, 4] = 1  # a pillar joins it to the ground only, still two pieces
    p = M.plausibility(M.stack([VoxelGrid(b, g.palette)], [], (6, 6, 6)))
    assert p["unsupported"][0] == 0 and not p["connected"][0]


def test_empty_and_full_grids_are_implausible():
    empty = VoxelGrid.empty((8, 8, 8))
    full = VoxelGrid(np.ones((8, 8, 8), np.uint16), ["minecraft:air", "minecraft:stone"])
    p = M.plausibility(M.stack([empty, full], [], (8, 8, 8)))
    assert p["empty"].tolist() == [True, False] and p["full"].tolist() == [False, True]
    assert not p["plausible"].any()


def test_wasserstein_matches_mean_shift():
    a = np.random.default_rng(0).normal(size=500)
    assert M.wasserstein_1d(a, a) == 0
    assert M.wasserstein_1d(a, a + 3) == pytest.approx(3)


def test_frechet_of_gaussians_matches_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    b = rng.normal(size=(4000, 3)) * 2 + 1
    # |mu|^2 = 3; trace term per dim: 1 + 4 - 2*2 = 1
    assert M.frechet_distance(a, b) == pytest.approx(6, rel=0.05)
    assert abs(M.frechet_distance(a, a)) < 1e-6


def test_symmetric_copies_have_iou_one(reference):
    g = reference[3]
    copies = [g.transformed(q, m) for q in range(4) for m in (False, True)]
    states: list[str] = []
    shape = M.common_shape(copies, reference)
    train = M.stack(reference, states, shape)
    smp = M.stack(copies, states, shape)
    best, where, _ = M.best_match_iou(smp.solid, train.solid, chunk=32)
    assert np.allclose(best, 1.0) and (where == 3).all()


def test_turned_copies_with_oriented_blocks_are_block_copies():
    from mcgen.synth import generate_sample

    train = [generate_sample(5, i) for i in range(20)]  # houses, towers... with stairs, doors, logs
    copies = [train[i].transformed(q, m) for i in (0, 6) for q in range(4) for m in (False, True)]
    states: list[str] = []
    t, c = M.stack(train, states, (16, 16, 16)), M.stack(copies, states, (16, 16, 16))
    assert any("facing=" in s for s in states)
    best, copy = M.near_copy_flags(c.blocks, t.blocks, states)
    assert copy.all() and np.allclose(best, 1.0)


def test_same_shape_other_material_is_a_shape_copy_only(reference):
    g = reference[5]
    recoloured = VoxelGrid(g.blocks, ["minecraft:air"] + [f"minecraft:{c}_wool" for c in
                                                          ("red", "blue", "lime", "cyan", "pink", "gray", "black")])
    states: list[str] = []
    t, c = M.stack(reference, states, (16, 16, 16)), M.stack([recoloured], states, (16, 16, 16))
    best, copy = M.near_copy_flags(c.blocks, t.blocks, states)
    assert best[0] == 1.0 and not copy[0]


# --- the four sanity checks ----------------------------------------------------------------------
def test_reference_against_itself_is_near_zero_distance(reference):
    states: list[str] = []
    batch = M.stack(reference, states, (16, 16, 16))
    counts, (f, _) = M.block_counts(batch), hand_features(batch)
    assert M.hist_tv(counts, counts) == 0 and M.wasserstein_1d(M.heights(batch), M.heights(batch)) == 0
    assert abs(M.frechet_distance(f, f)) < 1e-6 and M.precision_recall(f, f) == (1.0, 1.0)
    assert abs(M.kid(f, f)) < 0.01 * M.poly_kernel(f, f).mean()
    # In the report the samples meet reference half B, which they contain: below the A-vs-B baseline.
    rep = run_eval(reference, reference)
    for key in ("hist_tv", "fill_w1", "height_w1", "fid"):
        assert rep[key]["samples"] < rep[key]["baseline"], key
    assert rep["recall"]["samples"] == 1 and rep["precision"]["samples"] >= rep["precision"]["baseline"]


def test_fresh_samples_score_like_the_baseline(reference, fresh):
    rep = run_eval(fresh, reference)
    assert rep["plausible"]["samples"] == 1
    for key in ("hist_tv", "fill_w1", "height_w1", "fid"):
        assert rep[key]["samples"] < 2.5 * rep[key]["baseline"] + 1e-3, key
    assert rep["near_copies"]["samples"] < 0.2


def test_verbatim_training_items_are_flagged_by_novelty(reference):
    rep = run_eval(reference[:40], reference)
    assert rep["near_copies"]["samples"] == 1 and rep["novelty_iou"]["samples"] == 1
    assert rep["near_copies"]["baseline"] < 0.5
    assert rep["targets"]["near_copies"]["pass"] is False


def test_voxel_shuffled_samples_are_flagged_by_plausibility(reference):
    rng = np.random.default_rng(3)
    rep = run_eval([shuffled(g, rng) for g in reference[:40]], reference)
    assert rep["plausible"]["samples"] < 0.1 and rep["plausible"]["baseline"] == 1
    assert rep["connected"]["samples"] < 0.1
    assert rep["unsupported"]["samples"] > 0.05 > rep["unsupported"]["baseline"]
    assert rep["targets"]["plausible"]["pass"] is False


def test_random_noise_is_flagged_by_everything(reference):
    rng = np.random.default_rng(4)
    rep = run_eval([noise(rng) for _ in range(40)], reference)
    assert rep["plausible"]["samples"] < 0.1 and rep["connected"]["samples"] < 0.1
    for key in ("hist_tv", "fill_w1", "height_w1", "fid", "kid"):
        assert rep[key]["samples"] > 3 * rep[key]["baseline"], key
        assert rep[key]["ci"][0] > rep[key]["baseline"], key
    assert rep["precision"]["samples"] < 0.1 and rep["recall"]["samples"] < 0.1
    assert rep["unsupported"]["samples"] > rep["unsupported"]["baseline"]
    assert not any(t["pass"] for t in rep["targets"].values() if t["pass"] is not None and t["rule"] != "< 0.05")


def test_mode_collapse_is_flagged_by_pairwise_iou(reference):
    rep = run_eval([reference[0]] * 20, reference)
    assert rep["pairwise_iou"]["samples"] == 1 and rep["pairwise_iou"]["baseline"] < 0.5


# --- report contract -----------------------------------------------------------------------------
def test_report_follows_the_json_contract(reference, fresh):
    rep = json.loads(json.dumps(run_eval(fresh[:20], reference)))
    assert rep["n_samples"] == 20 and rep["n_reference"] == 120
    for key in CONTRACT_KEYS:
        entry = rep[key]
        assert set(entry) == {"samples", "baseline", "ci"}, key
        lo, hi = entry["ci"]
        assert lo <= hi, key


def test_report_without_features_has_nulls(reference, fresh):
    rep = evaluate(fresh[:10], reference[:20], n_boot=0, features=False)
    assert rep["fid"] == {"samples": None, "baseline": None, "ci": [None, None]}
    assert rep["hist_tv"]["samples"] is not None and rep["hist_tv"]["ci"] == [None, None]


def test_mixed_sizes_are_padded(reference):
    small = VoxelGrid(reference[0].blocks[:10, :12, :8], reference[0].palette)
    rep = evaluate([small], reference[:8], n_boot=0, features=False)
    assert rep["n_samples"] == 1


def test_a_single_sample_gives_nulls_not_warnings(reference, recwarn):
    rep = run_eval(reference[:1], reference[:10])
    assert rep["n_samples"] == 1 and rep["fid"]["samples"] is None and rep["kid"]["samples"] is None
    assert rep["pairwise_iou"]["samples"] is None and rep["plausible"]["samples"] == 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_too_few_references_is_a_clear_error(reference):
    with pytest.raises(EvaluationError, match="at least 4"):
        evaluate(reference[:2], reference[:3])
    with pytest.raises(EvaluationError):
        evaluate([], reference)


def test_quick_eval_is_cheap(reference, fresh):
    quick_eval(fresh[:2], reference[:8])  # warm-up
    t = time.perf_counter()
    q = quick_eval(fresh[:8], reference[:64])
    assert time.perf_counter() - t < 1.0
    assert q["plausible"] == 1 and 0 < q["fill_mean"] < 0.5
    assert set(q) >= {"plausible", "hist_tv", "novelty_iou", "near_copies", "pairwise_iou"}
    json.dumps(q)


def test_metrics_module_does_not_import_torch():
    code = "import sys, mcgen.evaluate, mcgen.evaluate.metrics; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
