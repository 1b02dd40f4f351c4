"""A latent model end to end at toy size: train on a tokenizer's codes, sample, complete, resume,
fine-tune, one file for both parts, and the errors around it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from mcgen.cli import run
from mcgen.errors import CheckpointError, ConfigError
from mcgen.generate import SampleSettings, complete, generate
from mcgen.ml.checkpoint import load_checkpoint, pack_checkpoint
from mcgen.ml.latent import LatentObjective
from trainer.config import TrainConfig
from trainer.loop import train
from trainer.tokenizer import TokenizerTrainConfig, train_tokenizer

from .trainer_testdata import write_dataset

pytestmark = pytest.mark.usefixtures("one_thread")


def _cfg(ds: Path, out: Path, tok: Path | None, **kw) -> TrainConfig:
    base = dict(data=str(ds), out=str(out), model_size="tiny", hidden_size=32, depth=1, num_heads=2, batch_size=2,
                lr=1e-3, warmup_steps=1, sample_every=0, ckpt_every=2, log_every=1, device="cpu", seed=3,
                tokenizer=str(tok) if tok else None)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """A dataset, a tokenizer (a few steps) and a latent model trained 4 steps on it."""
    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp("latent")
    data = write_dataset(base / "data", count=6, held_out=(5,))
    train_tokenizer(TokenizerTrainConfig(data=str(data), out=str(base / "tok"), patch=4, codes="1k", width=8,
                                         max_steps=3, batch_size=2, threads=1), progress=False)
    tok = base / "tok" / "tokenizer.pt"
    train(_cfg(data, base / "run", tok, max_steps=4), progress=False)
    return data, tok, base / "run" / "checkpoints" / "latest.pt"


def test_one_checkpoint_carries_the_tokenizer_and_loads_weights_only(setup) -> None:
    data, tok, ck_path = setup
    raw = torch.load(ck_path, weights_only=True)
    assert raw["format_version"] == 5 and len(raw["tokenizer"]["sha256"]) == 64
    ck = load_checkpoint(ck_path)
    assert ck.latent and ck.grid_size == 16 and ck.model_cfg.grid_size == 4 and ck.model_cfg.patch_size == 1
    assert ck.model_cfg.vocab_size == 1001 and len(ck.vocabulary) == ck.tokenizer["config"]["vocab_size"]
    assert isinstance(ck.objective(), LatentObjective)


def test_sampling_is_deterministic_and_makes_block_grids(setup) -> None:
    _, _, ck_path = setup
    s = SampleSettings(num_steps=4, seed=5, device="cpu")
    a = generate(ck_path, 3, settings=s, clean="none")
    b = generate(ck_path, 3, settings=s, clean="none")
    assert [g.size for g in a] == [(16, 16, 16)] * 3
    assert all((x.blocks == y.blocks).all() and x.palette == y.palette for x, y in zip(a, b))


def test_completion_keeps_every_given_block(setup) -> None:
    data, _, ck_path = setup
    from mcgen.files import load_sample_dir

    given = load_sample_dir(data / "sample_0000")
    known = given.blocks.copy()
    g = complete(ck_path, given, above=3, settings=SampleSettings(num_steps=4, seed=1, device="cpu"))[0]
    states = [g.palette[i] for i in g.blocks[:, :3, :].ravel()]
    want = [given.palette[i] for i in known[:, :3, :].ravel()]
    assert states == want


def test_resume_is_bit_exact(setup, tmp_path) -> None:
    data, tok, _ = setup
    train(_cfg(data, tmp_path / "a", tok, max_steps=4), progress=False)
    train(_cfg(data, tmp_path / "b", tok, max_steps=2), progress=False)
    train(_cfg(data, tmp_path / "b", tok, max_steps=4, resume="auto"), progress=False)
    a = load_checkpoint(tmp_path / "a" / "checkpoints" / "latest.pt")
    b = load_checkpoint(tmp_path / "b" / "checkpoints" / "latest.pt")
    for k in a.ema_state:
        assert torch.equal(a.ema_state[k], b.ema_state[k]), k


def test_fine_tuning_keeps_the_tokenizer_and_packing_keeps_it_checked(setup, tmp_path) -> None:
    data, tok, ck_path = setup
    train(_cfg(data, tmp_path / "ft", None, max_steps=2, init_from=str(ck_path)), progress=False)
    ft = load_checkpoint(tmp_path / "ft" / "checkpoints" / "latest.pt")
    assert ft.latent and ft.tokenizer["sha256"] == load_checkpoint(ck_path).tokenizer["sha256"]
    with pytest.raises(ConfigError, match="drop --tokenizer"):
        train(_cfg(data, tmp_path / "ft2", tok, max_steps=2, init_from=str(ck_path)), progress=False)
    packed = tmp_path / "packed.pt"
    pack_checkpoint(ck_path, packed)
    assert load_checkpoint(packed).latent
    assert len(generate(packed, 1, settings=SampleSettings(num_steps=2, device="cpu"), clean="none")) == 1


def test_a_damaged_tokenizer_inside_a_checkpoint_is_refused(setup, tmp_path) -> None:
    _, _, ck_path = setup
    raw = torch.load(ck_path, weights_only=True)
    name = next(iter(raw["tokenizer"]["weights"]))
    raw["tokenizer"]["weights"][name] = raw["tokenizer"]["weights"][name] + 1
    bad = tmp_path / "bad.pt"
    torch.save(raw, bad)
    with pytest.raises(CheckpointError, match="sha256"):
        load_checkpoint(bad)


def test_wrong_files_and_vocabularies_are_one_line_errors(setup, tmp_path, capsys) -> None:
    data, tok, ck_path = setup
    cases = [
        ["sample", "-c", str(tok), "-n", "1", "--output-dir", str(tmp_path / "s")],  # a tokenizer as a checkpoint
        ["train", "--data", str(data), "--out", str(tmp_path / "x"), "--tokenizer", str(ck_path), "--max-steps", "1"],
        ["train", "--data", str(data), "--out", str(tmp_path / "y"), "--tokenizer", str(tok), "--objective",
         "gaussian", "--max-steps", "1"],
    ]
    for argv in cases:
        assert run(argv) == 3, argv
        err = capsys.readouterr().err
        assert err.startswith("mcgen: error:") and err.count("\n") == 1, err
    assert not (tmp_path / "s").exists() and not (tmp_path / "x" / "checkpoints").exists()


def test_a_dataset_with_blocks_the_tokenizer_lacks_is_refused(setup, tmp_path) -> None:
    _, tok, _ = setup
    from .test_finetune import NEW_STATES, _add_castle

    data = _add_castle(write_dataset(tmp_path / "d", count=4), NEW_STATES)
    with pytest.raises(ConfigError, match="another vocabulary"):
        train(_cfg(data, tmp_path / "o", tok, max_steps=1), progress=False)


def test_a_packed_model_samples_with_its_recorded_sampler_settings(setup, tmp_path, capsys) -> None:
    _, _, ck_path = setup
    packed = tmp_path / "rec.pt"
    assert run(["models", "pack", str(ck_path), str(packed), "--sampler", "support", "--steps", "3",
                "--temperature", "0.5"]) == 0
    ck = load_checkpoint(packed)
    assert ck.sampling_defaults() == {"sampler": "support", "num_steps": 3, "temperature": 0.5}
    plain = generate(ck, 2, settings=SampleSettings(device="cpu"), clean="none")
    said = generate(ck, 2, settings=SampleSettings(sampler="support", num_steps=3, temperature=0.5, device="cpu"),
                    clean="none")
    other = generate(ck, 2, settings=SampleSettings(sampler="confidence", device="cpu"), clean="none")
    assert all((a.blocks == b.blocks).all() for a, b in zip(plain, said))
    assert plain[0].meta["sampler"] == "support" and other[0].meta["sampler"] == "confidence"  # the user's wins
    assert run(["models", "pack", str(ck_path), str(tmp_path / "x.pt"), "--sampler", "ddim"]) == 3
    assert "sampler" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()
    assert load_checkpoint(ck_path).sampling_defaults() == {}  # a model without them: the objective's defaults
