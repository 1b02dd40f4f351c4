"""The shipped feature net: loads safely, classifies fresh synthetic builds as well as it claims,
and its features separate real builds from noise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mcgen.errors import CheckpointError
from mcgen.evaluate import evaluate
from mcgen.evaluate import features as F
from mcgen.evaluate.junk import JUNK_LABEL, make_junk
from mcgen.evaluate.metrics import stack
from mcgen.synth import LABELS, generate_sample
from tests.unit.test_evaluate_metrics import noise

FRESH_SEED = 424242  # neither the training (1000) nor the held-out (1001) dataset seed


@pytest.fixture(scope="module")
def fresh() -> list:
    return [generate_sample(FRESH_SEED, i) for i in range(10 * len(LABELS))]


def test_weights_are_small_and_load_with_weights_only():
    assert F.DEFAULT_PATH.stat().st_size < 1_000_000
    d = torch.load(F.DEFAULT_PATH, map_location="cpu", weights_only=True)
    assert d["format"] == F.NET_FORMAT and tuple(d["families"]) == F.FAMILY_NAMES
    assert all(isinstance(v, torch.Tensor) for v in d["state_dict"].values())
    net, meta = F.load_net()
    assert not net.training and meta["labels"] == [*LABELS, JUNK_LABEL]


def test_heldout_accuracy_holds_on_fresh_builds(fresh):
    torch.set_num_threads(1)
    net, meta = F.load_net()
    claimed = meta["info"]["heldout_accuracy"]
    states: list[str] = []
    batch = stack(fresh, states, (16, 16, 16))
    _, probs = F.run_net(net, batch.blocks, batch.states)
    truth = np.array([LABELS.index(g.meta["label"]) for g in fresh])
    acc = float((probs.argmax(1) == truth).mean())
    assert acc >= claimed - 0.08, (acc, claimed)


def test_junk_is_recognised_as_junk(fresh):
    torch.set_num_threads(1)
    net, meta = F.load_net()
    states: list[str] = []
    batch = stack(fresh, states, (16, 16, 16))
    junk = make_junk(F.family_indices(batch.blocks, batch.states), 80, len(F.FAMILIES), seed=FRESH_SEED)
    with torch.no_grad():
        pred = net(F.one_hot(junk)).argmax(1).numpy()
    acc = float((pred == len(meta["labels"]) - 1).mean())
    assert acc >= meta["info"]["heldout_junk_accuracy"] - 0.1, acc


def test_features_are_deterministic_and_shaped(fresh):
    torch.set_num_threads(1)
    states: list[str] = []
    batch = stack(fresh[:12], states, (16, 16, 16))
    f1, p1 = F.extract(batch)
    f2, _ = F.extract(batch)
    assert f1.shape == (12, F.load_net()[1]["config"]["feat_dim"]) and p1.shape == (12, len(LABELS) + 1)
    assert np.array_equal(f1, f2) and np.allclose(p1.sum(1), 1)


def test_learned_distances_separate_builds_from_noise(fresh):
    reference = [generate_sample(FRESH_SEED + 1, i) for i in range(120)]
    rng = np.random.default_rng(0)
    real = evaluate(fresh[:40], reference, n_boot=0)
    bad = evaluate([noise(rng) for _ in range(40)], reference, n_boot=0)
    assert real["fid"]["samples"] < 2 * real["fid"]["baseline"]
    assert bad["fid"]["samples"] > 5 * bad["fid"]["baseline"]
    assert bad["kid"]["samples"] > 5 * abs(bad["kid"]["baseline"])
    assert bad["precision"]["samples"] < 0.2 and bad["recall"]["samples"] < 0.2
    assert real["label_tv"]["samples"] < 0.3 and real["feature_net"]["heldout_accuracy"] > 0.8


def test_wrong_file_is_a_checkpoint_error(tmp_path):
    bad = tmp_path / "x.pt"
    torch.save({"format": "something else"}, bad)
    with pytest.raises(CheckpointError, match="not an mcgen feature net"):
        F.load_net(bad)
    with pytest.raises(CheckpointError, match="not found"):
        F.load_net(tmp_path / "missing.pt")


def test_families_cover_the_default_vocabulary():
    from mcgen.vocab import DEFAULT_VOCAB

    fams = {F.FAMILY_NAMES[F.family_of(s)] for s in DEFAULT_VOCAB.states[1:]}
    assert {"stone", "planks", "glass", "stairs", "door", "slab", "fence", "log", "light", "leaves"} <= fams
    assert F.FAMILY_NAMES[F.family_of("minecraft:glass_pane[east=true,north=false,south=false,waterlogged=false,west=true]")] == "glass"
    assert F.FAMILY_NAMES[F.family_of("minecraft:stone_brick_slab[type=bottom,waterlogged=false]")] == "slab"


@pytest.mark.slow
def test_training_script_writes_a_loadable_net(tmp_path):
    from mcgen.evaluate.train_net import main

    out = tmp_path / "net.pt"
    assert main(["--count", "40", "--heldout", "20", "--epochs", "1", "--threads", "1", "--out", str(out)]) == 0
    net, meta = F.load_net(out)
    assert meta["labels"][-1] == JUNK_LABEL and 0 <= meta["info"]["heldout_accuracy"] <= 1
    assert "heldout_junk_accuracy" in meta["info"] and out.stat().st_size < 1_000_000
