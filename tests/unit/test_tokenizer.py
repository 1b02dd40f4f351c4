"""The voxel tokenizer: FSQ codes, the empty-patch code, patch-local encoding, training, files, errors."""

from __future__ import annotations

import pytest
import torch

from mcgen.cli import run
from mcgen.errors import CheckpointError, ConfigError
from mcgen.evaluate.recon import reconstruct, reconstruction_report
from mcgen.ml.config import TokenizerConfig
from mcgen.ml.tokenizer import FSQ, VoxelTokenizer, load_tokenizer
from tests.unit.test_overfit import toy_houses
from tests.unit.trainer_testdata import write_dataset
from trainer.tokenizer import TokenizerTrainConfig, train_tokenizer

V = 200


def small(patch: int = 4, levels=(5, 4, 3)) -> VoxelTokenizer:
    torch.manual_seed(0)
    return VoxelTokenizer(TokenizerConfig(patch=patch, vocab_size=V, levels=levels, width=8, embed_dim=4)).eval()


def test_fsq_index_round_trips_every_code() -> None:
    fsq = FSQ((5, 4, 3))
    idx = torch.arange(5 * 4 * 3)
    assert torch.equal(fsq.to_index(fsq.from_index(idx)), idx)
    # quantize lands on the grid and stays inside [-1, 1]
    q = fsq.quantize(torch.randn(1000, 3) * 5)
    assert q.abs().max() <= 1.0 and torch.equal(fsq.to_index(fsq.from_index(fsq.to_index(q))), fsq.to_index(q))


@pytest.mark.parametrize("patch", [2, 4])
def test_empty_patches_get_code_zero_and_decode_to_air(patch: int) -> None:
    tok = small(patch)
    blocks = torch.from_numpy(toy_houses()[:2])
    codes = tok.encode(blocks)
    n = 16 // patch
    assert codes.shape == (2, n, n, n)
    occupied = (blocks > 0).view(2, n, patch, n, patch, n, patch).any(6).any(4).any(2)
    assert torch.equal(codes > 0, occupied)
    out = tok.decode_blocks(codes)
    full = occupied.repeat_interleave(patch, 1).repeat_interleave(patch, 2).repeat_interleave(patch, 3)
    assert (out[~full] == 0).all()  # an empty-coded patch is air, whatever the weights


def test_a_patch_code_depends_on_that_patch_only() -> None:
    tok = small(4)
    a = torch.from_numpy(toy_houses()[:1])
    b = a.clone()
    b[0, 0:4, 0:4, 0:4] = 7  # change one patch (the corner) only
    ca, cb = tok.encode(a), tok.encode(b)
    changed = (ca != cb).nonzero().tolist()
    assert changed == [[0, 0, 0, 0]] or not changed  # at most the edited patch's code moves
    assert torch.equal(ca[0, 1:], cb[0, 1:])


def test_tokenizer_learns_to_reconstruct_the_toy_houses(tmp_path) -> None:
    """300 steps on 4 houses: the reconstruction holds the houses' shape (a margin below the
    0.97-0.99 seen here, so another CPU's rounding cannot fail it)."""
    torch.set_num_threads(1)
    data = tmp_path / "d"
    write_dataset(data, count=6)
    train_tokenizer(TokenizerTrainConfig(data=str(data), out=str(tmp_path / "t"), patch=2, codes="1k", width=8,
                                         max_steps=300, batch_size=6, lr=3e-3, warmup_steps=20, augment=False,
                                         threads=1), progress=False)
    tf = load_tokenizer(tmp_path / "t" / "tokenizer.pt")
    from trainer.data import load_dataset

    ds = load_dataset(data)
    rec = reconstruct(tf.build(), ds.blocks)
    report = reconstruction_report(ds.blocks.long().numpy(), rec.numpy(), [None] * len(ds))
    assert report["all"]["occupancy_iou"] >= 0.85, report
    assert report["all"]["solid_block_accuracy"] >= 0.6, report


def test_training_resumes_bit_exactly(tmp_path) -> None:
    torch.set_num_threads(1)
    data = write_dataset(tmp_path / "d", count=4)

    def cfg(out, steps, resume=False):
        return TokenizerTrainConfig(data=str(data), out=str(out), patch=4, codes="1k", width=8, max_steps=steps,
                                    batch_size=2, ckpt_every=3, threads=1, resume=resume)

    train_tokenizer(cfg(tmp_path / "a", 6), progress=False)
    train_tokenizer(cfg(tmp_path / "b", 3), progress=False)
    train_tokenizer(cfg(tmp_path / "b", 6, resume=True), progress=False)
    wa, wb = load_tokenizer(tmp_path / "a" / "tokenizer.pt"), load_tokenizer(tmp_path / "b" / "tokenizer.pt")
    assert wa.step == wb.step == 6
    for k in wa.weights:
        assert torch.equal(wa.weights[k], wb.weights[k]), k
    with pytest.raises(ConfigError, match="--resume"):
        train_tokenizer(cfg(tmp_path / "a", 6), progress=False)  # never overwrites a finished run silently


def test_cli_trains_and_reports(tmp_path, capsys) -> None:
    data = write_dataset(tmp_path / "d", count=6, held_out=(4, 5))
    assert run(["tokenizer", "train", "--data", str(data), "--out", str(tmp_path / "t"), "--max-steps", "4",
                "--batch-size", "2", "--width", "8", "--codes", "1k", "--threads", "1", "-q"]) == 0
    sheet = tmp_path / "sheet.png"
    assert run(["tokenizer", "eval", "-t", str(tmp_path / "t" / "tokenizer.pt"), "--data", str(data),
                "--sheet", str(sheet), "--json", str(tmp_path / "r.json")]) == 0
    text = capsys.readouterr().out
    assert "occ IoU" in text and "house" in text and sheet.stat().st_size > 1000
    import json

    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["all"]["count"] == 2 and 0 <= rep["all"]["occupancy_iou"] <= 1  # the held-out split only


def test_bad_files_are_one_line_errors(tmp_path, capsys) -> None:
    data = write_dataset(tmp_path / "d", count=4)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    assert run(["tokenizer", "eval", "-t", str(junk), "--data", str(data)]) == 3
    err = capsys.readouterr().err
    assert err.startswith("mcgen: error:") and "junk.pt" in err and err.count("\n") == 1
    with pytest.raises(CheckpointError, match="no such"):
        load_tokenizer(tmp_path / "missing.pt")
