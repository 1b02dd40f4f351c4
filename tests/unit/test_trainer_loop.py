"""The training loop on CPU: output tree, exact resume, divergence and interruption handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mcgen.ml.checkpoint import load_checkpoint
from mcgen.errors import CheckpointError, ConfigError
from trainer.config import TrainConfig
from trainer.loop import TrainingDiverged, TrainingInterrupted, lr_at, train

from .trainer_testdata import write_dataset


@pytest.fixture
def micro_model():
    """One thread (the model is shrunk by ``_cfg``: hidden 32, one block, two heads)."""
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return write_dataset(tmp_path_factory.mktemp("data") / "ds", count=6)


def _cfg(ds: Path, out: Path, **kw) -> TrainConfig:
    base = dict(data=str(ds), out=str(out), model_size="tiny", hidden_size=32, depth=1, num_heads=2, batch_size=2, lr=1e-3, warmup_steps=2,
                sample_every=0, ckpt_every=0, log_every=1, device="cpu", seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("objective", ["gaussian", "masked"])
def test_run_writes_the_whole_output_tree(micro_model, dataset, tmp_path, objective):
    out = tmp_path / "out"
    summary = train(_cfg(dataset, out, max_steps=4, sample_every=2, ckpt_every=2, samples_per_step=2,
                         sample_steps=2, objective=objective), progress=False)
    assert summary["steps"] == 4 and summary["final_loss"] > 0
    for rel in ("checkpoints/step_000002.pt", "checkpoints/step_000004.pt", "checkpoints/latest.pt",
                "inference_samples/step_000002_sample_0.json", "inference_samples/step_000004_sample_1.json",
                "inference_samples/step_000002.png", "progress.png", "loss.png", "training.log",
                "metrics.jsonl", "config.json"):
        assert (out / rel).is_file(), rel
    ck = load_checkpoint(out / "checkpoints" / "latest.pt")
    assert ck.step == 4 and ck.label_names == ["house", "tower"] and ck.train_state["counters"]["step"] == 4
    sample = json.loads((out / "inference_samples" / "step_000004_sample_0.json").read_text())
    assert sample["meta"]["step"] == 4 and sample["meta"]["weights"] == "ema"
    assert sample["meta"]["objective"] == objective and ck.objective().kind == objective
    assert sample["meta"]["sampler"] == ("ddim" if objective == "gaussian" else "confidence")
    recs = _metrics(out)
    assert [r["step"] for r in recs] == [1, 2, 3, 4]
    assert {"step", "epoch", "loss", "lr", "grad_norm", "samples_per_s", "time"} <= set(recs[0])
    conf = json.loads((out / "config.json").read_text())
    assert conf["config"]["batch_size"] == 2 and conf["resolved"]["total_steps"] == 4


@pytest.mark.parametrize("objective,head", [("gaussian", "linear"), ("masked", "linear"), ("masked", "voxel"),
                                            ("gaussian", "voxel_occupancy")])
def test_resume_is_bit_identical(micro_model, dataset, tmp_path, objective, head):
    straight, split = tmp_path / "a", tmp_path / "b"
    kw = {"objective": objective, "head": head, "head_width": 4}
    train(_cfg(dataset, straight, max_steps=6, **kw), progress=False)
    with pytest.raises(TrainingInterrupted):
        _interrupt_after(3, _cfg(dataset, split, max_steps=6, **kw))
    train(_cfg(dataset, split, max_steps=6, resume="auto", **kw), progress=False)
    resumed = load_checkpoint(split / "checkpoints" / "latest.pt")
    assert resumed.objective().kind == objective and resumed.model_cfg.head == head
    a = load_checkpoint(straight / "checkpoints" / "latest.pt")
    b = load_checkpoint(split / "checkpoints" / "latest.pt")
    for k in a.train_state["model"]:
        assert torch.equal(a.train_state["model"][k], b.train_state["model"][k]), k
    for k in a.ema_state:
        assert torch.equal(a.ema_state[k], b.ema_state[k]), k
    keep = ("step", "loss", "grad_norm", "lr", "epoch")
    assert [{k: r[k] for k in keep} for r in _metrics(straight)] == [{k: r[k] for k in keep} for r in _metrics(split)]


def _interrupt_after(n: int, cfg: TrainConfig) -> None:
    """Run ``cfg`` but request a stop (as Ctrl-C does) once step ``n`` is done."""
    import trainer.loop as loop

    orig = loop.TrainRun.train_step

    def step(self, s):
        result = orig(self, s)
        if s + 1 == n:
            self.stop_requested = True
        return result

    loop.TrainRun.train_step = step
    try:
        train(cfg, progress=False)
    finally:
        loop.TrainRun.train_step = orig


def test_interrupt_writes_a_loadable_checkpoint(micro_model, dataset, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(TrainingInterrupted) as info:
        _interrupt_after(2, _cfg(dataset, out, max_steps=50))
    assert info.value.step == 2
    assert load_checkpoint(out / "checkpoints" / "latest.pt").step == 2


def test_nan_loss_stops_and_keeps_last_good_checkpoint(micro_model, dataset, tmp_path, monkeypatch):
    from mcgen.ml.objectives.masked import MaskedObjective

    out = tmp_path / "out"
    real = MaskedObjective.loss
    calls = {"n": 0}

    def poisoned(self, *a, **kw):
        calls["n"] += 1
        loss = real(self, *a, **kw)
        return loss * float("nan") if calls["n"] > 3 else loss

    monkeypatch.setattr(MaskedObjective, "loss", poisoned)
    with pytest.raises(TrainingDiverged, match="NaN or infinite at step 4.*last good checkpoint"):
        train(_cfg(dataset, out, max_steps=10, ckpt_every=2, log_every=3), progress=False)
    ck = load_checkpoint(out / "checkpoints" / "latest.pt")
    assert ck.step == 2
    assert all(torch.isfinite(v).all() for v in ck.ema_state.values())
    assert not (out / "checkpoints" / "step_000004.pt").exists()


def test_resume_refuses_a_different_batch_size(micro_model, dataset, tmp_path):
    out = tmp_path / "out"
    train(_cfg(dataset, out, max_steps=2), progress=False)
    with pytest.raises(CheckpointError, match="batch_size"):
        train(_cfg(dataset, out, max_steps=4, batch_size=4, resume="auto"), progress=False)


def test_resume_auto_without_checkpoint_starts_fresh_and_named_missing_fails(micro_model, dataset, tmp_path):
    out = tmp_path / "out"
    assert train(_cfg(dataset, out, max_steps=1, resume="auto"), progress=False)["steps"] == 1
    with pytest.raises(CheckpointError, match="not found"):
        train(_cfg(dataset, out, max_steps=1, resume=str(tmp_path / "nope.pt")), progress=False)


def test_batch_not_divisible_by_accumulation_is_a_config_error():
    with pytest.raises(ConfigError, match="grad_accum"):
        TrainConfig(batch_size=3, grad_accum=2)


def test_lr_warms_up_then_decays_by_cosine():
    cfg = TrainConfig(lr=1e-3, warmup_steps=10, lr_schedule="cosine", min_lr_ratio=0.1)
    lrs = [lr_at(s, cfg, 100) for s in range(100)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[9] == pytest.approx(1e-3)
    assert all(a <= b for a, b in zip(lrs[:10], lrs[1:10]))
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))
    assert lrs[-1] == pytest.approx(1e-4, rel=0.01)
    const = TrainConfig(lr=1e-3, warmup_steps=10, lr_schedule="constant")
    assert lr_at(50, const, 100) == 1e-3
    # warmup never takes more than a fifth of a short run
    assert lr_at(3, cfg, 20) == pytest.approx(1e-3)


def test_eval_hook_appends_eval_records(micro_model, dataset, tmp_path):
    out = tmp_path / "out"
    train(_cfg(dataset, out, max_steps=2, eval_every=2, sample_steps=2, log_every=2), progress=False)
    evals = [r for r in _metrics(out) if "eval" in r]
    assert len(evals) == 1 and evals[0]["step"] == 2
    assert "fill_mean" in evals[0]["eval"] or "fill" in evals[0]["eval"]
    assert "eval at step 2" in (out / "training.log").read_text()


def test_progress_bar_on_a_terminal_and_lines_elsewhere(tmp_path):
    import io

    from trainer.logs import RunLog

    rec = {"step": 5, "epoch": 0, "loss": 0.5, "lr": 1e-4, "grad_norm": 1.0, "samples_per_s": 9.0, "eta_s": 65}
    bar, lines = io.StringIO(), io.StringIO()
    b = RunLog(tmp_path / "a", 10, display="bar", stream=bar)
    b.metrics(rec)
    b.tick(5, 0, 65.0)
    b.close()
    assert "\r[" in bar.getvalue() and "5/10" in bar.getvalue() and "loss 0.5000" in bar.getvalue()
    le = RunLog(tmp_path / "b", 10, display="lines", stream=lines)
    le.metrics(rec)
    le.tick(6, 0, 1.0)
    le.close()
    assert lines.getvalue() == "step 5/10 epoch 0 loss 0.5000 lr 1.00e-04 grad 1.000 9.0 samples/s eta 1:05\n"
