"""``world new`` saves, level.dat reading (both spawn layouts), ``--into`` resolution, layout."""

from __future__ import annotations

import itertools
from pathlib import Path

import nbtlib
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcgen.errors import ConfigError, WorldError
from mcgen.grid import VoxelGrid
from mcgen.world import (
    boxes_overlap, grid_layout, new_world, place_buildings, read_level_info, resolve_world, world_info,
)
from tests.unit.test_world_paste import test_grid
from tests.unit.world_anvil import RegionReader, chunk_status

FIXTURE_WORLDS = ["mc1_16_5_flat_everyblock", "mc1_17_1_vanilla_terrain", "mc1_18_superflat", "mc1_21_3_flat_redstone"]
OPTIONAL = {"Player", "DragonFight", "WanderingTraderId"}  # written by the game once played


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """One new save per era (built once for the module: amulet is slow)."""
    root = tmp_path_factory.mktemp("new")
    return {v: new_world(root / v.replace(".", "_"), mc_version=v, seed=42) for v in ("1.16.5", "1.21.3")}


@pytest.mark.world
def test_new_level_dat_has_every_field_the_real_saves_share(made, fixtures_dir):
    real = [nbtlib.load(fixtures_dir / "worlds" / w / "level.dat")["Data"] for w in FIXTURE_WORLDS]
    shared = set.intersection(*(set(d.keys()) for d in real)) - OPTIONAL
    ref = real[-1]  # 1.21.3
    for version, path in made.items():
        ours = nbtlib.load(path / "level.dat")["Data"]
        assert shared <= set(ours.keys()), f"{version}: missing {shared - set(ours.keys())}"
        for key in shared & set(ref.keys()):
            assert type(ours[key]) is type(ref[key]), key
        assert int(ours["DataVersion"]) == int(ours["Version"]["Id"]) and str(ours["Version"]["Name"]) == version
        flat = ours["WorldGenSettings"]["dimensions"]["minecraft:overworld"]["generator"]
        assert str(flat["type"]) == "minecraft:flat"


@pytest.mark.world
@pytest.mark.parametrize("version,floor", [("1.16.5", 0), ("1.21.3", -64)])
def test_new_world_has_full_flat_plains_chunks_around_spawn(made, version, floor):
    path = made[version]
    info = read_level_info(path)
    assert info.spawn == (0, floor + 4, 0) and info.version_name == version
    reader = RegionReader(path)
    assert all(chunk_status(reader, cx, cz) == "full" for cx, cz in itertools.product(range(-8, 8), repeat=2))
    assert chunk_status(reader, 8, 0) is None and chunk_status(reader, 0, -9) is None
    column = [reader.block(-128, floor + i, 127) for i in range(5)]
    assert column == ["minecraft:bedrock", "minecraft:dirt", "minecraft:dirt", "minecraft:grass_block[snowy=false]",
                      "minecraft:air"]
    root = reader.root(0, 0)
    if "Level" in root:
        assert set(root["Level"]["Biomes"]) == {1}  # plains (0 would be ocean)
    else:
        assert all(list(s["biomes"]["palette"]) == ["minecraft:plains"] for s in root["sections"])


@pytest.mark.world
def test_build_layout_on_a_new_world_rests_each_building_on_the_grass(made, tmp_path):
    import shutil

    path = shutil.copytree(made["1.21.3"], tmp_path / "w")
    grids = [test_grid((5 + i, 6, 7 - i), seed=i) for i in range(4)]
    grids[1].blocks[:, :2, :] = 0  # two empty bottom layers
    report = place_buildings(path, grids, spacing=3)
    boxes = [b for b in report.boxes]
    assert all(b.surface_y == -61 for b in boxes)
    assert boxes[1].min[1] == -62 and boxes[0].min[1] == -60
    for a, b in itertools.combinations(boxes, 2):
        assert not boxes_overlap((a.min, tuple(v + 1 for v in a.max)), (b.min, tuple(v + 1 for v in b.max)))
    assert boxes[0].min[0] == 8  # east of spawn
    reader = RegionReader(path)
    for g, b in zip(grids, boxes):
        want = np.array(g.palette, dtype=object)[g.blocks]
        assert (reader.box(*b.min, *g.size) == want).all()
    assert world_info(path)["log"][-1]["boxes"][0]["name"] == "building_0"


@pytest.mark.world
def test_new_world_refuses_existing_folder_and_unknown_version(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    with pytest.raises(WorldError, match="already exists"):
        new_world(tmp_path / "taken")
    with pytest.raises(ConfigError, match="unsupported --mc-version '1.12.2'"):
        new_world(tmp_path / "old", mc_version="1.12.2")
    assert not (tmp_path / "old").exists()


def _level_dat(path: Path, data: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    nbtlib.File({"Data": nbtlib.Compound(data)}, gzipped=True).save(path / "level.dat")


def test_spawn_is_read_from_both_layouts(tmp_path):
    old = {"SpawnX": nbtlib.Int(-15), "SpawnY": nbtlib.Int(-60), "SpawnZ": nbtlib.Int(42), "DataVersion": nbtlib.Int(4082)}
    _level_dat(tmp_path / "old", old)
    new = {"DataVersion": nbtlib.Int(4554),
           "spawn": nbtlib.Compound({"dimension": nbtlib.String("minecraft:overworld"),
                                     "pos": nbtlib.IntArray([7, 70, -3]), "yaw": nbtlib.Float(0), "pitch": nbtlib.Float(0)})}
    _level_dat(tmp_path / "new", new)
    assert read_level_info(tmp_path / "old").spawn == (-15, -60, 42)
    info = read_level_info(tmp_path / "new")
    assert info.spawn == (7, 70, -3) and info.version_name == "1.21.9"
    _level_dat(tmp_path / "none", {"DataVersion": nbtlib.Int(2586)})
    assert read_level_info(tmp_path / "none").spawn is None
    with pytest.raises(WorldError, match="no level.dat"):
        read_level_info(tmp_path / "missing")


def test_into_resolves_paths_then_worlds_then_the_saves_folder(tmp_path, monkeypatch):
    saves = tmp_path / "home" / ".minecraft" / "saves"
    monkeypatch.setattr("mcgen.world.locate.minecraft_saves_dir", lambda: saves)
    cwd = tmp_path / "repo"
    _level_dat(cwd / "worlds" / "a", {})
    _level_dat(saves / "a", {})
    _level_dat(saves / "b", {})
    _level_dat(tmp_path / "elsewhere" / "c", {})
    assert resolve_world("a", cwd=cwd) == (cwd / "worlds" / "a").resolve()
    assert resolve_world("b", cwd=cwd) == (saves / "b").resolve()
    assert resolve_world(str(tmp_path / "elsewhere" / "c"), cwd=cwd) == (tmp_path / "elsewhere" / "c").resolve()
    with pytest.raises(WorldError) as err:
        resolve_world("zzz", cwd=cwd)
    assert str(cwd / "worlds" / "zzz") in str(err.value) and str(saves / "zzz") in str(err.value)
    (cwd / "worlds" / "nolevel").mkdir()
    with pytest.raises(WorldError, match="not a Minecraft world save"):
        resolve_world("nolevel", cwd=cwd)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(1, 40), st.integers(1, 40)), min_size=1, max_size=12),
       st.integers(0, 8), st.integers(-500, 500), st.integers(-500, 500))
def test_grid_layout_never_overlaps_and_keeps_the_spacing(sizes, spacing, ox, oz):
    corners = grid_layout(sizes, (ox, oz), spacing)
    assert corners[0] == (ox, oz)
    boxes = [((x - spacing, 0, z - spacing), (x + s[0], 1, z + s[2])) for (x, z), s in zip(corners, sizes)]
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        # grown by the spacing on one side, footprints still do not touch
        assert not boxes_overlap(a, ((b[0][0] + spacing, 0, b[0][2] + spacing), b[1])), (i, j)


def test_grids_with_a_vocab_state_make_a_valid_voxelgrid():
    g = test_grid((3, 3, 3))
    assert isinstance(g, VoxelGrid) and g.size == (3, 3, 3)


@pytest.mark.world
def test_building_near_spawn_twice_does_not_cover_the_first_build(made, tmp_path):
    import shutil

    path = shutil.copytree(made["1.21.3"], tmp_path / "w")
    grids = [test_grid((6, 4, 6), seed=i) for i in range(2)]
    first = place_buildings(path, grids, spacing=2, backup=False).boxes
    second = place_buildings(path, grids, spacing=2, backup=False).boxes
    for a in first:
        for b in second:
            assert not boxes_overlap((a.min, tuple(v + 1 for v in a.max)), (b.min, tuple(v + 1 for v in b.max)))
    assert second[0].min[0] > first[-1].max[0]
