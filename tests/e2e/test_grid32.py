"""32³ end to end through the CLI: synth -> train -> sample -> export -> paste into a new world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcgen.cli import run
from mcgen.export.readers import read_file
from mcgen.grid import load_json


@pytest.mark.world
def test_32_cube_grids_go_from_dataset_to_world(tmp_path: Path) -> None:
    ds, runs, gen = tmp_path / "ds", tmp_path / "runs", tmp_path / "gen"
    assert run(["dataset", "synth", "--out", str(ds), "--count", "4", "--size", "32", "--seed", "1"]) == 0
    assert json.loads((ds / "manifest.json").read_text())["size"] == 32
    assert run(["train", "--data", str(ds), "--out", str(runs), "--model-size", "tiny", "--max-steps", "2",
                "--batch-size", "2", "--sample-every", "2", "--samples-per-step", "1", "--sample-steps", "2",
                "--ckpt-every", "2", "--device", "cpu", "--quiet"]) == 0
    ckpt = runs / "checkpoints" / "latest.pt"
    assert load_json(runs / "inference_samples" / "step_000002_sample_0.json").size == (32, 32, 32)
    assert run(["sample", "--checkpoint", str(ckpt), "--num-samples", "2", "--num-steps", "2",
                "--output-dir", str(gen), "--device", "cpu", "--label", "all"]) == 0
    grid = load_json(gen / "sample_0000.json")
    assert grid.size == (32, 32, 32)
    for fmt, suffix in (("schem", ".schem"), ("nbt", ".nbt"), ("litematic", ".litematic")):
        out = tmp_path / f"s{suffix}"
        assert run(["export", str(gen / "sample_0000.json"), "--format", fmt, "-o", str(out)]) == 0
        assert read_file(out) == grid
    world = tmp_path / "w"
    assert run(["world", "new", str(world)]) == 0
    assert run(["paste", str(tmp_path / "s.schem"), "--into", str(world), "--at", "0", "-60", "0"]) == 0
    assert "s.schem" in (world / "mcgen_log.json").read_text()
