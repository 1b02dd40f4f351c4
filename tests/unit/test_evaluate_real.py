"""Evaluation on real data: the real-build feature net (colour input), picking a net for a
reference set, and scoring against a dataset's held-out split with novelty against its training split."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from mcgen.cli import run
from mcgen.errors import UsageError
from mcgen.evaluate import evaluate
from mcgen.evaluate import features as F
from mcgen.evaluate.junk import JUNK_LABEL
from mcgen.grid import save_npz
from tests.unit.test_evaluate_metrics import toy_building
from tests.unit.trainer_testdata import write_dataset


def test_colour_encoding_tells_woods_apart():
    states = ["minecraft:air", "minecraft:oak_planks", "minecraft:dark_oak_planks", "minecraft:stone_bricks"]
    t = F.state_table(states, "families+colour")
    assert t.shape == (4, F.IN_CHANNELS + 3) and not t[0].any()
    assert (t[1:, 0] == 1).all()  # occupancy
    assert torch.equal(t[1, :F.IN_CHANNELS], t[2, :F.IN_CHANNELS])  # same family ...
    assert not torch.equal(t[1, F.IN_CHANNELS:], t[2, F.IN_CHANNELS:])  # ... other colour
    fam = F.state_table(states, "families")
    assert fam.shape == (4, F.IN_CHANNELS) and torch.equal(fam, t[:, :F.IN_CHANNELS])
    blocks = np.array([[[[0, 1], [2, 3]]]])  # (1, 1, 2, 2)
    x = F.encode(blocks, states, "families+colour")
    assert x.shape == (1, F.IN_CHANNELS + 3, 1, 2, 2) and torch.equal(x[0, :, 0, 1, 0], t[2])
    assert torch.equal(F.encode(blocks, states), F.one_hot(F.family_indices(blocks, states)))


def test_the_real_net_ships_and_loads_with_weights_only():
    path = F.SHIPPED["real"]
    assert path.is_file() and path.stat().st_size < 1_000_000
    d = torch.load(path, map_location="cpu", weights_only=True)
    assert d["config"]["encoding"] == "families+colour"
    net, meta = F.load_net(path)
    assert net.encoding == "families+colour" and not net.training
    assert "nordic" in meta["labels"] and meta["labels"][-1] == JUNK_LABEL
    info = meta["info"]
    assert info["heldout_accuracy"] > 2 * info["chance_accuracy"]  # learned the styles, measured on held-out series
    assert len(meta["labels"]) == 24 and "MineColonies" in info["trained_on"]  # 23 styles + junk


def test_choose_net_by_reference(tmp_path):
    synth = write_dataset(tmp_path / "synth", count=2)
    m = json.loads((synth / "manifest.json").read_text())
    (synth / "manifest.json").write_text(json.dumps({**m, "generator": "mcgen.synth 1"}))
    imported = write_dataset(tmp_path / "imported", count=2)
    assert F.choose_net("auto", synth) == (F.SHIPPED["synthetic"], "auto: the reference is a synthetic dataset")
    assert F.choose_net("auto", imported)[0] == F.SHIPPED["real"]
    assert F.choose_net("auto", tmp_path / "loose_files")[0] == F.SHIPPED["real"]
    assert F.choose_net("synthetic", imported)[0] == F.SHIPPED["synthetic"]
    assert F.choose_net(str(tmp_path / "my.pt"), None) == (tmp_path / "my.pt", "--feature-net file")


def _split_dataset(root, count=24, held=(1, 5, 9, 13, 17, 21)):
    ds = write_dataset(root, count=count, held_out=held)
    m = json.loads((ds / "manifest.json").read_text())
    (ds / "manifest.json").write_text(json.dumps({**m, "generator": "mcgen.importing 1"}))
    return ds


def test_split_reference_parts(tmp_path):
    from mcgen.cli.cmd_evaluate import split_reference
    from mcgen.files import iter_structures

    grids = [g for _, g in iter_structures(_split_dataset(tmp_path / "ds"))]
    ref, train, used = split_reference(grids, "auto")
    assert used == "held_out" and len(ref) == 6 and len(train) == 18
    assert all(g.meta["split"] == "held_out" for g in ref) and all(g.meta["split"] == "train" for g in train)
    assert split_reference(grids, "train")[0:3:2] == (train, "train") and split_reference(grids, "all")[2] == "all"
    plain = [g for _, g in iter_structures(write_dataset(tmp_path / "plain", count=4))]
    assert split_reference(plain, "auto") == (plain, [], "all")
    with pytest.raises(UsageError, match="no held-out split"):
        split_reference(plain, "held_out")


def test_novelty_is_measured_against_the_training_builds():
    rng = np.random.default_rng(3)
    train = [toy_building(rng) for _ in range(12)]
    held = [toy_building(rng) for _ in range(12)]
    copies = train[:6]  # verbatim training builds: near copies of the training split, not of the held-out one
    with_train = evaluate(copies, held, n_boot=0, features=False, train=train)
    without = evaluate(copies, held, n_boot=0, features=False)
    assert with_train["near_copies"]["samples"] == 1.0 and with_train["n_train"] == 12
    assert without["near_copies"]["samples"] < 1.0


def test_cli_scores_the_held_out_split_with_the_real_net(tmp_path, capsys):
    ds = _split_dataset(tmp_path / "ds")
    gen = tmp_path / "gen"
    rng = np.random.default_rng(1)
    for i in range(6):
        save_npz(toy_building(rng), gen / f"s{i}.npz")
    js = tmp_path / "r.json"
    assert run(["evaluate", "-s", str(gen), "-r", str(ds), "--bootstrap", "0", "--json", str(js)]) == 0
    rep = json.loads(js.read_text())
    assert rep["reference_split"] == "held_out" and rep["n_reference"] == 6 and rep["n_train"] == 18
    assert rep["feature_net"]["file"] == F.SHIPPED["real"].name
    assert rep["feature_net"]["chosen"] == "auto: the reference holds real builds"
    assert "feature net: feature_net_real.pt" in capsys.readouterr().out
    assert run(["evaluate", "-s", str(gen), "-r", str(ds), "--bootstrap", "0", "--json", str(js),
                "--split", "all", "--feature-net", "synthetic"]) == 0
    rep = json.loads(js.read_text())
    assert rep["n_reference"] == 24 and rep["feature_net"]["file"] == F.SHIPPED["synthetic"].name


@pytest.mark.parametrize("args, msg", [
    (["--split", "nope"], "--split must be one of"),
    (["--feature-net", "/nonexistent/net.pt"], "no feature net at"),
])
def test_cli_bad_split_or_net_is_one_line(tmp_path, capsys, args, msg):
    ds = _split_dataset(tmp_path / "ds")
    rc = run(["evaluate", "-s", str(ds), "-r", str(ds), "--bootstrap", "0", *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and err[-1].startswith("mcgen: error: ") and msg in err[-1]


def test_training_script_learns_a_labelled_dataset(tmp_path):
    from mcgen.evaluate.train_net import main

    ds = _split_dataset(tmp_path / "ds")
    out = tmp_path / "net.pt"
    assert main(["--data", str(ds), "--encoding", "families+colour", "--epochs", "2", "--threads", "1",
                 "--out", str(out)]) == 0
    net, meta = F.load_net(out)
    assert net.encoding == "families+colour" and meta["labels"] == ["house", "tower", JUNK_LABEL]
    info = meta["info"]
    assert info["train_count"] == 18 and info["heldout_count"] == 6 and 0 <= info["heldout_accuracy"] <= 1
    assert info["trained_on"].startswith("training split of ds")
