"""The CLI as a user meets it: help, version, error lines, dataset synth/info, render;
plus the up-preserving symmetries of blocks and grids."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from PIL import Image

import mcgen
from mcgen.blocks import AIR, transform_state
from mcgen.cli import app, run
from mcgen.files import read_structure
from mcgen.grid import VoxelGrid
from mcgen.synth import LABELS, generate_sample
from mcgen.vocab import DEFAULT_VOCAB


def _commands() -> list[list[str]]:
    """Every command path, e.g. ["dataset", "synth"]."""
    out: list[list[str]] = []

    def walk(cmd, path: list[str]) -> None:
        if hasattr(cmd, "commands"):  # a group (Typer may vendor its own click)
            for name, sub in cmd.commands.items():
                walk(sub, path + [name])
        out.append(path)

    walk(typer.main.get_command(app), [])
    return out


def test_help_and_version(capsys):
    assert run(["--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage" in text and "dataset" in text and "render" in text
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"mcgen {mcgen.__version__}"


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "mcgen")
def test_every_command_has_help_text(capsys, path):
    assert run([*path, "--help"]) == 0
    text = capsys.readouterr().out
    assert "Usage" in text
    description = text.split("Usage", 1)[1].split("\n", 2)[-1].strip()
    assert len(description) > 10


@pytest.mark.parametrize("path", [["dataset", "synth"], ["dataset", "info"], ["render"]])
def test_help_shows_an_example(capsys, path):
    assert run([*path, "--help"]) == 0
    assert "Example" in capsys.readouterr().out


def test_missing_file_is_one_error_line(capsys, tmp_path):
    rc = run(["render", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.png")])
    err = capsys.readouterr().err
    assert rc == 3 and err.startswith("mcgen: error:") and err.count("\n") == 1 and "missing.json" in err
    rc = run(["dataset", "info", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 4 and err.startswith("mcgen: error:") and "manifest.json" in err


def test_debug_adds_the_traceback(capsys, tmp_path):
    assert run(["--debug", "dataset", "info", str(tmp_path)]) == 4
    assert "Traceback" in capsys.readouterr().err


def test_bad_options_are_usage_errors(capsys, tmp_path):
    assert run(["dataset", "synth", "--out", str(tmp_path / "d"), "--size", "24"]) == 2
    assert "mcgen: error: --size must be one of 16, 32" in capsys.readouterr().err
    assert run(["dataset", "synth", "--count", "0"]) == 2


def test_dataset_synth_info_and_render(capsys, tmp_path):
    ds = tmp_path / "dataset"
    assert run(["dataset", "synth", "--out", str(ds), "--count", "12", "--size", "16", "--seed", "5"]) == 0
    capsys.readouterr()
    manifest = json.loads((ds / "manifest.json").read_text())
    assert manifest["format"] == "mcgen.dataset" and manifest["version"] == 1
    assert manifest["count"] == 12 and manifest["size"] == 16 and manifest["seed"] == 5
    assert manifest["vocabulary"] == list(DEFAULT_VOCAB.states)
    assert sum(manifest["labels"].values()) == 12 and set(manifest["labels"]) <= set(LABELS)
    assert manifest["generator"] == "mcgen.synth 1" and manifest["mcgen_version"] == mcgen.__version__
    for i in range(12):
        d = ds / f"sample_{i:04d}"
        g = read_structure(d)
        assert g == generate_sample(5, i, 16) and g.meta["label"] == LABELS[i % len(LABELS)]
        assert VoxelGrid.from_npz(d / "voxels.npz") == g
    with Image.open(ds / "preview.png") as img:
        assert img.width > 500

    assert run(["dataset", "info", str(ds)]) == 0
    text = capsys.readouterr().out
    assert "count     12" in text and "mean fill" in text and "house" in text and "minecraft:" in text
    assert run(["dataset", "info", str(ds), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["count"] == 12 and sum(st["labels"].values()) == 12 and 0 < st["mean_fill"] < 1

    assert run(["render", str(ds), "-o", str(tmp_path / "sheet.png"), "--cols", "4", "--max", "8"]) == 0
    with Image.open(tmp_path / "sheet.png") as img:
        assert img.width == 4 * 192 and img.height > 2 * 192
    assert run(["render", str(ds / "sample_0003" / "data.json"), "-o", str(tmp_path / "one.png")]) == 0
    with Image.open(tmp_path / "one.png") as img:
        assert img.size == (512, 512)


def test_synth_is_byte_identical_and_replaces_only_datasets(capsys, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(["dataset", "synth", "--out", str(a), "--count", "6", "--no-preview"]) == 0
    assert run(["dataset", "synth", "--out", str(b), "--count", "6", "--no-preview", "--workers", "2"]) == 0
    for f in sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file()):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert run(["dataset", "synth", "--out", str(a), "--count", "3", "--no-preview"]) == 0  # old dataset: replaced
    assert sorted(p.name for p in a.iterdir()) == ["manifest.json", "sample_0000", "sample_0001", "sample_0002"]
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    capsys.readouterr()
    assert run(["dataset", "synth", "--out", str(other), "--count", "3"]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert (other / "mine.txt").read_text() == "keep me"


# --- symmetries ---------------------------------------------------------------------------
STAIR_N = "minecraft:oak_stairs[facing=north,half=bottom,shape=straight,waterlogged=false]"
STAIR_E = "minecraft:oak_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]"


def test_quarter_turn_moves_a_north_stair_to_the_east_side_facing_east():
    states = np.full((5, 1, 5), AIR, dtype=object)
    states[2, 0, 0] = STAIR_N  # middle of the north edge (z = 0)
    turned = VoxelGrid.from_states(states).transformed(1)
    (x, y, z), = np.argwhere(turned.blocks != 0)
    assert (x, y, z) == (4, 0, 2)  # middle of the east edge
    assert turned.state_at(x, y, z) == STAIR_E


@pytest.mark.parametrize("index", [0, 1, 6, 8])
def test_four_turns_and_two_mirrors_are_the_identity(index):
    g = generate_sample(0, index, 16)
    assert g.transformed(4) == g
    assert g.transformed(1).transformed(1).transformed(1).transformed(1) == g
    assert g.transformed(0, mirror=True).transformed(0, mirror=True) == g
    assert g.transformed(2) != g or g.transformed(1) != g


def test_state_symmetries():
    door = "minecraft:oak_door[facing=north,half=lower,hinge=left,open=false,powered=false]"
    assert transform_state(door, 0, mirror=True) == door.replace("hinge=left", "hinge=right")
    east_door = "minecraft:oak_door[facing=east,half=lower,hinge=left,open=false,powered=false]"
    assert transform_state(east_door, 0, mirror=True) == east_door.replace("facing=east", "facing=west").replace(
        "hinge=left", "hinge=right")
    for s in DEFAULT_VOCAB.states:
        assert transform_state(s, 4) == s and transform_state(transform_state(s, 0, True), 0, True) == s
    assert transform_state("minecraft:oak_log[axis=x]", 1) == "minecraft:oak_log[axis=z]"
    fence_ns = "minecraft:oak_fence[east=false,north=true,south=true,waterlogged=false,west=false]"
    assert transform_state(fence_ns, 1) == "minecraft:oak_fence[east=true,north=false,south=false,waterlogged=false,west=true]"
