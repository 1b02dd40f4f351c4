"""Structurize ``.blueprint``: round trip, the layout as FORMATS/PROVENANCE describe it (checked with
nbtlib), placeholders and mod blocks, bad input, the real MineColonies files, and the CLI."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import nbtlib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mcgen.cli
from mcgen.errors import FormatError
from mcgen.export import blueprint, nbtio, versions
from mcgen.export.modblocks import GROUND, vanilla_state
from mcgen.export.readers import read_bytes, read_file
from mcgen.export.writers import encode
from mcgen.grid import VoxelGrid
from tests.unit._export_helpers import grids, random_grid

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "minecolonies"
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def corpus() -> Path:
    """``../shared/data/minecolonies``; skip when this checkout has no ``shared/``."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/data/minecolonies is not present")
    return CORPUS


def _blueprint_bytes(size, palette, halves, tiles=(), blocks_len=None) -> bytes:
    """A blueprint written with nbtlib (independent of our writer), as the mod stores it."""
    halves = list(halves) + [0] * (len(halves) % 2)
    ints = [((halves[i] << 16) | halves[i + 1]) - (1 << 32 if halves[i] >= 0x8000 else 0)
            for i in range(0, len(halves), 2)]
    if blocks_len is not None:
        ints = ints[:blocks_len]
    pal = []
    for state in palette:
        name, _, props = state.partition("[")
        entry = {"Name": nbtlib.String(name)}
        if props:
            entry["Properties"] = nbtlib.Compound({k: nbtlib.String(v) for k, v in
                                                   (kv.split("=") for kv in props.rstrip("]").split(","))})
        pal.append(nbtlib.Compound(entry))
    root = nbtlib.Compound({
        "size_x": nbtlib.Short(size[0]), "size_y": nbtlib.Short(size[1]), "size_z": nbtlib.Short(size[2]),
        "palette": nbtlib.List[nbtlib.Compound](pal), "blocks": nbtlib.IntArray(ints),
        "tile_entities": nbtlib.List[nbtlib.Compound]([nbtlib.Compound(t) for t in tiles]),
        "entities": nbtlib.List[nbtlib.Compound]([]), "mcversion": nbtlib.Int(3465), "name": nbtlib.String("t"),
        "version": nbtlib.Byte(1), "required_mods": nbtlib.List[nbtlib.String]([]),
    })
    buf = io.BytesIO()
    nbtlib.File(root, root_name="").write(buf)
    return gzip.compress(buf.getvalue())


# --- writer and reader -------------------------------------------------------------------------

@SETTINGS
@given(grid=grids(extra_states=True))
def test_blueprint_round_trips_identically(grid):
    assert read_bytes(encode(grid, "blueprint", mc_version="1.20.1")) == grid


def test_written_file_reads_back_with_nbtlib_as_the_format_doc_says(tmp_path):
    grid = random_grid(5, size=(5, 3, 7))  # 105 cells: odd, so the last half-int is padding
    path = tmp_path / "b.blueprint"
    path.write_bytes(encode(grid, "blueprint", mc_version="1.20.1", name="house"))
    root = nbtlib.load(path)  # gzip, big-endian, root ""
    assert [type(root[k]) for k in ("size_x", "size_y", "size_z")] == [nbtlib.Short] * 3
    assert (int(root["size_x"]), int(root["size_y"]), int(root["size_z"])) == grid.size
    assert isinstance(root["blocks"], nbtlib.IntArray) and len(root["blocks"]) == (105 + 1) // 2
    assert isinstance(root["mcversion"], nbtlib.Int) and int(root["mcversion"]) == versions.DATA_VERSIONS["1.20.1"]
    assert int(root["version"]) == 1 and str(root["name"]) == "house"
    off = root["optional_data"]["structurize"]["primary_offset"]
    assert (int(off["x"]), int(off["y"]), int(off["z"])) == (2, 0, 3)
    palette = [str(p["Name"]) + ("[" + ",".join(f"{k}={v}" for k, v in sorted(p["Properties"].items())) + "]"
                                 if "Properties" in p else "") for p in root["palette"]]
    ints = np.array(root["blocks"], dtype=np.int64) & 0xFFFFFFFF
    halves = np.stack([ints >> 16, ints & 0xFFFF], axis=1).ravel()  # the high half first
    assert halves[-1] == 0
    cells = halves[:105].reshape(3, 7, 5)  # y, then z, then x (x fastest)
    for x, y, z in [(0, 0, 0), (4, 2, 6), (1, 2, 3), (3, 0, 5)]:
        assert palette[cells[y, z, x]] == grid.state_at(x, y, z)


def test_an_independently_written_blueprint_reads_in_y_z_x_order():
    states = ["minecraft:air", "minecraft:stone", "minecraft:oak_planks"]
    halves = [0] * (2 * 3 * 4)
    halves[(1 * 4 + 2) * 2 + 1] = 1  # x=1, y=1, z=2
    halves[(0 * 4 + 3) * 2 + 0] = 2  # x=0, y=0, z=3
    grid = read_bytes(_blueprint_bytes((2, 3, 4), states, halves))
    assert grid.size == (2, 3, 4) and grid.count() == 2
    assert grid.state_at(1, 1, 2) == "minecraft:stone" and grid.state_at(0, 0, 3) == "minecraft:oak_planks"
    assert grid.meta["data_version"] == 3465 and grid.meta["source_format"] == "blueprint"


def test_placeholders_and_mod_blocks_become_vanilla_and_are_counted():
    shingle = "domum_ornamentum:shingle[facing=east,half=bottom,shape=straight,waterlogged=false]"
    states = ["minecraft:air", "structurize:blocksubstitution", "structurize:blocksolidsubstitution",
              "structurize:blockfluidsubstitution", shingle, "minecolonies:blockhutbuilder[facing=west]",
              "domum_ornamentum:cream_bricks"]
    halves = [1, 2, 2, 3, 4, 4, 5, 6]  # a 8x1x1 row
    te = {"x": nbtlib.Int(4), "y": nbtlib.Int(0), "z": nbtlib.Int(0),
          "id": nbtlib.String("domum_ornamentum:materially_retexturable"),
          "textureData": nbtlib.Compound({"minecraft:block/clay": nbtlib.String("minecraft:spruce_planks"),
                                          "minecraft:block/oak_planks": nbtlib.String("minecraft:oak_planks")})}
    data = _blueprint_bytes((8, 1, 1), states, halves, tiles=[te])
    grid = read_bytes(data)
    row = [grid.state_at(x, 0, 0) for x in range(8)]
    assert row[0] == "minecraft:air"  # "leave what is there"
    assert row[1] == row[2] == GROUND and row[3].startswith("minecraft:water")
    assert row[4] == "minecraft:spruce_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]"  # from the TE
    assert row[5].startswith("minecraft:oak_stairs[facing=east")  # no TE: the default material
    assert row[6] == "minecraft:chest[facing=west,type=single,waterlogged=false]"
    assert row[7].startswith("minecraft:") and not row[7].startswith("minecraft:air")
    rm = grid.meta["remapped"]
    assert rm["structurize:blocksolidsubstitution -> minecraft:dirt"] == 2
    assert rm["domum_ornamentum:shingle -> minecraft:spruce_stairs"] == 1
    assert rm["domum_ornamentum:shingle -> minecraft:oak_stairs"] == 1
    assert grid.meta["block_entities"] == 1
    dropped = read_bytes(data, solid_fill="air")
    assert dropped.state_at(1, 0, 0) == dropped.state_at(2, 0, 0) == "minecraft:air"


@pytest.mark.parametrize("src, material, want", [
    ("domum_ornamentum:panel[facing=north,half=top,open=true,type=full,waterlogged=false]", "minecraft:birch_planks",
     "minecraft:birch_trapdoor[facing=north,half=top,open=true,powered=false,waterlogged=false]"),
    ("domum_ornamentum:vanilla_slab_compat[type=top,waterlogged=false]", "minecraft:stone_bricks",
     "minecraft:stone_brick_slab[type=top,waterlogged=false]"),
    ("domum_ornamentum:vanilla_wall_compat[east=low,north=none,south=none,up=false,waterlogged=false,west=low]",
     "minecraft:stripped_spruce_wood",  # vanilla has no wooden wall: a fence with the same sides
     "minecraft:spruce_fence[east=true,north=false,south=false,waterlogged=false,west=true]"),
    ("domum_ornamentum:vanilla_fence_compat[east=false,north=true,south=true,waterlogged=false,west=false]",
     "minecraft:cobblestone",  # a stone fence is a wall
     "minecraft:cobblestone_wall[east=none,north=low,south=low,up=false,waterlogged=false,west=none]"),
    ("domum_ornamentum:fancy_door[facing=south,half=upper,hinge=right,open=false,powered=false,type=full]",
     "minecraft:dark_oak_planks",
     "minecraft:dark_oak_door[facing=south,half=upper,hinge=right,open=false,powered=false]"),
    ("domum_ornamentum:plain[facing=north]", "domum_ornamentum:paper_extra", "minecraft:white_terracotta"),
    ("domum_ornamentum:blockpillar[column=pillar_column]", "minecraft:quartz_pillar", "minecraft:quartz_pillar[axis=y]"),
    ("domum_ornamentum:shingle_slab[facing=north,shape=two_way,waterlogged=false]", "minecraft:oak_planks",
     "minecraft:oak_slab[type=bottom,waterlogged=false]"),
])
def test_domum_ornamentum_blocks_keep_their_shape_in_their_material(src, material, want):
    assert vanilla_state(src, material) == want


def test_a_material_without_that_shape_gets_the_nearest_one_that_exists_in_1_16():
    got = vanilla_state("domum_ornamentum:shingle[facing=north,half=bottom,shape=straight,waterlogged=false]",
                        "domum_ornamentum:blue_cobblestone_extra")
    assert got.split("[")[0].endswith("_stairs")
    assert versions.missing_in_version(got, versions.DATA_VERSIONS["1.16.5"]) is None


@pytest.mark.parametrize("mutate, needle", [
    (lambda b: _blueprint_bytes((2, 2, 2), ["minecraft:air"], [0] * 8, blocks_len=3), "holds 3 Ints"),
    (lambda b: _blueprint_bytes((2, 1, 1), ["minecraft:air"], [0, 5]), "palette index 5"),
    (lambda b: _blueprint_bytes((2, 1, 1), [], [0, 0]), "palette index 0"),
])
def test_bad_blueprints_are_refused_with_one_line(mutate, needle):
    with pytest.raises(FormatError, match=needle) as err:
        read_bytes(mutate(None), source="x.blueprint")
    assert "\n" not in str(err.value) and str(err.value).startswith("x.blueprint: ")


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mutated_blueprints_raise_only_format_errors(data):
    raw = bytearray(gzip.decompress(encode(random_grid(3, size=(3, 4, 5)), "blueprint")))
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        read_bytes(bytes(raw))
    except FormatError as exc:
        assert "\n" not in str(exc)


# --- the MineColonies corpus (skipped without ../shared) -------------------------------------------

def test_real_blueprints_read_to_vanilla_blocks(corpus):
    files = sorted((corpus / "colonial" / "agriculture").rglob("*.blueprint"))[:40]
    files.append(corpus / "colonial" / "agriculture" / "fields" / "Kelp & Sea field.blueprint")
    for path in files:
        grid = read_file(path)
        assert grid.count() > 0, path
        assert all(s.startswith("minecraft:") for s in grid.palette), path
        assert grid.meta["remapped"], path  # every one of them has placeholders


def test_a_real_blueprint_round_trips_through_our_writer(corpus):
    grid = read_file(corpus / "nordic" / "education" / "library3.blueprint")
    again = read_bytes(encode(grid, "blueprint", mc_version="1.20.1"))
    assert again == grid and again.size == grid.size


# --- the command line ------------------------------------------------------------------------------

def test_export_and_convert_write_blueprints_both_ways(tmp_path, capsys):
    grid = random_grid(7)
    from mcgen.grid import save_json

    save_json(grid, tmp_path / "g.json")
    assert mcgen.cli.run(["export", str(tmp_path / "g.json"), "--format", "blueprint", "-o", str(tmp_path / "out")]) == 0
    written = tmp_path / "out" / "g.blueprint"
    assert read_file(written) == grid
    assert mcgen.cli.run(["convert", str(written), str(tmp_path / "g.schem")]) == 0
    assert mcgen.cli.run(["convert", str(tmp_path / "g.schem"), str(tmp_path / "g2.blueprint")]) == 0
    assert read_file(tmp_path / "g2.blueprint") == grid
    (tmp_path / "bad.blueprint").write_bytes(b"\x1f\x8bnot really")
    capsys.readouterr()
    assert mcgen.cli.run(["convert", str(tmp_path / "bad.blueprint"), str(tmp_path / "x.schem")]) == 3
    err = capsys.readouterr().err
    assert err.startswith("mcgen: error: ") and err.count("\n") == 1
    assert not (tmp_path / "x.schem").exists()


def test_convert_reports_the_remappings_and_can_drop_solid_placeholders(corpus, tmp_path, capsys):
    src = corpus / "colonial" / "agriculture" / "fields" / "Kelp & Sea field.blueprint"
    assert mcgen.cli.run(["convert", str(src), str(tmp_path / "k.nbt")]) == 0
    assert "structurize:blocksolidsubstitution -> minecraft:dirt" in capsys.readouterr().err
    assert mcgen.cli.run(["convert", str(src), str(tmp_path / "k2.nbt"), "--solid-fill", "air"]) == 0
    full, dropped = read_file(tmp_path / "k.nbt"), read_file(tmp_path / "k2.nbt")
    assert dropped.count() < full.count()
    assert "minecraft:dirt" not in dropped.histogram() or dropped.histogram()["minecraft:dirt"] < \
        full.histogram()["minecraft:dirt"]


def test_every_written_grid_keeps_its_size_for_odd_volumes():
    for size in [(1, 1, 1), (3, 1, 1), (1, 5, 3), (7, 7, 7)]:
        grid = VoxelGrid(np.ones(size, dtype=np.uint16), ["minecraft:air", "minecraft:stone"])
        assert read_bytes(encode(grid, "blueprint")) == grid
    assert blueprint.is_blueprint(nbtio.load_bytes(encode(grid, "blueprint")).root)


@pytest.mark.world
def test_paste_takes_a_blueprint(tmp_path, capsys):
    from mcgen.world import new_world

    world = new_world(tmp_path / "w", mc_version="1.20.4")
    grid = random_grid(9, size=(3, 2, 3))
    (tmp_path / "b.blueprint").write_bytes(encode(grid, "blueprint", mc_version="1.20.4"))
    assert mcgen.cli.run(["paste", str(tmp_path / "b.blueprint"), "--into", str(world), "--at", "0", "-60", "0"]) == 0
    assert "b: box (0, -60, 0) .. (2, -59, 2)" in capsys.readouterr().out


def test_an_oversized_blueprint_is_refused_from_its_header(tmp_path, monkeypatch):
    from mcgen.importing import ImportOptions, import_builds, peek, pipeline

    path = tmp_path / "long.blueprint"
    path.write_bytes(encode(VoxelGrid(np.ones((300, 1, 2), dtype=np.uint16), ["minecraft:air", "minecraft:stone"]),
                            "blueprint"))
    info = peek(path)
    assert info is not None and info.size == (300, 1, 2) and info.kind == "blueprint"
    monkeypatch.setattr(pipeline, "read_structure", lambda *a, **k: pytest.fail("loaded"))
    grids, report = import_builds([path], ImportOptions(max_size=256))
    assert grids == [] and len(report.too_large) == 1 and "300x1x2" in report.too_large[0][1]
