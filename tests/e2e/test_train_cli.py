"""``mcgen train`` as a user runs it: flags, config file, errors, Ctrl-C, torchrun."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mcgen.ml.checkpoint import load_checkpoint
from mcgen.cli import run

from ..unit.trainer_testdata import write_dataset

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ds(tmp_path) -> Path:
    return write_dataset(tmp_path / "ds", count=4)


@pytest.fixture
def micro():
    torch.set_num_threads(1)


def test_train_command_writes_outputs_and_reports(ds, tmp_path, micro, capsys):
    out = tmp_path / "out"
    conf = tmp_path / "run.toml"
    conf.write_text('model-size = "tiny"\nbatch-size = 2\nsample-steps = 2\ndepth = 1\n')
    rc = run(["train", "--data", str(ds), "--out", str(out), "--config", str(conf), "--max-steps", "3",
              "--hidden", "32", "--heads", "2",
              "--sample-every", "3", "--ckpt-every", "3", "--device", "cpu", "--quiet"])
    assert rc == 0
    assert "trained 3 steps" in capsys.readouterr().out
    assert load_checkpoint(out / "checkpoints" / "latest.pt").step == 3
    assert (out / "progress.png").is_file() and (out / "inference_samples" / "step_000003_sample_1.json").is_file()
    cfg = json.loads((out / "config.json").read_text())["config"]
    assert (cfg["model_size"], cfg["batch_size"], cfg["max_steps"]) == ("tiny", 2, 3)
    # the checkpoint feeds `mcgen sample` directly
    gen = tmp_path / "gen"
    assert run(["sample", "--checkpoint", str(out / "checkpoints" / "latest.pt"), "-n", "2", "--num-steps", "2",
                "-o", str(gen), "--device", "cpu"]) == 0
    assert len(list(gen.glob("sample_*.json"))) == 2


def test_bad_values_are_one_line_errors(ds, tmp_path, capsys):
    assert run(["train", "--data", str(ds), "--out", str(tmp_path / "o"), "--amp", "int8"]) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error: amp must be one of") and "\n" not in err
    assert run(["train", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 3
    assert "dataset folder not found" in capsys.readouterr().err
    assert run(["train", "--data", str(ds), "--resume", str(tmp_path / "none.pt"), "--out", str(tmp_path / "o")]) == 3
    assert "not found" in capsys.readouterr().err


def test_help_lists_the_flags(capsys):
    assert run(["train", "--help"]) == 0
    text = capsys.readouterr().out
    for flag in ("--data", "--out", "--model-size", "--epochs", "--batch-size", "--lr", "--sample-every",
                 "--samples-per-step", "--sample-steps", "--ckpt-every", "--resume", "--seed", "--device",
                 "--amp", "--ema-decay", "--max-steps", "--label-dropout", "--workers", "--keep-last",
                 "--config", "--eval-every"):
        assert flag in text, flag


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def test_ctrl_c_writes_a_checkpoint_and_exits_130(ds, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mcgen", "train", "--data", str(ds), "--out", str(out), "--model-size", "tiny",
           "--batch-size", "2", "--max-steps", "100000", "--sample-every", "0", "--log-every", "1", "--device", "cpu"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    metrics = out / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (metrics.is_file() and metrics.read_text().count("\n") >= 2):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted at step" in err and "--resume auto" in err
    ck = load_checkpoint(out / "checkpoints" / "latest.pt")
    assert ck.step >= 2 and ck.train_state is not None


@pytest.mark.slow
def test_torchrun_two_processes(ds, tmp_path):
    torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent)) or shutil.which("torchrun")
    if torchrun is None:
        pytest.skip("torchrun not installed")
    out = tmp_path / "out"
    cmd = [torchrun, "--standalone", "--nproc_per_node=2", "-m", "trainer", "--data", str(ds), "--out", str(out),
           "--model-size", "tiny", "--batch-size", "4", "--max-steps", "2", "--sample-every", "2",
           "--samples-per-step", "1", "--sample-steps", "2", "--device", "cpu", "--quiet"]
    res = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    ck = load_checkpoint(out / "checkpoints" / "latest.pt")
    assert ck.step == 2 and ck.train_state["counters"]["world_size"] == 2


def test_kill_9_leaves_latest_loadable(ds, tmp_path):
    """Checkpoints are written to a temp file and renamed: a SIGKILL at any moment keeps latest.pt whole."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mcgen", "train", "--data", str(ds), "--out", str(out), "--model-size", "tiny",
           "--batch-size", "2", "--max-steps", "100000", "--sample-every", "0", "--ckpt-every", "1",
           "--keep-last", "2", "--device", "cpu", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpts = out / "checkpoints"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(ckpts.glob("step_*.pt"))) < 2:
        time.sleep(0.05)
    time.sleep(0.37)  # land somewhere inside a later write
    proc.kill()
    proc.wait(timeout=60)
    ck = load_checkpoint(ckpts / "latest.pt")
    assert ck.step >= 2 and ck.train_state is not None
    assert len(list(ckpts.glob("step_*.pt"))) <= 3  # --keep-last pruned (plus at most one in flight)
