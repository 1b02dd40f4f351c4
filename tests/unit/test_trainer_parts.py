"""Trainer building blocks: dataset loading and batch order, EMA, resume state, pictures, logs."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from PIL import Image

from mcgen.errors import CheckpointError, ConfigError, FormatError
from mcgen.files import read_structure
from mcgen.grid import VoxelGrid, save_npz
from trainer.data import BatchOrder, load_dataset, shard, step_seed
from trainer.ema import EMA, ema_decay_at
from trainer.logs import RunLog, read_metrics
from trainer.previews import write_loss_plot, write_progress_sheet, write_step_sheet
from trainer.state import capture_rng, prune, publish_latest, resolve_resume, restore_rng

from .trainer_testdata import VOCAB, house, tower, write_dataset


# --- data -----------------------------------------------------------------------------------
def test_load_dataset_maps_to_vocabulary_and_reads_labels(tmp_path):
    ds = write_dataset(tmp_path / "ds", count=4)
    data = load_dataset(ds)
    assert data.blocks.shape == (4, 16, 16, 16) and data.blocks.dtype == torch.int16
    assert data.label_names == ["house", "tower"] and data.labels.tolist() == [0, 1, 0, 1]
    for i in range(4):
        assert VoxelGrid(data.blocks[i].numpy(), VOCAB) == read_structure(ds / f"sample_{i:04d}")


def test_load_dataset_leaves_out_the_held_out_split(tmp_path):
    ds = write_dataset(tmp_path / "ds", count=6, held_out=(1, 4))
    data = load_dataset(ds)
    assert len(data) == 4 and data.held_out == 2
    for row, i in enumerate((0, 2, 3, 5)):
        assert VoxelGrid(data.blocks[row].numpy(), VOCAB) == read_structure(ds / f"sample_{i:04d}")
    assert data.label_names == ["house", "tower"] and data.labels.tolist() == [0, 0, 1, 1]
    only = write_dataset(tmp_path / "all_held", count=2, held_out=(0, 1))
    with pytest.raises(ConfigError, match="held out"):
        load_dataset(only)


def test_unlabelled_dataset_has_no_labels(tmp_path):
    data = load_dataset(write_dataset(tmp_path / "ds", count=2, labels=False))
    assert data.labels is None and data.label_names == []


def test_dataset_errors(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_dataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="manifest"):
        load_dataset(tmp_path / "empty")
    ds = write_dataset(tmp_path / "ds", count=2)
    odd = VoxelGrid.from_states(np.full((16, 16, 16), "minecraft:diamond_block", dtype=object))
    save_npz(odd, ds / "sample_0001" / "voxels.npz")
    with pytest.raises(FormatError, match="not in the vocabulary"):
        load_dataset(ds)


def test_batch_order_is_deterministic_and_covers_each_epoch():
    order = BatchOrder(10, 4, seed=5)
    assert order.steps_per_epoch == 3
    epoch0 = torch.cat([order.global_batch_at(s)[1] for s in range(3)])
    assert sorted(epoch0[:10].tolist()) == list(range(10))  # a permutation, padded by wrapping
    assert torch.equal(epoch0, torch.cat([BatchOrder(10, 4, 5).global_batch_at(s)[1] for s in range(3)]))
    assert order.global_batch_at(3)[0] == 1 and not torch.equal(order.permutation(1), order.permutation(0))
    small = BatchOrder(3, 8, seed=0)  # fewer samples than a batch: still full batches
    assert small.global_batch_at(0)[1].shape == (8,)


def test_shards_partition_the_global_batch():
    rows = torch.arange(12)
    parts = [shard(rows, p, 3) for p in range(3)]
    assert torch.equal(torch.cat(parts), rows)
    assert len({step_seed(0, 1, p) for p in range(3)} | {step_seed(0, 2, 0), step_seed(1, 1, 0)}) == 5


# --- EMA ------------------------------------------------------------------------------------
def test_ema_decay_warms_up():
    assert ema_decay_at(0, 0.9999) == pytest.approx(0.1)
    assert ema_decay_at(90, 0.9999) == pytest.approx(0.91)
    assert ema_decay_at(10**6, 0.999) == 0.999
    # after 650 updates little of the initial weights is left (a fixed 0.9999 would keep 94%)
    keep = np.prod([ema_decay_at(n, 0.9999) for n in range(650)])
    assert keep < 1e-3


def test_ema_update_and_state_round_trip():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    ema = EMA(model, 0.5)
    start = model.weight.detach().clone()
    with torch.no_grad():
        model.weight.add_(1.0)
    ema.update()  # decay 0.1: 90% new weights
    torch.testing.assert_close(ema.module.weight, start + 0.9)
    assert not ema.module.weight.requires_grad and not ema.module.training
    other = EMA(model, 0.5)
    other.load_state_dict(ema.state_dict(), ema.updates)
    assert other.updates == 1 and torch.equal(other.module.weight, ema.module.weight)


# --- state ----------------------------------------------------------------------------------
def test_rng_capture_restore_survives_weights_only_round_trip(tmp_path):
    state = capture_rng()
    torch.save(state, tmp_path / "rng.pt")
    a = (random.random(), np.random.rand(), torch.rand(3))
    restore_rng(torch.load(tmp_path / "rng.pt", weights_only=True))
    b = (random.random(), np.random.rand(), torch.rand(3))
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


def test_prune_keeps_newest_and_latest_survives(tmp_path):
    for s in (10, 20, 30):
        (tmp_path / f"step_{s:06d}.pt").write_bytes(str(s).encode())
    publish_latest(tmp_path / "step_000010.pt")
    assert (tmp_path / "latest.pt").read_bytes() == b"10"
    publish_latest(tmp_path / "step_000030.pt")
    gone = prune(tmp_path, keep_last=1)
    assert sorted(p.name for p in gone) == ["step_000010.pt", "step_000020.pt"]
    assert (tmp_path / "latest.pt").read_bytes() == b"30" and (tmp_path / "step_000030.pt").exists()
    assert prune(tmp_path, keep_last=0) == []
    assert not list(tmp_path.glob("*.tmp"))


def test_resolve_resume(tmp_path):
    assert resolve_resume(None, tmp_path) is None and resolve_resume("auto", tmp_path) is None
    with pytest.raises(CheckpointError):
        resolve_resume("latest.pt", tmp_path)
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "latest.pt").write_bytes(b"x")
    assert resolve_resume("auto", tmp_path) == tmp_path / "checkpoints" / "latest.pt"
    assert resolve_resume("latest.pt", tmp_path) == tmp_path / "checkpoints" / "latest.pt"


# --- pictures and logs ----------------------------------------------------------------------
def test_pictures(tmp_path):
    write_step_sheet([house(), tower()], ["#0 house", "#1 tower"], tmp_path / "step_000005.png", 5, cell=64)
    write_step_sheet([tower(), house()], ["#0", "#1"], tmp_path / "step_000010.png", 10, cell=64)
    img = Image.open(tmp_path / "step_000005.png")
    assert img.width == 128 and len(np.unique(np.asarray(img.convert("L")))) > 10  # something was drawn
    assert write_progress_sheet(tmp_path, tmp_path / "progress.png")
    assert Image.open(tmp_path / "progress.png").height >= 2 * img.height
    steps = list(range(1, 200))
    assert write_loss_plot(steps, [4.0 * 0.98**s for s in steps], tmp_path / "loss.png")
    assert Image.open(tmp_path / "loss.png").size == (720, 420)
    assert not write_loss_plot([1], [float("nan")], tmp_path / "none.png")


def test_runlog_resume_drops_lines_past_the_checkpoint(tmp_path):
    log = RunLog(tmp_path, 10, display="none")
    for s in (2, 4, 6):
        log.metrics({"step": s, "epoch": 0, "loss": 1.0, "lr": 1e-4, "grad_norm": 1.0, "samples_per_s": 1.0})
    log.close()
    again = RunLog(tmp_path, 10, display="none", resume_step=4)
    again.close()
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [2, 4]
    assert "step 6/10" in (tmp_path / "training.log").read_text()
