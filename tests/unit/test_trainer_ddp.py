"""DistributedDataParallel on CPU (gloo): 2 processes match 1 process with the same global batch."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from mcgen.ml.checkpoint import load_checkpoint
from trainer.config import TrainConfig

from .trainer_testdata import write_dataset


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cfg(ds: Path, out: Path, **kw) -> TrainConfig:
    base = dict(data=str(ds), out=str(out), model_size="tiny", hidden_size=32, depth=1, num_heads=2, batch_size=4, lr=1e-3, warmup_steps=1,
                max_steps=3, sample_every=2, samples_per_step=1, sample_steps=2, ckpt_every=2, log_every=1,
                device="cpu", seed=1)
    base.update(kw)
    return TrainConfig(**base)


def _worker(rank: int, world: int, port: int, cfg: TrainConfig) -> None:
    from trainer.loop import train

    torch.set_num_threads(1)
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    train(cfg, progress=False)


def test_two_gloo_processes_match_one_process_with_accumulation(tmp_path):
    from trainer.loop import train

    ds = write_dataset(tmp_path / "ds", count=6)
    mp.start_processes(_worker, args=(2, _free_port(), _cfg(ds, tmp_path / "ddp")), nprocs=2, join=True,
                       start_method="spawn")
    torch.set_num_threads(1)
    train(_cfg(ds, tmp_path / "single", grad_accum=2), progress=False)

    ddp = load_checkpoint(tmp_path / "ddp" / "checkpoints" / "latest.pt")
    single = load_checkpoint(tmp_path / "single" / "checkpoints" / "latest.pt")
    assert ddp.step == single.step == 3
    assert ddp.train_state["counters"]["world_size"] == 2
    for k, v in single.train_state["model"].items():
        torch.testing.assert_close(ddp.train_state["model"][k], v, rtol=1e-5, atol=1e-6, msg=k)
    # the rank-0-only outputs exist once, and the sampled previews were written
    assert (tmp_path / "ddp" / "inference_samples" / "step_000002_sample_0.json").is_file()
    lines = (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 3
    model_only = ddp.build_model("cpu")
    assert not any(torch.isnan(p).any() for p in model_only.parameters())


def test_batch_must_split_evenly_over_processes(tmp_path):
    from mcgen.errors import ConfigError
    from trainer import dist
    from trainer.loop import TrainRun

    ds = write_dataset(tmp_path / "ds", count=2)
    with pytest.raises(ConfigError, match="multiple of processes"):
        TrainRun(_cfg(ds, tmp_path / "o", batch_size=3), dist.DistInfo(0, 2, 0), torch.device("cpu"), False)
