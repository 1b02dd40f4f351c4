"""``mcgen evaluate`` through the CLI entry point, as a user runs it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.evaluate import CONTRACT_KEYS
from mcgen.grid import save_npz
from tests.unit.test_evaluate_metrics import noise, toy_building


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("ev")
    rng = np.random.default_rng(0)
    for name, count in (("dataset", 24), ("generated", 8)):
        for i in range(count):
            d = root / name / f"sample_{i:04d}"
            d.mkdir(parents=True)
            save_npz(toy_building(rng), d / "voxels.npz")
    for i in range(6):
        save_npz(noise(rng), root / "noise" / f"n{i}.npz")
    return root


def test_evaluate_prints_table_and_writes_json(folders, tmp_path, capsys):
    out = tmp_path / "report.json"
    rc = run(["evaluate", "--samples", str(folders / "generated"), "--reference", str(folders / "dataset"),
              "--json", str(out), "--no-features", "--bootstrap", "20"])
    assert rc == 0
    table = capsys.readouterr().out
    assert "plausible" in table and "baseline" in table and "near_copies" in table
    rep = json.loads(out.read_text())
    assert rep["n_samples"] == 8 and rep["n_reference"] == 24
    assert all(set(rep[k]) == {"samples", "baseline", "ci"} for k in CONTRACT_KEYS)
    assert rep["plausible"]["samples"] == 1


def test_noise_fails_the_targets(folders, capsys):
    rc = run(["evaluate", "-s", str(folders / "noise"), "-r", str(folders / "dataset"), "--no-features", "--bootstrap", "0"])
    assert rc == 0
    assert "target plausible" in (text := capsys.readouterr().out) and "FAIL" in text


@pytest.mark.parametrize("args, code, msg", [
    (["--reference", "{d}/dataset"], 2, "exactly one of"),
    (["--samples", "{d}/generated", "--checkpoint", "x.pt", "--reference", "{d}/dataset"], 2, "exactly one of"),
    (["--samples", "{d}/missing", "--reference", "{d}/dataset"], 3, "no such file"),
    (["--samples", "{d}/generated", "--reference", "{d}/empty"], 3, "holds no structures"),
    (["--samples", "{d}/generated", "--reference", "{d}/dataset", "--label", "house"], 2, "only go with --checkpoint"),
])
def test_bad_input_is_one_clear_line(folders, capsys, args, code, msg):
    (folders / "empty").mkdir(exist_ok=True)
    rc = run(["evaluate", *[a.format(d=folders) for a in args], "--no-features"])
    err = capsys.readouterr().err
    assert rc == code and msg in err and "Traceback" not in err
    assert err.strip().count("\n") == 0


def test_evaluate_generates_from_a_checkpoint(folders, tmp_path, capsys):
    import torch

    from mcgen.ml.checkpoint import save_checkpoint
    from mcgen.ml.objectives.gaussian import DiffusionConfig
    from mcgen.ml.config import ModelConfig
    from mcgen.ml.network import build_model
    from mcgen.vocab import DEFAULT_VOCAB

    torch.manual_seed(0)
    cfg = ModelConfig(preset="tiny", grid_size=16)
    ckpt = tmp_path / "latest.pt"
    save_checkpoint(ckpt, model_cfg=cfg, diffusion_cfg=DiffusionConfig(), vocabulary=list(DEFAULT_VOCAB.states),
                    label_names=[], ema_state=build_model(cfg).state_dict(), step=7)
    out, saved = tmp_path / "r.json", tmp_path / "gen"
    rc = run(["evaluate", "--checkpoint", str(ckpt), "-n", "3", "--steps", "2", "--device", "cpu",
              "-r", str(folders / "dataset"), "--json", str(out), "--save-samples", str(saved),
              "--no-features", "--bootstrap", "0"])
    assert rc == 0, capsys.readouterr().err
    rep = json.loads(out.read_text())
    assert rep["n_samples"] == 3 and rep["samples_source"] == str(ckpt)
    assert len(list(saved.glob("sample_*.json"))) == 3


def test_a_conditional_checkpoint_is_evaluated_on_every_class_and_cleaned(folders, tmp_path, capsys):
    from mcgen.grid import load_json
    from tests.model_helpers import random_checkpoint

    ckpt = random_checkpoint(tmp_path / "latest.pt")
    saved = tmp_path / "gen"
    rc = run(["evaluate", "--checkpoint", str(ckpt), "-n", "3", "--steps", "2", "--device", "cpu", "--guidance", "2",
              "--cleanup", "largest", "-r", str(folders / "dataset"), "--save-samples", str(saved),
              "--no-features", "--bootstrap", "0"])
    assert rc == 0, capsys.readouterr().err
    grids = [load_json(saved / f"sample_000{i}.json") for i in range(3)]
    assert [g.meta["label"] for g in grids] == ["house", "tower", "house"]
    assert all(g.meta["cleanup"] == "largest" for g in grids)
    assert run(["evaluate", "--checkpoint", str(ckpt), "-r", str(folders / "dataset"), "--label", "castle"]) == 3
    assert "unknown label 'castle'" in capsys.readouterr().err
