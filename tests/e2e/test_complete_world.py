"""``mcgen complete --world ... --box ... --into ...`` and ``mcgen build --around``: a box of a save
completed and pasted back with ``mcgen paste``'s safety, re-read with the independent region reader."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.generate.world import generated_cells
from mcgen.grid import VoxelGrid, load_json
from mcgen.world import Placement, list_backups, paste, read_level_info
from tests.model_helpers import random_checkpoint
from tests.unit.test_complete import ODD, STAIRS, walled_box
from tests.unit.test_world_safety import HOLD_LOCK
from tests.unit.world_anvil import RegionReader, tree_digest

pytestmark = pytest.mark.world

CHEST = "minecraft:chest[facing=north,type=single,waterlogged=false]"
WORLD = "mc1_21_3_flat_redstone"  # flat grass at y = -61 around the spawn (-15, -60, 42)
ORIGIN = (-30, -61, 36)  # the half house's min corner; the 16^3 grid spans chunks (-2..-1, 2..3)
BOX = [str(v) for v in (*ORIGIN, ORIGIN[0] + 9, ORIGIN[1] + 5, ORIGIN[2] + 8)]  # 10 x 6 x 9
FAST = ["--num-steps", "3", "--device", "cpu"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    """A tiny masked model (16^3 grid) with random weights: it puts blocks into what it may fill."""
    return str(random_checkpoint(tmp_path_factory.mktemp("ck") / "masked.pt", air_bias=1.0, objective="masked"))


def half_house() -> VoxelGrid:
    """The unit tests' walled box (floor, four walls 10 x 6 x 9, stairs, a block outside the
    vocabulary) with a chest."""
    box = walled_box()
    b = box.blocks.copy()
    b[2, 1, 6] = len(box.palette)
    return VoxelGrid(b, [*box.palette, CHEST])


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("mcgen.world.locate.minecraft_saves_dir", lambda: tmp_path / "no_saves")
    return tmp_path


@pytest.fixture
def scene(world_copy, cwd) -> Path:
    """A copy of the 1.21.3 fixture with the half house standing at ORIGIN (pasted without backup)."""
    world = world_copy(WORLD)
    paste(world, [Placement(half_house(), *ORIGIN, name="half_house")], backup=False)
    return world


def _grid_states(world: Path) -> np.ndarray:
    return RegionReader(world).box(*ORIGIN, 16, 16, 16)


def _states(grid: VoxelGrid) -> np.ndarray:
    return np.array(grid.palette, dtype=object)[grid.blocks]


def _block_entities(world: Path, x: int, y: int, z: int) -> list[str]:
    root = RegionReader(world).root(x >> 4, z >> 4)
    return [str(e["id"]) for e in root["block_entities"] if (int(e["x"]), int(e["y"]), int(e["z"])) == (x, y, z)]


def test_complete_a_world_box_into_the_same_world_then_restore(scene, cwd, checkpoint, capsys):
    region = scene / "region" / "r.-1.0.mca"
    original = region.read_bytes()
    before = _grid_states(scene)
    beside = RegionReader(scene).box(ORIGIN[0] + 16, -64, ORIGIN[2], 2, 24, 16)  # just past the grid

    assert run(["complete", "--world", str(scene), "--box", *BOX, "-c", checkpoint, "--above", "3",
                "--into", str(scene), "-o", "done.json", *FAST]) == 0
    cap = capsys.readouterr()
    err = cap.err
    assert "do not exist in" not in err  # every generated state exists in 1.21.3
    assert f"{scene.name}_box: box (-30, -58, 36) .. (-15, -46, 51)" in cap.out  # the generated cells' box
    done = load_json(cwd / "done.json")
    assert done.size == (16, 16, 16)  # the model's grid: the generated part reaches past the box
    generated = generated_cells(done)
    assert (generated == (np.arange(16) >= 3)[None, :, None]).all()  # --above 3, counted from the box
    # the file holds the box as the world importer reads it (amulet keeps waterlogging apart)
    as_read = np.vectorize(lambda s: s.replace(",waterlogged=false", ""), otypes=[object])
    assert (_states(done)[:10, :3, :9] == as_read(_states(half_house())[:, :3, :])).all()
    after = _grid_states(scene)
    assert (after[~generated] == before[~generated]).all()  # given blocks (and ground past the box) as they were
    assert (after[generated] == _states(done)[generated]).all()  # generated blocks as the model made them
    assert (after[generated] != "minecraft:air").any()
    assert after[5, 1, 5] == ODD and after[3, 1, 3] == STAIRS and after[2, 1, 6] == CHEST
    assert _block_entities(scene, ORIGIN[0] + 2, ORIGIN[1] + 1, ORIGIN[2] + 6) == ["minecraft:chest"]
    assert (RegionReader(scene).box(ORIGIN[0] + 16, -64, ORIGIN[2], 2, 24, 16) == beside).all()

    backup_id = re.search(r"backup: (\S+)", err).group(1)
    assert [b.id for b in list_backups(scene)] == [backup_id]
    assert run(["world", "restore", str(scene), "--backup", backup_id]) == 0
    assert region.read_bytes() == original


def test_dry_run_writes_nothing(scene, cwd, checkpoint, capsys):
    digest = tree_digest(scene)
    assert run(["complete", "--world", str(scene), "--box", *BOX, "-c", checkpoint, "--region", "1", "1", "1",
                "8", "4", "7", "--into", str(scene), "--dry-run", *FAST]) == 0
    cap = capsys.readouterr()
    assert "dry run: nothing was written" in cap.err and "would paste into" in cap.err
    assert tree_digest(scene) == digest and not list_backups(scene)


@pytest.mark.parametrize("argv, message", [
    (["half.json", "--world", "W", "--box", *BOX, "--above", "3", "-o", "x.json"], "not both"),
    (["--above", "3", "-o", "x.json"], "give the structure: SRC (a file) or --world W --box"),
    (["--world", "W", "--box", *BOX, "--above", "3", "--into", "W", "-n", "2"], "--into pastes one completion"),
    (["--world", "W", "--above", "3", "--into", "W"], "--world and --box go together"),
    (["--world", "W", "--box", *BOX, "--above", "3"], "say where the completion goes: -o FILE and/or --into"),
    (["half.json", "--above", "3", "--into", "W"], "it needs --world and --box"),
    (["--world", "W", "--box", *BOX, "--above", "3", "-o", "x.json", "--dry-run"], "go with --into"),
    (["--world", "W", "--box", *BOX, "--into", "W"], "exactly one of --region, --above or --fill-air"),
])
def test_usage_errors_are_one_line_and_change_nothing(world_copy, cwd, capsys, argv, message):
    world = world_copy(WORLD)
    digest = tree_digest(world)
    argv = [str(world) if a == "W" else a for a in argv]
    assert run(["complete", "-c", "missing.pt", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error: ") and message in err and "\n" not in err
    assert tree_digest(world) == digest and not (cwd / "x.json").exists()


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fcntl locks")
def test_a_world_the_game_holds_is_refused_before_sampling(scene, cwd, checkpoint, capsys):
    other = shutil.copytree(scene, cwd / "other")
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(scene / "session.lock")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        digest = tree_digest(scene)
        for source in (scene, other):  # reading the held world, or pasting into it
            assert run(["complete", "--world", str(source), "--box", *BOX, "-c", checkpoint, "--above", "3",
                        "--into", str(scene), "-o", "x.json", *FAST]) == 4
            err = capsys.readouterr().err.strip()
            assert err.startswith("mcgen: error: ") and "open in Minecraft" in err and "\n" not in err
            assert "completing" not in err and not (cwd / "x.json").exists()
        assert tree_digest(scene) == digest and not list_backups(scene)
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_build_around_completes_what_stands_and_keeps_it(scene, cwd, checkpoint, capsys):
    before = _grid_states(scene)
    assert run(["build", "--checkpoint", checkpoint, "--into", str(scene), "--around", *map(str, ORIGIN),
                "--num-steps", "3", "--seed", "2", "--out", "out"]) == 0
    cap = capsys.readouterr()
    assert "completion: box (-30, -60, 36) .. (-15, -46, 51)" in cap.out  # the generated cells' box
    done = load_json(cwd / "out" / "completion.json")
    assert done.size == (16, 16, 16)
    standing = before != "minecraft:air"
    assert (generated_cells(done) == ~standing).all()  # --fill-air: the air cells, nothing else
    after = _grid_states(scene)
    assert (after[standing] == before[standing]).all()
    assert (after[~standing] == _states(done)[~standing]).all()
    assert (after != before).any()  # the model put blocks into the air
    assert _block_entities(scene, ORIGIN[0] + 2, ORIGIN[1] + 1, ORIGIN[2] + 6) == ["minecraft:chest"]
    assert list_backups(scene)


@pytest.mark.parametrize("extra, message", [
    (["--count", "2"], "--count 2 does not apply"),
    (["--at", "0", "-60", "0"], "--at cannot go with it"),
    (["--size", "20", "16", "20", "--datapack"], "--size, --datapack cannot go with it"),
])
def test_build_around_refuses_options_that_mean_nothing_with_it(cwd, capsys, extra, message):
    assert run(["build", "--checkpoint", "x.pt", "--into", "nowhere", "--around", "0", "-61", "0", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mcgen: error: ") and message in err and "\n" not in err


def test_complete_into_a_new_1_21_11_world(cwd, checkpoint, capsys):
    assert run(["world", "new", str(cwd / "w11"), "--mc-version", "1.21.11", "--seed", "3"]) == 0
    world = cwd / "w11"
    corner = (2, -61, 2)
    paste(world, [Placement(half_house(), *corner)], backup=False)
    before = RegionReader(world).box(*corner, 16, 16, 16)
    box = [str(v) for v in (*corner, corner[0] + 9, corner[1] + 5, corner[2] + 8)]
    assert run(["complete", "--world", str(world), "--box", *box, "-c", checkpoint, "--fill-air", "--into",
                str(world), "--no-backup", "-o", "done.json", *FAST]) == 0
    assert "do not exist in" not in capsys.readouterr().err
    done = load_json(cwd / "done.json")
    generated = generated_cells(done)
    reader = RegionReader(world)
    after = reader.box(*corner, 16, 16, 16)
    assert (after[~generated] == before[~generated]).all() and (after[generated] == _states(done)[generated]).all()
    assert (after[:10, :6, :9] != before[:10, :6, :9]).any()  # the air inside the house got blocks
    assert not list_backups(world)
    assert read_level_info(world).data_version == 4671
    assert int(reader.root(0, 0)["DataVersion"]) == 4671 and int(reader.root(0, 0)["isLightOn"]) == 0


def test_a_keep_mask_pastes_only_the_other_cells(world_copy):
    world = world_copy(WORLD)
    grid = VoxelGrid(np.ones((4, 3, 4), dtype=np.int64), ["minecraft:air", "minecraft:stone_bricks"])
    keep = np.zeros(grid.size, dtype=bool)
    keep[:, 0, :] = True  # the bottom layer keeps the world's grass
    before = RegionReader(world).box(-20, -61, 40, 4, 3, 4)
    report = paste(world, [Placement(grid, -20, -61, 40, keep=keep)], backup=False)
    assert report.boxes[0].blocks == 4 * 2 * 4
    after = RegionReader(world).box(-20, -61, 40, 4, 3, 4)
    assert (after[keep] == before[keep]).all() and (after[~keep] == "minecraft:stone_bricks").all()
