"""`mcgen sample` on a checkpoint made here: files, meta, determinism, and flag errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcgen.cli import run
from mcgen.generate import SampleSettings, generate
from mcgen.generate.setup import resolve_device
from mcgen.grid import load_json
from tests.model_helpers import random_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small conditional model with random (non-zero) weights, so samples hold blocks."""
    return random_checkpoint(tmp_path_factory.mktemp("ck") / "latest.pt", step=123, air_bias=3.0)


def _sample(ck: Path, out: Path, *extra: str) -> int:
    return run(["sample", "--checkpoint", str(ck), "--num-samples", "3", "--num-steps", "4", "--batch-size", "2",
                "--output-dir", str(out), "--device", "cpu", *extra])


def test_sample_writes_voxel_json_with_meta_and_a_sheet(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "generated"
    assert _sample(checkpoint, out, "--seed", "5", "--label", "house", "--guidance", "2.0") == 0
    files = sorted(p.name for p in out.glob("sample_*.json"))
    assert files == ["sample_0000.json", "sample_0001.json", "sample_0002.json"]
    grid = load_json(out / "sample_0001.json")
    assert grid.size == (16, 16, 16) and grid.count() > 0
    meta = json.loads((out / "sample_0001.json").read_text())["meta"]
    assert meta["checkpoint"] == str(checkpoint) and meta["step"] == 123
    assert (meta["sampler"], meta["steps"], meta["seed"], meta["label"]) == ("ddim", 4, 5, "house")
    try:
        import mcgen.render  # noqa: F401, PLC0415
    except ImportError:
        return
    assert (out / "samples.png").stat().st_size > 0


def test_same_seed_same_samples_and_batch_size_does_not_matter(checkpoint: Path, tmp_path: Path) -> None:
    assert _sample(checkpoint, tmp_path / "a", "--seed", "1") == 0
    assert _sample(checkpoint, tmp_path / "b", "--seed", "1") == 0
    assert _sample(checkpoint, tmp_path / "c", "--seed", "2") == 0
    a = [load_json(tmp_path / "a" / f"sample_000{i}.json") for i in range(3)]
    b = [load_json(tmp_path / "b" / f"sample_000{i}.json") for i in range(3)]
    c = [load_json(tmp_path / "c" / f"sample_000{i}.json") for i in range(3)]
    assert a == b and a != c
    one_batch = generate(checkpoint, 3, SampleSettings(num_steps=4, seed=1, device="cpu"), batch_size=3)
    assert one_batch == a


def test_ddpm_sampler_runs(checkpoint: Path, tmp_path: Path) -> None:
    assert _sample(checkpoint, tmp_path / "d", "--sampler", "ddpm") == 0
    assert len(list((tmp_path / "d").glob("sample_*.json"))) == 3


@pytest.mark.parametrize("flags, code, message", [
    (["--model-size", "small"], 3, "does not match the checkpoint"),
    (["--label", "castle"], 3, "unknown label 'castle'"),
    (["--guidance", "2"], 2, "--guidance needs --label"),
    (["--sampler", "euler"], 2, "--sampler euler does not fit this gaussian model; choose one of ddim, ddpm"),
    (["--sampler", "confidence"], 2, "choose one of ddim, ddpm"),
    (["--temperature", "0.5"], 2, "--temperature applies to masked models"),
    (["--num-steps", "5000"], 3, "num_steps must be an integer in 1..1000"),
    (["--device", "tpu"], 3, "device 'tpu'"),
    (["--cleanup", "tidy"], 2, "--cleanup must be one of none, floating, largest"),
])
def test_bad_flags_fail_with_one_line(checkpoint: Path, tmp_path: Path, capsys, flags, code, message) -> None:
    assert _sample(checkpoint, tmp_path / "x", *flags) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("mcgen: error: ") and message in err[-1]
    assert not list((tmp_path / "x").glob("sample_*.json"))


def test_resolve_device() -> None:
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in {"cpu", "cuda", "mps"}


def test_label_all_gives_every_class_in_turn_independent_of_batching(checkpoint: Path) -> None:
    a = generate(checkpoint, 3, SampleSettings(label="all", num_steps=3, device="cpu", seed=4), batch_size=2)
    b = generate(checkpoint, 3, SampleSettings(label="all", num_steps=3, device="cpu", seed=4), batch_size=3)
    assert [g.meta["label"] for g in a] == ["house", "tower", "house"]
    assert all(x == y for x, y in zip(a, b))
    house = generate(checkpoint, 1, SampleSettings(label="house", num_steps=3, device="cpu", seed=4))
    assert house[0] == a[0]  # sample 0 of "all" is exactly a house sample with the same seed


def test_cleanup_modes_only_remove_blocks_and_are_recorded(checkpoint: Path, tmp_path: Path) -> None:
    from mcgen.generate.clean import cleanup  # noqa: PLC0415

    raw = generate(checkpoint, 3, SampleSettings(num_steps=4, seed=2, device="cpu"), clean="none")
    assert all(g.meta["cleanup"] == "none" and g.meta["cleanup_removed"] == 0 for g in raw)
    for mode in ("floating", "largest"):
        assert _sample(checkpoint, tmp_path / mode, "--seed", "2", "--cleanup", mode) == 0
        for i, r in enumerate(raw):
            got = load_json(tmp_path / mode / f"sample_000{i}.json")
            assert got == cleanup(r, mode)[0]  # the same raw sample, cleaned
            assert got.meta["cleanup"] == mode and got.meta["cleanup_removed"] == r.count() - got.count()
            kept, dy = got.remap(r.palette), got.meta["cleanup_lowered"]
            assert not kept[:, kept.shape[1] - dy:].any()
            kept, orig = kept[:, : kept.shape[1] - dy], r.blocks[:, dy:]  # undo the settling
            assert ((kept == 0) | (kept == orig)).all()  # nothing added or changed, only removed
    assert _sample(checkpoint, tmp_path / "default", "--seed", "2") == 0
    assert load_json(tmp_path / "default" / "sample_0000.json").meta["cleanup"] == "floating"
