"""Checkpoints: round trip, weights_only loading, prefix stripping, and one-line errors."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mcgen.ml.checkpoint import FORMAT_VERSION, load_checkpoint, save_checkpoint, strip_prefixes
from mcgen.ml.objectives.gaussian import DiffusionConfig
from mcgen.errors import CheckpointError
from mcgen.ml.objectives.masked import MaskedConfig
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.vocab import DEFAULT_VOCAB

VOCAB = list(DEFAULT_VOCAB.states)
CFG = ModelConfig(preset="tiny", num_labels=2, depth=1, hidden_size=64, num_heads=2)


def _save(path: Path, cfg: ModelConfig = CFG, state: dict | None = None, **kw) -> dict:
    torch.manual_seed(0)
    state = build_model(cfg).state_dict() if state is None else state
    args = dict(model_cfg=cfg, diffusion_cfg=DiffusionConfig(schedule="linear"), vocabulary=VOCAB,
                label_names=["house", "tower"], ema_state=state, step=42)
    args.update(kw)
    save_checkpoint(path, **args)
    return state


def _tamper(path: Path, **changes) -> None:
    d = torch.load(path, weights_only=True)
    d.update(changes)
    buf = io.BytesIO()
    torch.save(d, buf)
    path.write_bytes(buf.getvalue())


def test_round_trip_rebuilds_the_same_model(tmp_path: Path) -> None:
    p = tmp_path / "ck.pt"
    train = {"optimizer": {"lr": 1e-3, "moments": [torch.ones(3)]}, "rng": torch.get_rng_state(), "epoch": 1}
    state = _save(p, train_state=train, extra={"note": "x"})
    ck = load_checkpoint(p)
    assert ck.model_cfg == CFG and ck.diffusion_cfg.schedule == "linear"
    assert ck.vocabulary == VOCAB and ck.label_names == ["house", "tower"] and ck.step == 42
    assert ck.train_state["epoch"] == 1 and torch.equal(ck.train_state["rng"], train["rng"])
    assert ck.extra == {"note": "x"} and ck.mcgen_version
    model = ck.build_model("cpu")
    assert not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k])
    raw = torch.load(p, weights_only=True)  # plain values only
    assert raw["format_version"] == FORMAT_VERSION and isinstance(raw["model_config"], dict)


def test_compile_and_ddp_prefixes_are_stripped(tmp_path: Path) -> None:
    state = build_model(CFG).state_dict()
    wrapped = {f"_orig_mod.module.{k}": v for k, v in state.items()}
    _save(tmp_path / "ck.pt", state=wrapped, train_state={"model": {f"module.{k}": v for k, v in state.items()}})
    ck = load_checkpoint(tmp_path / "ck.pt")
    assert set(ck.ema_state) == set(state) and set(ck.train_state["model"]) == set(state)
    assert strip_prefixes({"module._orig_mod.a": 1}) == {"a": 1}


def test_saving_refuses_objects_that_weights_only_cannot_load(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="only tensors and plain values"):
        _save(tmp_path / "ck.pt", train_state={"sched": object()})
    assert not (tmp_path / "ck.pt").exists()


def test_saving_checks_vocabulary_and_labels_against_the_config(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="vocabulary"):
        _save(tmp_path / "ck.pt", vocabulary=VOCAB[:-1])
    with pytest.raises(CheckpointError, match="label"):
        _save(tmp_path / "ck.pt", label_names=["house"])


def _one_line_error(path: Path, match: str) -> None:
    with pytest.raises(CheckpointError, match=match) as info:
        load_checkpoint(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    _one_line_error(tmp_path / "nope.pt", "no such checkpoint")


def test_truncated_file(tmp_path: Path) -> None:
    p = tmp_path / "ck.pt"
    _save(p)
    data = p.read_bytes()
    for cut in (len(data) // 2, 100, 0):
        p.write_bytes(data[:cut])
        _one_line_error(p, "not a readable checkpoint")


def test_not_a_checkpoint(tmp_path: Path) -> None:
    text = tmp_path / "notes.pt"
    text.write_text("hello, this is not torch\n")
    _one_line_error(text, "not a readable checkpoint")
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.ones(2)}, other)
    _one_line_error(other, "not an mcgen checkpoint")
    pickled = tmp_path / "pickled.pt"
    torch.save({"format": "mcgen.checkpoint", "obj": Path("x")}, pickled)  # needs full unpickling
    _one_line_error(pickled, "not a readable checkpoint")
    _one_line_error(tmp_path, "not a file")


def test_format_1_checkpoints_still_load_with_their_tanh_gelu(tmp_path: Path) -> None:
    p = tmp_path / "ck.pt"
    _save(p)
    old_cfg = {k: v for k, v in CFG.to_dict().items() if k != "activation"}
    _tamper(p, format_version=1, model_config=old_cfg)
    ck = load_checkpoint(p)
    assert ck.model_cfg.activation == "gelu_tanh"
    assert ck.build_model("cpu").blocks[0].mlp[1].approximate == "tanh"


def test_format_2_checkpoints_load_as_gaussian(tmp_path: Path) -> None:
    """Written before the objective seam: no ``objective`` key, no ``mask_token`` field."""
    p = tmp_path / "ck.pt"
    _save(p)
    old_cfg = {k: v for k, v in CFG.to_dict().items() if k != "mask_token"}
    d = torch.load(p, weights_only=True)
    del d["objective"]
    d.update(format_version=2, model_config=old_cfg)
    torch.save(d, p)
    ck = load_checkpoint(p)
    assert ck.objective().kind == "gaussian" and ck.objective().default_sampler == "ddim"
    assert ck.diffusion_cfg.schedule == "linear" and not ck.model_cfg.mask_token


def test_masked_checkpoint_round_trips_with_its_objective(tmp_path: Path) -> None:
    p = tmp_path / "ck.pt"
    cfg = ModelConfig(preset="tiny", num_labels=2, depth=1, hidden_size=64, num_heads=2, mask_token=True)
    state = _save(p, cfg, diffusion_cfg=MaskedConfig(schedule="linear", weighting="bounded"))
    assert torch.load(p, weights_only=True)["objective"] == "masked"
    ck = load_checkpoint(p)
    assert ck.objective().kind == "masked" and ck.diffusion_cfg == MaskedConfig(schedule="linear", weighting="bounded")
    model = ck.build_model()
    assert model.state_embed is not None and torch.equal(model.state_embed.weight, state["state_embed.weight"])
    _tamper(p, objective="gaussian", diffusion_config={})
    _one_line_error(p, "does not fit a model with mask_token=True")
    _tamper(p, objective="flow")
    _one_line_error(p, "unknown objective 'flow'")


def test_newer_format_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "ck.pt"
    _save(p)
    _tamper(p, format_version=FORMAT_VERSION + 1)
    _one_line_error(p, "newer than this mcgen reads")


@pytest.mark.parametrize("change, match", [
    ({"model_config": {**CFG.to_dict(), "hidden_size": 96}}, "weights do not match"),
    ({"model_config": {**CFG.to_dict(), "preset": "huge"}}, "unknown model preset"),
    ({"model_config": {**CFG.to_dict(), "colour": 1}}, "unknown model config keys"),
    ({"diffusion_config": {"schedule": "quadratic"}}, "unknown schedule"),
    ({"vocabulary": VOCAB[:10]}, "vocabulary"),
    ({"label_names": ["house"]}, "label"),
    ({"step": -1}, "bad step"),
    ({"ema": {}}, "weights do not match"),
])
def test_inconsistent_checkpoint_is_refused(tmp_path: Path, change: dict, match: str) -> None:
    p = tmp_path / "ck.pt"
    _save(p)
    _tamper(p, **change)
    _one_line_error(p, match)


def test_wrong_weight_shape_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "ck.pt"
    state = _save(p)
    ema = dict(state)
    key = next(k for k in ema if k.endswith("patch_embed.weight"))
    ema[key] = torch.zeros(3, 3)
    _tamper(p, ema=ema)
    _one_line_error(p, "has shape")


def test_cli_reports_a_bad_checkpoint_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "latest.pt"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    r = subprocess.run([sys.executable, "-m", "mcgen", "sample", "--checkpoint", str(bad), "--output-dir",
                        str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 3
    assert r.stderr.strip().count("\n") == 0 and r.stderr.startswith("mcgen: error: ")
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()


def test_pack_keeps_only_ema_weights_in_float16_and_loads_back_as_float32(tmp_path: Path) -> None:
    from mcgen.ml.checkpoint import pack_checkpoint

    src, dst = tmp_path / "ck.pt", tmp_path / "packed.pt"
    train = {"optimizer": {"moments": [torch.ones(1000)]}, "model": build_model(CFG).state_dict()}
    state = _save(src, train_state=train, extra={"note": "x"})
    pack_checkpoint(src, dst, extra={"trained_on": "test"})
    raw = torch.load(dst, weights_only=True)
    assert raw["train"] is None and all(v.dtype == torch.float16 for v in raw["ema"].values() if v.is_floating_point())
    assert dst.stat().st_size < 0.4 * src.stat().st_size
    ck = load_checkpoint(dst)
    assert ck.step == 42 and ck.label_names == ["house", "tower"] and ck.train_state is None
    assert ck.extra["note"] == "x" and ck.extra["trained_on"] == "test" and ck.extra["packed"]["dtype"] == "float16"
    assert all(v.dtype == torch.float32 for v in ck.ema_state.values() if v.is_floating_point())
    for k, v in ck.build_model().state_dict().items():  # float16 rounding, nothing more
        assert torch.allclose(v, state[k], rtol=1e-3, atol=1e-4), k


def test_pack_refuses_a_bad_dtype_and_the_cli_an_existing_output(tmp_path: Path, capsys) -> None:
    from mcgen.cli import run
    from mcgen.errors import ConfigError
    from mcgen.ml.checkpoint import pack_checkpoint

    src, dst = tmp_path / "ck.pt", tmp_path / "packed.pt"
    _save(src)
    with pytest.raises(ConfigError, match="dtype must be one of"):
        pack_checkpoint(src, dst, dtype="int8")
    assert not dst.exists()
    assert run(["models", "pack", str(src), str(dst)]) == 0
    assert f"{dst}  sha256 " in capsys.readouterr().out
    before = dst.read_bytes()
    assert run(["models", "pack", str(src), str(dst)]) == 4
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error: ") and "already exists" in err and "\n" not in err
    assert dst.read_bytes() == before
    assert run(["models", "pack", str(src), str(dst), "--force", "--dtype", "float32"]) == 0
    assert load_checkpoint(dst).ema_state  # rewritten, float32 this time
    assert torch.load(dst, weights_only=True)["extra"]["packed"]["dtype"] == "float32"


def test_a_loaded_checkpoint_builds_its_sampling_model_once_and_samples_as_a_fresh_load(tmp_path: Path) -> None:
    from mcgen.generate import SampleSettings, generate
    from tests.model_helpers import random_checkpoint

    path = random_checkpoint(tmp_path / "ck.pt", objective="masked", air_bias=2.0)
    ck = load_checkpoint(path)
    assert ck.eval_model() is ck.eval_model() and ck.build_model() is not ck.eval_model()
    for seed in (0, 1):  # the kept model gives what a fresh load gives, call after call
        s = SampleSettings(seed=seed, label="all", num_steps=3, device="cpu")
        again, fresh = generate(ck, 2, s, clean="none"), generate(path, 2, s, clean="none")
        assert [g.blocks.tolist() for g in again] == [g.blocks.tolist() for g in fresh]
