"""Every real-world fixture is read into a VoxelGrid or rejected with a one-line reason; quirks each tested."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcgen.errors import FormatError
from mcgen.export import nbtio
from mcgen.export.readers import read_file
from tests.conftest import FIXTURES

KINDS = ("schem", "structure_nbt", "litematic", "mcstructure", "schematic", "buildings")
# file name -> words the rejection must contain (everything else must load)
REJECTED = {
    "sponge_v1_no_palette_grass.schematic": ("Sponge v1", "Palette"),
    "sponge_v2_dv1343_modded_skyfactory4.schematic": ("pre-1.13", "1343"),
}


def _files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for k in KINDS for p in (FIXTURES / k).rglob("*") if p.is_file())


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_fixture_is_read_or_rejected_with_one_line(path):
    if path.name in REJECTED:
        with pytest.raises(FormatError) as err:
            read_file(path)
        msg = str(err.value)
        assert "\n" not in msg and all(w in msg for w in REJECTED[path.name])
        return
    grid = read_file(path)
    assert grid.palette[0] == "minecraft:air"
    assert all(s == s.strip() for s in grid.palette)


def _read(fixtures_dir: Path, rel: str):
    return read_file(fixtures_dir / rel)


def _raw(fixtures_dir: Path, rel: str):
    return nbtio.load_bytes((fixtures_dir / rel).read_bytes()).root


def test_sponge_without_offset_reads(fixtures_dir):
    path = "schem/cubical_v2_no_offset_skywars_entities.schem"
    assert "Offset" not in _raw(fixtures_dir, path)
    grid = _read(fixtures_dir, path)
    assert grid.size == (287, 183, 298) and "offset" not in grid.meta and grid.count() > 0


def test_sponge_without_metadata_reads_the_large_hotel_fast(fixtures_dir):
    import time

    t0 = time.perf_counter()
    grid = _read(fixtures_dir, "schem/v2_no_metadata_hotel.schem")
    assert time.perf_counter() - t0 < 8  # ~0.5 s on an idle 2-core box
    assert grid.size == (286, 96, 218) and "we_offset" not in grid.meta
    assert len(grid.palette) > 128  # two-byte varints were decoded


def test_sponge_int_sizes_read_like_short_sizes(fixtures_dir, tmp_path):
    # SpongeAPI wrote Int sizes: rebuild a v2 file with Int sizes from one of ours and read it.
    from mcgen.export.nbtio import BYTE_ARRAY, COMPOUND, INT, encode, gzip_bytes

    data = np.array([0, 1, 1, 0, 1, 0], dtype=np.int8)  # 3 x 1 x 2
    root = {"Version": (INT, 2), "DataVersion": (INT, 3700), "Width": (INT, 3), "Height": (INT, 1),
            "Length": (INT, 2), "Palette": (COMPOUND, {"minecraft:air": (INT, 0), "minecraft:stone": (INT, 1)}),
            "BlockData": (BYTE_ARRAY, data)}
    p = tmp_path / "int_sizes.schematic"
    p.write_bytes(gzip_bytes(encode(root, root_name="")))
    grid = read_file(p)
    assert grid.size == (3, 1, 2) and grid.state_at(2, 0, 0) == "minecraft:stone" and grid.state_at(1, 0, 1) == "minecraft:stone" and grid.state_at(0, 0, 1) == "minecraft:air"


def test_v3_with_wrong_data_version_and_unsorted_properties_is_canonicalised(fixtures_dir):
    path = "schem/thirdparty_v3_dv1343_uss_texas.schem"
    raw_keys = list(_raw(fixtures_dir, path)["Schematic"]["Blocks"]["Palette"])
    unsorted = [k for k in raw_keys if "[" in k and k[k.index("[") + 1:-1].split(",") != sorted(k[k.index("[") + 1:-1].split(","))]
    assert unsorted, "fixture should carry unsorted properties"
    grid = _read(fixtures_dir, path)
    assert grid.meta["data_version"] == 1343
    assert len(grid.palette) <= len(raw_keys)
    for s in grid.palette:
        if "[" in s:
            keys = [kv.split("=")[0] for kv in s[s.index("[") + 1:-1].split(",")]
            assert keys == sorted(keys)


def test_structure_with_several_palettes_uses_the_first(fixtures_dir):
    path = "structure_nbt/vanilla_1_17_1_shipwreck_with_mast_8palettes.nbt"
    grid = _read(fixtures_dir, path)
    assert grid.meta["palettes"] == 8 and grid.meta["palette_used"] == 0
    raw = _raw(fixtures_dir, path)
    first = {p["Name"] for p in raw["palettes"][0]}
    assert {s.split("[")[0] for s in grid.palette} <= first | {"minecraft:air"}


def test_structure_of_size_zero_reads_as_empty(fixtures_dir):
    grid = _read(fixtures_dir, "structure_nbt/structblock_1_21_3_empty_size0.nbt")
    assert grid.size == (0, 0, 0) and grid.count() == 0


def test_sparse_structure_reads_missing_positions_as_air(fixtures_dir):
    path = "structure_nbt/gdmc2023_1_19_2_sparse_door_transition.nbt"
    raw = _raw(fixtures_dir, path)
    grid = _read(fixtures_dir, path)
    assert len(raw["blocks"]) < np.prod(grid.size)
    assert grid.count() <= len(raw["blocks"])


def test_litematic_negative_sizes_and_multiple_regions_merge(fixtures_dir):
    path = "litematic/v5_multiregion_negative_size_lite.litematic"
    regions = _raw(fixtures_dir, path)["Regions"]
    assert len(regions) > 1 and any(r["Size"]["y"] < 0 for r in regions.values())
    grid = _read(fixtures_dir, path)
    assert grid.meta["regions"] == len(regions)
    assert grid.count() > 0


def test_litematic_negative_size_matches_litemapy(fixtures_dir):
    litemapy = pytest.importorskip("litemapy")
    path = fixtures_dir / "litematic/v7_fast_4x4_vault_door.litematic"  # all three sizes negative
    reg = next(iter(litemapy.Schematic.load(str(path)).regions.values()))
    grid = read_file(path)
    xs, ys, zs = (sorted(r) for r in (reg.range_x(), reg.range_y(), reg.range_z()))
    assert grid.size == (len(xs), len(ys), len(zs))
    for x in xs:
        for y in ys:
            for z in zs:
                want = reg[x, y, z].to_block_state_identifier()
                assert grid.state_at(x - xs[0], y - ys[0], z - zs[0]) == want.replace(" ", "")


def test_mcstructure_second_layer_water_makes_blocks_waterlogged(fixtures_dir):
    grid = _read(fixtures_dir, "mcstructure/bedrock_waterlogged_second_layer.mcstructure")
    assert any("waterlogged=true" in s for s in grid.palette)


def test_sponge_saved_as_schematic_is_sniffed_by_content(fixtures_dir):
    with pytest.raises(FormatError, match="Sponge v1"):
        _read(fixtures_dir, "schem/sponge_v1_no_palette_grass.schematic")


def test_legacy_mcedit_schematic_translates_ids(fixtures_dir):
    grid = _read(fixtures_dir, "schematic/worldedit_viking_house1.schematic")
    hist = grid.histogram()
    assert hist["minecraft:stone_bricks"] > 0 and any(s.startswith("minecraft:oak_stairs[") for s in hist)
    assert any(s.startswith("minecraft:oak_fence[") for s in hist)  # connections recomputed
    assert grid.meta["we_offset"] == [-11, -1, -3]
