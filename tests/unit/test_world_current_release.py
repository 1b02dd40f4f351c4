"""Saves of the current release (1.21.9 - 1.21.11): the level.dat layout ``world new`` writes, the
spawn read back from it, and ``mcgen paste`` into a 1.21.11 save re-read with the independent
region reader."""

from __future__ import annotations

import gzip
import io
import shutil
from pathlib import Path

import nbtlib
import numpy as np
import pytest

from mcgen.cli import run
from mcgen.errors import UsageError
from mcgen.grid import save_json
from mcgen.world import new_world, place_buildings, read_level_info, world_info
from mcgen.world.build import layout_origin
from mcgen.world.leveldat import KNOWN_VERSIONS, NEW_WORLD_VERSIONS, build_level_dat
from tests.unit.test_world_paste import test_grid
from tests.unit.world_anvil import RegionReader, chunk_status

# What PrimaryLevelData of 1.21.11 writes (``setTagData``), less what only a played world has.
GAME_1_21_11_KEYS = {
    "ServerBrands", "WasModded", "Version", "DataVersion", "WorldGenSettings", "GameType", "spawn", "Time",
    "DayTime", "LastPlayed", "LevelName", "version", "clearWeatherTime", "rainTime", "raining", "thunderTime",
    "thundering", "hardcore", "allowCommands", "initialized", "Difficulty", "DifficultyLocked", "game_rules",
    "DataPacks", "CustomBossEvents", "ScheduledEvents", "WanderingTraderSpawnDelay", "WanderingTraderSpawnChance",
}
OLD_SPAWN = {"SpawnX", "SpawnY", "SpawnZ", "SpawnAngle"}
OLD_BORDER = {"BorderCenterX", "BorderCenterZ", "BorderSize", "BorderSizeLerpTarget", "BorderSizeLerpTime",
              "BorderSafeZone", "BorderDamagePerBlock", "BorderWarningBlocks", "BorderWarningTime"}


def _data(payload: bytes) -> nbtlib.Compound:
    return nbtlib.File.parse(io.BytesIO(gzip.decompress(payload)))["Data"]


def _level_dat(path: Path, data: dict) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    nbtlib.File({"Data": nbtlib.Compound(data)}, gzipped=True).save(path / "level.dat")
    return path


def test_world_new_offers_every_release_up_to_the_newest_the_table_knows():
    from mcgen.export.versions import DATA_VERSIONS

    names = list(DATA_VERSIONS)
    assert list(NEW_WORLD_VERSIONS) == names[names.index("1.16.5"):names.index("1.21.11") + 1]
    assert all(DATA_VERSIONS[k] == v for k, v in KNOWN_VERSIONS.items())
    assert NEW_WORLD_VERSIONS["1.21.9"] == 4554 and NEW_WORLD_VERSIONS["1.21.11"] == 4671
    dvs = list(NEW_WORLD_VERSIONS.values())
    assert dvs == sorted(dvs)


@pytest.mark.parametrize("version", ["1.21.8", "1.21.9", "1.21.10", "1.21.11"])
def test_level_dat_takes_the_layout_of_its_version(version):
    data = _data(build_level_dat("w", version, (5, -60, -7), seed=1))
    dv = int(data["DataVersion"])
    keys = set(data.keys())
    assert dv == NEW_WORLD_VERSIONS[version] == int(data["Version"]["Id"]) and str(data["Version"]["Name"]) == version
    if dv < 4548:  # 1.21.8 and older: the fixtures' layout
        assert OLD_SPAWN | OLD_BORDER <= keys and "spawn" not in keys
        assert [int(data[k]) for k in ("SpawnX", "SpawnY", "SpawnZ")] == [5, -60, -7]
    else:
        assert not keys & (OLD_SPAWN | OLD_BORDER) and "world_border" not in keys
        spawn = data["spawn"]
        assert isinstance(spawn["pos"], nbtlib.IntArray) and list(map(int, spawn["pos"])) == [5, -60, -7]
        assert str(spawn["dimension"]) == "minecraft:overworld"
        assert isinstance(spawn["yaw"], nbtlib.Float) and isinstance(spawn["pitch"], nbtlib.Float)
    if dv < 4658:
        assert "game_rules" not in keys and str(data["GameRules"]["doMobSpawning"]) == "false"
    else:
        assert "GameRules" not in keys and GAME_1_21_11_KEYS <= keys
        rules = data["game_rules"]
        assert all(isinstance(v, nbtlib.Byte) and int(v) == 0 for v in rules.values())
        assert set(rules) == {"minecraft:spawn_mobs", "minecraft:advance_time", "minecraft:advance_weather"}


def test_spawn_pos_as_an_int_list_and_in_another_dimension(tmp_path):
    spawn = nbtlib.Compound({"dimension": nbtlib.String("minecraft:the_nether"),
                             "pos": nbtlib.List[nbtlib.Int]([1, 70, 2]), "yaw": nbtlib.Float(0), "pitch": nbtlib.Float(0)})
    world = _level_dat(tmp_path / "w", {"DataVersion": nbtlib.Int(4671), "spawn": spawn})
    info = read_level_info(world)
    assert info.spawn == (1, 70, 2) and info.spawn_dimension == "minecraft:the_nether"
    assert info.version_name == "1.21.11"
    with pytest.raises(UsageError, match="spawn is in minecraft:the_nether"):
        layout_origin(world, [(4, 4, 4)], at=None, spacing=2)
    assert layout_origin(world, [(4, 4, 4)], at=(9, 0, 9), spacing=2) == (9, 9)
    old = _level_dat(tmp_path / "old", {"DataVersion": nbtlib.Int(4082), "SpawnX": nbtlib.Int(3),
                                        "SpawnY": nbtlib.Int(-60), "SpawnZ": nbtlib.Int(4)})
    assert read_level_info(old).spawn_dimension == "minecraft:overworld"


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> Path:
    """A new 1.21.11 save (built once: amulet is slow); tests copy it."""
    return new_world(tmp_path_factory.mktemp("current") / "w1_21_11", mc_version="1.21.11", seed=11)


@pytest.mark.world
def test_new_1_21_11_world_reads_back(current):
    info = read_level_info(current)
    assert (info.version_name, info.data_version, info.spawn) == ("1.21.11", 4671, (0, -60, 0))
    reader = RegionReader(current)
    assert chunk_status(reader, -8, 7) == "full" and chunk_status(reader, 8, 0) is None
    assert int(reader.root(0, 0)["DataVersion"]) == 4671
    column = [reader.block(5, -64 + i, -3) for i in range(5)]
    assert column == ["minecraft:bedrock", "minecraft:dirt", "minecraft:dirt", "minecraft:grass_block[snowy=false]",
                      "minecraft:air"]


@pytest.mark.world
def test_mcgen_paste_into_a_1_21_11_save_rereads_exactly_and_restores(current, tmp_path, monkeypatch, capsys):
    world = shutil.copytree(current, tmp_path / "w")
    monkeypatch.chdir(tmp_path)
    grid = test_grid((20, 8, 18), seed=5)
    save_json(grid, tmp_path / "b.json")
    level_dat = (world / "level.dat").read_bytes()
    before = (world / "region" / "r.0.0.mca").read_bytes()

    assert run(["paste", "b.json", "--into", str(world), "--at", "3", "-60", "-9"]) == 0
    capsys.readouterr()
    reader = RegionReader(world)
    want = np.array(grid.palette, dtype=object)[grid.blocks]
    got = reader.box(3, -60, -9, *grid.size)
    assert (got == want).all(), f"first mismatch {np.argwhere(got != want)[:1]}"
    assert reader.block(2, -61, -9) == "minecraft:grass_block[snowy=false]"  # next to the box: untouched
    for cx, cz in ((0, -1), (1, 0)):
        root = reader.root(cx, cz)
        assert int(root["DataVersion"]) == 4671 and int(root["isLightOn"]) == 0
    assert (world / "level.dat").read_bytes() == level_dat

    assert run(["world", "info", str(world)]) == 0
    out = capsys.readouterr().out
    assert "version:  1.21.11 (DataVersion 4671)" in out and "spawn:    [0, -60, 0]\n" in out
    assert run(["world", "restore", str(world)]) == 0
    assert (world / "region" / "r.0.0.mca").read_bytes() == before


@pytest.mark.world
def test_build_near_the_spawn_compound(current, tmp_path):
    world = shutil.copytree(current, tmp_path / "w")
    grids = [test_grid((5, 4, 6), seed=i) for i in range(2)]
    report = place_buildings(world, grids, spacing=2, backup=False)
    assert report.boxes[0].min[0] == 8 and all(b.min[1] == -60 for b in report.boxes)  # east of (0, -60, 0)
    reader = RegionReader(world)
    for g, b in zip(grids, report.boxes):
        assert (reader.box(*b.min, *g.size) == np.array(g.palette, dtype=object)[g.blocks]).all()
    assert world_info(world)["spawn_dimension"] == "minecraft:overworld"


@pytest.mark.world
@pytest.mark.parametrize("version,want", [("1.21.11", "minecraft:short_grass"), ("1.20.2", "minecraft:grass")])
def test_paste_writes_grass_in_the_worlds_own_spelling(current, version, want, tmp_path, monkeypatch, capsys):
    """A vocabulary from before 1.20.3 says minecraft:grass; a 1.21.11 save gets short_grass, not air."""
    from mcgen.grid import VoxelGrid

    world = shutil.copytree(current, tmp_path / "w") if version == "1.21.11" else \
        new_world(tmp_path / "w", mc_version=version, seed=3)
    monkeypatch.chdir(tmp_path)
    grid = VoxelGrid.from_states([[["minecraft:stone"], ["minecraft:grass"]],  # [x][y][z]: grass on stone
                                  [["minecraft:stone"], ["minecraft:short_grass"]]])
    save_json(grid, tmp_path / "g.json")
    assert run(["paste", "g.json", "--into", str(world), "--at", "3", "-60", "-9"]) == 0
    assert "unknown" not in capsys.readouterr().out.lower()
    reader = RegionReader(world)
    assert [reader.block(3 + x, -59, -9) for x in range(2)] == [want, want]
    assert reader.block(3, -60, -9) == "minecraft:stone"
