"""The world commands on Bedrock saves as a new user runs them: ``world new --edition bedrock``, ``build``
with a shipped model, ``world info|backups|restore``, ``paste``, ``complete --world --into``; bad input is
one ``mcgen: error:`` line and leaves the save byte for byte as it was."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.grid import VoxelGrid, load_json, save_json
from mcgen.vocab import DEFAULT_VOCAB
from tests.unit.bedrock_leveldb import BedrockReader
from tests.unit.test_world_bedrock import digest, world_files
from tests.unit.test_world_bedrock_safety import HOLD_LOCK

pytestmark = pytest.mark.world


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("mcgen.world.locate.minecraft_saves_dir", lambda: tmp_path / "no_saves")
    return tmp_path


def _grid(size=(5, 4, 3), seed=0) -> VoxelGrid:
    states = list(DEFAULT_VOCAB.states)
    rng = np.random.default_rng(seed)
    blocks = rng.integers(1, len(states), size)
    blocks[rng.random(size) < 0.3] = 0
    return VoxelGrid(blocks, states).compact()


def solid(reader: BedrockReader, origin, size) -> np.ndarray:
    """(X, Y, Z) bool: cells of the box that hold something other than air."""
    x0, y0, z0 = origin
    return np.array([reader.block(x0 + x, y0 + y, z0 + z)[0] != "minecraft:air" for x, y, z in np.ndindex(*size)]
                    ).reshape(size)


def test_new_world_build_with_a_shipped_model_then_restore(cwd, capsys):
    """The issue's "done when": world new --edition bedrock && build ... --count 4 && world restore."""
    assert run(["world", "new", "w", "--edition", "bedrock", "--seed", "3"]) == 0
    assert "flat Bedrock 1.21.60 world" in capsys.readouterr().err
    world = cwd / "worlds" / "w"
    fresh = world_files(world)
    assert run(["build", "--checkpoint", "minecolonies", "--label", "nordic", "--into", "w", "--count", "4",
                "--out", "out"]) == 0
    cap = capsys.readouterr()
    assert "(Minecraft Bedrock 1.21.60)" in cap.err and "in the LevelDB store (db/)" in cap.err
    assert len([ln for ln in cap.out.splitlines() if ln.startswith("building_")]) == 4
    log = json.loads((cwd / "out" / "build.json").read_text())
    assert log["edition"] == "bedrock" and log["backup"] and len(log["buildings"]) == 4
    reader = BedrockReader(world)
    for b in log["buildings"]:
        g = load_json(cwd / "out" / f"{b['name']}.json")
        assert (solid(reader, b["min"], g.size) == (g.blocks != 0)).all()  # every block where the grid has one
        assert (cwd / "out" / f"{b['name']}.mcstructure").stat().st_size > 100
    assert run(["world", "info", "w"]) == 0
    info = capsys.readouterr().out
    assert "Bedrock 1.21.60 (lastOpenedWithVersion 1.21.60.0.0), generator flat" in info
    assert "mcgen pasted 4 structure(s)" in info
    assert run(["world", "backups", "w", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["backups"]) == 1
    assert run(["world", "restore", "w"]) == 0
    assert "restored backup" in capsys.readouterr().out
    assert world_files(world) == fresh


@pytest.fixture
def bedrock_save(world_copy, cwd):
    world = world_copy("bedrock1_18_superflat")
    (cwd / "worlds").mkdir()
    shutil.move(str(world), cwd / "worlds" / "flat")
    save_json(_grid(), cwd / "b.json")
    return cwd / "worlds" / "flat"


def test_paste_dry_run_then_paste_and_restore(bedrock_save, capsys):
    before = digest(bedrock_save)
    assert run(["paste", "b.json", "--into", "flat", "--at", "1", "-60", "1", "--dry-run"]) == 0
    assert "dry run: nothing was written" in capsys.readouterr().err and digest(bedrock_save) == before
    assert run(["paste", "b.json", "--into", "flat", "--at", "1", "-60", "1", "--rotate", "90"]) == 0
    cap = capsys.readouterr()
    assert "b: box (1, -60, 1) .. (3, -57, 5)" in cap.out
    turned = load_json(bedrock_save.parent.parent / "b.json").transformed(1)
    assert (solid(BedrockReader(bedrock_save), (1, -60, 1), turned.size) == (turned.blocks != 0)).all()
    backup = re.search(r"backup: (\S+)", cap.err).group(1)
    assert run(["world", "restore", "flat", "--backup", backup]) == 0
    assert {k: v for k, v in digest(bedrock_save).items() if k != "mcgen_log.json"} == before


def _set_version(world, numbers):
    import amulet_nbt as nbt

    data = (world / "level.dat").read_bytes()
    root = nbt.load(data[8:], compressed=False, little_endian=True).compound
    root["lastOpenedWithVersion"] = nbt.ListTag([nbt.IntTag(v) for v in numbers])
    payload = nbt.NamedTag(root, "").to_nbt(compressed=False, little_endian=True)
    (world / "level.dat").write_bytes(data[:4] + struct.pack("<i", len(payload)) + payload)


@pytest.mark.parametrize("setup,argv,msg", [
    ("junk", ["paste", "b.json", "--into", "junk", "--at", "0", "0", "0"], "neither a Java save"),
    ("old", ["paste", "b.json", "--into", "flat", "--at", "0", "-60", "0"], "mcgen writes Bedrock saves from 1.16"),
    ("new", ["paste", "b.json", "--into", "flat", "--at", "0", "-60", "0"], "update amulet-core"),
    ("", ["paste", "b.json", "--into", "flat", "--at", "0", "318", "0"], "outside the world's -64..319"),
    ("", ["paste", "b.json", "--into", "flat", "--at", "0", "-66", "0"], "outside the world's -64..319"),
    ("", ["paste", "b.json", "--into", "flat", "--at", "5000", "-60", "0"], "not generated yet: (312, 0)"),
    ("", ["build", "--checkpoint", "synthetic", "--into", "flat", "--datapack"], "--datapack installs Java"),
    ("", ["world", "restore", "flat"], "no mcgen backups"),
])
def test_bad_input_is_one_error_line_and_the_save_stays_byte_for_byte(bedrock_save, cwd, capsys, setup, argv, msg):
    if setup == "junk":
        (cwd / "worlds" / "junk" / "db").mkdir(parents=True)
        (cwd / "worlds" / "junk" / "level.dat").write_bytes(b"not a level.dat at all")
    elif setup:
        _set_version(bedrock_save, (1, 2, 13, 0, 0) if setup == "old" else (99, 0, 0, 0, 0))
    before = {p: digest(cwd / "worlds" / p) for p in ("flat", "junk") if (cwd / "worlds" / p).exists()}
    code = run(argv)
    err = capsys.readouterr().err.strip()
    assert code in (2, 4) and err.startswith("mcgen: error: ") and msg in err and "\n" not in err
    assert {p: digest(cwd / "worlds" / p) for p in before} == before


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fcntl locks")
def test_a_held_lock_is_one_error_line(bedrock_save, capsys):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(bedrock_save / "db" / "LOCK")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        before = digest(bedrock_save)
        assert run(["paste", "b.json", "--into", "flat", "--at", "0", "-60", "0"]) == 4
        err = capsys.readouterr().err.strip()
        assert err.startswith("mcgen: error: ") and "db/LOCK is locked" in err and "\n" not in err
        assert run(["world", "info", "flat"]) == 0 and "in use:   yes" in capsys.readouterr().out
        assert digest(bedrock_save) == before
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_complete_a_box_of_a_bedrock_save_and_paste_it_back(bedrock_save, capsys):
    house = _grid((8, 4, 8), seed=3)
    save_json(house, bedrock_save.parent.parent / "house.json")
    assert run(["paste", "house.json", "--into", "flat", "--at", "0", "-60", "0", "--no-backup"]) == 0
    capsys.readouterr()
    before = digest(bedrock_save)
    reader = BedrockReader(bedrock_save)
    given = solid(reader, (0, -60, 0), (8, 4, 8))
    assert run(["complete", "--world", "flat", "--box", "0", "-60", "0", "7", "-57", "7", "-c", "synthetic",
                "--fill-air", "--into", "flat", "--num-steps", "4", "--seed", "1"]) == 0
    cap = capsys.readouterr()
    assert "completed into" in cap.err and "backup:" in cap.err and digest(bedrock_save) != before
    after = BedrockReader(bedrock_save)
    for x, y, z in zip(*np.nonzero(given)):  # every given block stays as the save had it
        assert after.block(x, -60 + y, z) == reader.block(x, -60 + y, z)


@pytest.mark.parametrize("argv,msg", [
    (["world", "new", "x", "--edition", "bedrock", "--mc-version", "1.18"], "unsupported --mc-version '1.18' for a Bedrock"),
    (["world", "new", "x", "--edition", "pocket"], "unknown edition 'pocket'"),
])
def test_world_new_refuses_what_it_does_not_write(cwd, capsys, argv, msg):
    assert run(argv) == 3
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error: ") and msg in err and "\n" not in err
    assert not (cwd / "worlds" / "x").exists()
