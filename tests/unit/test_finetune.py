"""Fine-tuning (`mcgen train --init-from`): a model trained on one dataset continued on builds with
new block states and a new label, through the real trainer (tiny models, a couple of steps)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from mcgen.cli import run
from mcgen.errors import CheckpointError, ConfigError
from mcgen.generate import SampleSettings, generate
from mcgen.grid import VoxelGrid, save_json, save_npz
from mcgen.ml.checkpoint import load_checkpoint
from mcgen.models import registry
from mcgen.models.registry import Registry, ShippedModel, file_sha256
from trainer import dist
from trainer.config import TrainConfig
from trainer.loop import TrainRun, train

from .trainer_testdata import VOCAB, write_dataset

NEW_STATES = ["minecraft:diamond_block", "minecraft:gold_block"]


pytestmark = pytest.mark.usefixtures("one_thread")


def _cfg(ds: Path, out: Path, **kw) -> TrainConfig:
    base = dict(data=str(ds), out=str(out), model_size="tiny", hidden_size=32, depth=1, num_heads=2, batch_size=2,
                lr=1e-3, warmup_steps=1, sample_every=0, ckpt_every=0, log_every=1, device="cpu", seed=3)
    base.update(kw)
    return TrainConfig(**base)


def _add_castle(root: Path, states: list[str]) -> Path:
    """One more sample, labelled ``castle``, built of ``states`` the first dataset never had."""
    blocks = np.zeros((16, 16, 16), dtype=np.int64)
    for i in range(len(states)):
        blocks[3:13, i, 3:13] = i + 2
    blocks[3:13, len(states):len(states) + 3, 3] = 1
    g = VoxelGrid(blocks, ["minecraft:air", "minecraft:stone_bricks", *states], {"label": "castle"})
    save_json(g, root / "sample_0100" / "data.json")
    save_npz(g, root / "sample_0100" / "voxels.npz")
    manifest = json.loads((root / "manifest.json").read_text())
    manifest.update(count=manifest["count"] + 1, vocabulary=manifest["vocabulary"] + states,
                    labels={**manifest["labels"], "castle": 1})
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


@pytest.fixture(scope="module", params=["masked", "gaussian"])
def source(request, tmp_path_factory) -> Path:
    """A model trained (two steps) on houses and towers: the 55 default states, labels house, tower."""
    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp("source")
    data = write_dataset(base / "data", count=4)
    train(_cfg(data, base / "out", max_steps=2, objective=request.param), progress=False)
    return base / "out" / "checkpoints" / "latest.pt"


@pytest.fixture(scope="module")
def castles(tmp_path_factory) -> Path:
    return _add_castle(write_dataset(tmp_path_factory.mktemp("castles") / "data", count=4), NEW_STATES)


def _logits(model, x, t, labels):
    with torch.no_grad():
        out = model.logits(model.features(x, t, labels))
    return out.view(*out.shape[:2], -1, model.cfg.vocab_size)  # (B, N, p^3, V)


def test_the_run_starts_from_the_checkpoints_weights_with_the_merged_lists(source, castles, tmp_path):
    src = load_checkpoint(source)
    run_ = TrainRun(_cfg(castles, tmp_path / "ft", init_from=str(source), max_steps=2), dist.env_info(),
                    torch.device("cpu"), progress=False)
    try:
        assert run_.step == 0 and not run_.opt.state
        assert run_.data.vocabulary == VOCAB + NEW_STATES
        assert run_.data.label_names == ["house", "tower", "castle"]
        assert run_.model_cfg.to_dict() == {**src.model_cfg.to_dict(), "vocab_size": len(VOCAB) + 2, "num_labels": 3}
        castle = run_.data.blocks[-1]  # the castle sample, renumbered into the merged vocabulary
        assert {run_.data.vocabulary[i] for i in castle.unique().tolist()} == \
            {"minecraft:air", "minecraft:stone_bricks", *NEW_STATES}
        assert run_.data.labels[-1].item() == 2
        old, new = src.build_model(), run_.ema.module
        g = torch.Generator().manual_seed(0)
        cfg, v = old.cfg, len(VOCAB)
        t, labels = torch.tensor([50.0, 600.0]), torch.tensor([1, 2])  # tower, then the old null label
        if cfg.mask_token:
            x = torch.randint(0, v + 1, (2, cfg.tokens, cfg.patch_size**3), generator=g)  # v: the old [MASK]
            x_new = torch.where(x == v, torch.full_like(x, v + 2), x)
        else:
            x = x_new = torch.randn(2, cfg.tokens, cfg.patch_size**3 * cfg.embed_dim, generator=g)
        torch.testing.assert_close(_logits(new, x_new, t, torch.tensor([1, 3]))[..., :v], _logits(old, x, t, labels),
                                   rtol=1e-5, atol=1e-5)
        assert all(torch.equal(a, run_.model.state_dict()[k]) for k, a in new.state_dict().items())
    finally:
        run_.log.close()


def test_two_steps_of_fine_tuning_record_where_they_started_and_sample_the_new_label(source, castles, tmp_path):
    out = tmp_path / "ft"
    summary = train(_cfg(castles, out, init_from=str(source), max_steps=2), progress=False)
    assert summary["steps"] == 2 and np.isfinite(summary["final_loss"])
    src = load_checkpoint(source)
    expected = {"checkpoint": str(source), "name": None, "path": str(source), "sha256": file_sha256(source),
                "step": src.step, "states": len(VOCAB), "new_states": 2, "labels": ["house", "tower"],
                "new_labels": ["castle"]}
    resolved = json.loads((out / "config.json").read_text())["resolved"]
    assert resolved["init_from"] == expected and resolved["model_config"]["hidden_size"] == 32
    ck = load_checkpoint(out / "checkpoints" / "latest.pt")
    assert ck.extra["init_from"] == expected and ck.step == 2
    assert ck.vocabulary == VOCAB + NEW_STATES and ck.label_names == ["house", "tower", "castle"]
    assert ck.objective().kind == src.objective().kind
    grids = generate(ck, 2, SampleSettings(num_steps=2, label="castle", device="cpu"))
    assert len(grids) == 2 and grids[0].size == (16, 16, 16) and grids[0].meta["label"] == "castle"
    assert "fine-tuning from" in (out / "training.log").read_text()


def test_a_resumed_fine_tuning_run_continues_on_its_own_lists(source, castles, tmp_path):
    out = tmp_path / "ft"
    train(_cfg(castles, out, init_from=str(source), max_steps=2), progress=False)
    summary = train(_cfg(castles, out, init_from=str(source), max_steps=3, resume="auto"), progress=False)
    assert summary["steps"] == 3
    ck = load_checkpoint(out / "checkpoints" / "latest.pt")
    assert ck.vocabulary == VOCAB + NEW_STATES and ck.extra["init_from"]["checkpoint"] == str(source)


@pytest.mark.parametrize("change, message", [
    ({"hidden_size": 64}, "drop --hidden 64 (the checkpoint has 32)"),
    ({"head": "voxel"}, "drop --head voxel (the checkpoint has voxel_occupancy)"),
])
def test_settings_that_would_change_the_architecture_are_refused(source, castles, tmp_path, change, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        train(_cfg(castles, tmp_path / "ft", init_from=str(source), max_steps=1, **change), progress=False)


def test_more_new_states_than_the_analog_bits_hold_is_refused(source, tmp_path):
    concrete = [f"minecraft:{c}_concrete" for c in ("white", "orange", "magenta", "light_blue", "yellow", "lime",
                                                      "pink", "gray", "light_gray", "cyan")]
    assert not set(concrete) & set(VOCAB)
    data = _add_castle(write_dataset(tmp_path / "data", count=2), concrete)
    with pytest.raises(CheckpointError, match="its 6 analog bits encode at most 64 block states, but its 55 and the "
                                              "dataset's 10 new ones make 65"):
        train(_cfg(data, tmp_path / "ft", init_from=str(source), max_steps=1), progress=False)


def test_mcgen_train_init_from_a_shipped_name_takes_the_model_from_it(source, castles, tmp_path, monkeypatch, capsys):
    files = tmp_path / "files"
    files.mkdir()
    shutil.copy(source, files / "base.pt")
    ck = load_checkpoint(files / "base.pt")
    row = ShippedModel(name="base", file="base.pt", sha256=file_sha256(files / "base.pt"), grid=16,
                       labels=tuple(ck.label_names), parameters=1, objective=ck.objective().kind, command="test",
                       commit="test", data="tests", licence="MIT")
    monkeypatch.setattr(registry, "REGISTRY", Registry(files, {"base": row}))
    out = tmp_path / "ft"
    common = ["--data", str(castles), "--out", str(out), "--max-steps", "1", "--batch-size", "2", "--sample-every", "0",
              "--device", "cpu", "--threads", "1", "-q"]
    assert run(["train", "--init-from", "base", *common]) == 0  # no architecture flags: all from the checkpoint
    resolved = json.loads((out / "config.json").read_text())["resolved"]
    assert resolved["init_from"]["name"] == "base" and resolved["init_from"]["sha256"] == row.sha256
    assert resolved["model_config"]["hidden_size"] == 32 and resolved["model_config"]["depth"] == 1
    capsys.readouterr()
    assert run(["train", "--init-from", "nope", *common]) == 3
    err = capsys.readouterr().err.strip()
    assert err == "mcgen: error: unknown model or checkpoint 'nope': no such file, and the shipped models are: base"
