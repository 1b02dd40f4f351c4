"""Importing real builds: header peek and size limit, vocabulary mapping, fitting, the batch pipeline."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sys
from pathlib import Path

import nbtlib
import numpy as np
import pytest

from mcgen.blocks import AIR, parse_state
from mcgen.errors import ConfigError, UsageError, WorldError
from mcgen.files import read_structure
from mcgen.grid import VoxelGrid, save_json, save_npz
from mcgen.importing import (
    ImportOptions, TooLarge, VocabMapper, WorldBox, auto_vocabulary, downsample, expand_sources, fit,
    import_builds, import_dataset, label_from_name, peek, peek_size,
)
from mcgen.importing import pipeline
from mcgen.importing.fit import strip_ground
from mcgen.vocab import DEFAULT_VOCAB, is_partial

FOREIGN_DIRS = ("schem", "structure_nbt", "litematic", "mcstructure", "schematic")
VOCAB = list(DEFAULT_VOCAB.states)


# --- header peek and the size limit ---------------------------------------------------------

@pytest.mark.parametrize("folder", FOREIGN_DIRS)
def test_peek_size_matches_the_reader_for_every_fixture(fixtures_dir: Path, folder: str) -> None:
    checked = 0
    for path in sorted((fixtures_dir / folder).iterdir()):
        size = peek_size(path)
        assert size is not None, path
        if max(size) > 256:
            continue  # the two huge schematics: reading them is what the peek avoids
        try:
            grid = read_structure(path)
        except Exception:  # noqa: BLE001 - rejected files are covered by the batch tests
            continue
        assert grid.size == size, path
        checked += 1
    assert checked >= 3


def test_peek_counts_block_entities_and_entities(fixtures_dir: Path) -> None:
    info = peek(fixtures_dir / "litematic" / "v6_brewer_tileentities.litematic")
    assert info is not None and (info.block_entities, info.entities) == (380, 32)
    info = peek(fixtures_dir / "structure_nbt" / "terralith_mage_house_entities.nbt")
    assert info is not None and (info.block_entities, info.entities) == (2, 10)


def test_peek_reads_our_own_npz_and_json_headers(tmp_path: Path) -> None:
    g = VoxelGrid(np.ones((3, 4, 5), dtype=np.uint16), [AIR, "minecraft:stone"])
    save_npz(g, tmp_path / "a.npz")
    save_json(g, tmp_path / "a.json")
    assert peek_size(tmp_path / "a.npz") == (3, 4, 5)
    assert peek_size(tmp_path / "a.json") == (3, 4, 5)


def _fake_sponge(path: Path, width: int) -> None:
    """A Sponge v2 header declaring a huge width, with a tiny (inconsistent) block array."""
    root = nbtlib.Compound({
        "Version": nbtlib.Int(2), "DataVersion": nbtlib.Int(2586), "Width": nbtlib.Short(width),
        "Height": nbtlib.Short(4), "Length": nbtlib.Short(4), "PaletteMax": nbtlib.Int(1),
        "Palette": nbtlib.Compound({"minecraft:air": nbtlib.Int(0)}), "BlockData": nbtlib.ByteArray([0] * 8),
    })
    buf = io.BytesIO()
    nbtlib.File(root, root_name="Schematic").write(buf)
    path.write_bytes(gzip.compress(buf.getvalue()))


def _structure_nbt(n_blocks: int, size: list[int], with_nbt: int, entities_first: bool = False) -> bytes:
    blocks = [nbtlib.Compound({"pos": nbtlib.List[nbtlib.Int]([i % 7, 0, 0]), "state": nbtlib.Int(0),
                               **({"nbt": nbtlib.Compound({"id": nbtlib.String("chest")})} if i < with_nbt else {})})
              for i in range(n_blocks)]
    ent = nbtlib.Compound({"pos": nbtlib.List[nbtlib.Double]([0.5, 0.0, 0.5]),
                           "nbt": nbtlib.Compound({"id": nbtlib.String("minecraft:armor_stand")})})
    head = {"entities": nbtlib.List[nbtlib.Compound]([ent, ent])} if entities_first else {}
    root = nbtlib.Compound({**head, "size": nbtlib.List[nbtlib.Int](size),
                            "blocks": nbtlib.List[nbtlib.Compound](blocks),
                            "palette": nbtlib.List[nbtlib.Compound]([nbtlib.Compound({"Name": nbtlib.String("minecraft:stone")})]),
                            **({} if entities_first else {"entities": nbtlib.List[nbtlib.Compound]([])}),
                            "DataVersion": nbtlib.Int(2586),
                            "data": nbtlib.IntArray(list(range(1000)))})
    buf = io.BytesIO()
    nbtlib.File(root).write(buf)
    return buf.getvalue()


def test_the_skimmer_summarises_long_lists_and_measures_arrays() -> None:
    from mcgen.importing.skim import Blob, ListSummary, skim

    raw = _structure_nbt(500, [7, 1, 1], with_nbt=3)
    root, complete = skim(raw)
    assert complete and root["size"] == [7, 1, 1] and root["DataVersion"] == 2586
    assert root["blocks"] == ListSummary(500, 3) and root["data"] == Blob(1000)
    head, complete = skim(raw[:200])
    assert not complete and head["size"] == [7, 1, 1]


@pytest.mark.parametrize("entities_first", [False, True])
def test_structure_block_entities_are_counted_with_or_without_walking_the_blocks(tmp_path: Path,
                                                                                  entities_first: bool) -> None:
    path = tmp_path / "s.nbt"
    path.write_bytes(gzip.compress(_structure_nbt(400, [7, 1, 1], with_nbt=5, entities_first=entities_first)))
    info = peek(path)
    assert info.size == (7, 1, 1) and info.block_entities == 5 and info.entities == (2 if entities_first else 0)


def test_a_huge_structure_is_refused_from_the_first_bytes(tmp_path: Path, monkeypatch) -> None:
    peek_mod = sys.modules["mcgen.importing.peek"]
    path = tmp_path / "big.nbt"
    path.write_bytes(gzip.compress(_structure_nbt(3000, [900, 10, 10], with_nbt=0)))
    assert peek(path).size == (900, 10, 10)
    calls = []
    real = peek_mod.skim
    monkeypatch.setattr(peek_mod, "skim", lambda raw, **kw: calls.append(len(raw)) or real(raw, **kw))
    monkeypatch.setattr(peek_mod, "PREFIX_BYTES", 4096)
    info = peek(path, max_size=256)
    assert info.size == (900, 10, 10) and info.block_entities is None
    assert calls == [4096]  # decided on the first 4 KiB; the rest was never decompressed or walked


def test_a_build_over_the_limit_is_refused_from_its_header_without_loading(tmp_path: Path, monkeypatch) -> None:
    _fake_sponge(tmp_path / "huge.schem", 1000)
    assert peek_size(tmp_path / "huge.schem") == (1000, 4, 4)

    def boom(path):  # the full reader must never run for it
        raise AssertionError(f"read_structure called for {path}")

    monkeypatch.setattr(pipeline, "read_structure", boom)
    grids, report = import_builds([tmp_path / "huge.schem"], ImportOptions(max_size=256))
    assert grids == [] and len(report.too_large) == 1 and not report.skipped
    assert "1000x4x4" in report.too_large[0][1] and "--max-size 256" in report.too_large[0][1]


def test_the_real_oversized_fixtures_are_refused_before_loading(fixtures_dir: Path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "read_structure", lambda p: pytest.fail(f"loaded {p}"))
    srcs = [fixtures_dir / "schem" / "v2_no_metadata_hotel.schem",
            fixtures_dir / "schem" / "cubical_v2_no_offset_skywars_entities.schem"]
    _, report = import_builds(srcs, ImportOptions())
    assert len(report.too_large) == 2


def test_a_corrupt_file_in_a_batch_is_skipped_with_its_reason_and_counted(fixtures_dir: Path, tmp_path: Path) -> None:
    good = fixtures_dir / "buildings" / "gdmc2022" / "houses_basichouse1.nbt"
    shutil.copy(good, tmp_path / "a_good.nbt")
    data = good.read_bytes()
    (tmp_path / "b_truncated.nbt").write_bytes(data[: len(data) // 2])
    (tmp_path / "c_garbage.schem").write_bytes(b"\x1f\x8b" + bytes(range(256)) * 4)
    (tmp_path / "d_empty.litematic").write_bytes(b"")
    (tmp_path / "e_bad.json").write_text("{not json", encoding="utf-8")
    grids, report = import_builds(expand_sources([tmp_path]), ImportOptions())
    assert len(grids) == 1 and grids[0].meta["source"].endswith("a_good.nbt")
    assert len(report.skipped) == 4
    for (source, reason), name in zip(report.skipped, ("b_truncated", "c_garbage", "d_empty", "e_bad")):
        assert name in source and name in reason and "\n" not in reason
        assert "internal error" not in reason  # readers give a proper reason, not a crash


# --- vocabulary mapping ----------------------------------------------------------------------

def _props(state: str) -> dict[str, str]:
    return parse_state(state)[1]


def test_default_mapping_keeps_the_shape_properties() -> None:
    m = VocabMapper(VOCAB)
    for facing in ("north", "east", "south", "west"):
        s = m(f"minecraft:spruce_stairs[facing={facing},half=bottom,shape=inner_left,waterlogged=false]")
        assert s.startswith("minecraft:oak_stairs") and _props(s)["facing"] == facing
        d = m(f"minecraft:spruce_door[facing={facing},half=upper,hinge=right,open=true,powered=false]")
        assert "_door" in d and _props(d)["facing"] == facing and _props(d)["half"] == "upper"
    for half in ("top", "bottom"):
        s = m(f"minecraft:birch_slab[type={half},waterlogged=false]")
        assert s.endswith("_slab" + s[s.index("["):]) and _props(s)["type"] == half
    assert not is_partial(m("minecraft:birch_slab[type=double,waterlogged=false]"))
    for axis in "xyz":
        assert _props(m(f"minecraft:birch_log[axis={axis}]"))["axis"] == axis
    assert m("minecraft:stripped_oak_log[axis=y]") == "minecraft:oak_log[axis=y]"


def test_planks_go_to_the_nearest_planks_and_leaves_to_leaves() -> None:
    m = VocabMapper(VOCAB)
    for wood in ("jungle", "acacia", "crimson", "mangrove", "cherry", "warped", "bamboo"):
        assert m(f"minecraft:{wood}_planks").endswith("_planks")
    assert m("minecraft:dark_oak_planks") == "minecraft:dark_oak_planks"
    assert "leaves" in m("minecraft:spruce_leaves[distance=3,persistent=false,waterlogged=false]")


def test_panes_and_fences_take_the_best_matching_connections() -> None:
    m = VocabMapper(VOCAB)
    ew = m("minecraft:white_stained_glass_pane[east=true,north=false,south=false,waterlogged=false,west=true]")
    assert ew.startswith("minecraft:glass_pane") and _props(ew)["east"] == "true" and _props(ew)["north"] == "false"
    ns = m("minecraft:iron_bars[east=false,north=true,south=true,waterlogged=false,west=false]")
    assert _props(ns)["north"] == "true" and _props(ns)["east"] == "false"
    f = m("minecraft:spruce_fence[east=false,north=true,south=true,waterlogged=false,west=false]")
    assert f.startswith("minecraft:oak_fence") and _props(f)["north"] == _props(f)["south"] == "true"
    post = m("minecraft:dark_oak_fence[east=false,north=false,south=false,waterlogged=false,west=false]")
    assert all(v == "false" for k, v in _props(post).items())
    gate = m("minecraft:oak_fence_gate[facing=north,in_wall=false,open=false,powered=false]")
    assert _props(gate)["east"] == _props(gate)["west"] == "true"  # a north-facing gate spans east-west


def test_decoration_becomes_air_or_a_torch_and_unknown_solids_a_full_block() -> None:
    m = VocabMapper(VOCAB)
    for deco in ("minecraft:poppy", "minecraft:white_carpet", "minecraft:oak_button[face=wall,facing=north,powered=false]",
                 "minecraft:oak_wall_sign[facing=north,waterlogged=false]", "minecraft:ladder[facing=north,waterlogged=false]",
                 "minecraft:potted_cactus", "minecraft:red_bed[facing=north,occupied=false,part=head]",
                 "minecraft:jigsaw[orientation=up_north]", "minecraft:structure_void"):
        assert m(deco) == AIR, deco
    assert m("minecraft:wall_torch[facing=east]") == "minecraft:torch"
    assert m("minecraft:soul_lantern[hanging=true,waterlogged=false]").startswith("minecraft:lantern")
    for solid in ("minecraft:purple_concrete", "mymod:weird_block", "minecraft:chest[facing=north,type=single,waterlogged=false]",
                  "minecraft:cobblestone_wall[east=low,north=none,south=none,up=true,waterlogged=false,west=low]"):
        out = m(solid)
        assert out != AIR and not is_partial(out), solid
    assert m("minecraft:cobblestone_wall[east=low,north=none,south=none,up=true,waterlogged=false,west=low]") == \
        "minecraft:cobblestone"
    assert m("minecraft:podzol[snowy=false]") == "minecraft:dirt"


def test_every_fixture_building_state_maps_into_the_vocabulary(fixtures_dir: Path) -> None:
    m = VocabMapper(VOCAB)
    states = set()
    for p in sorted((fixtures_dir / "buildings").rglob("*.nbt"))[::4]:
        states.update(read_structure(p).palette)
    assert len(states) > 100
    assert all(m(s) in DEFAULT_VOCAB for s in states)


def test_auto_vocabulary_keeps_the_most_frequent_states_and_maps_the_rest_by_family() -> None:
    counts = {"minecraft:stone": 50, "minecraft:oak_planks": 40,
              "minecraft:oak_stairs[facing=north,half=bottom,shape=straight,waterlogged=false]": 30,
              "minecraft:spruce_planks": 2, "minecraft:structure_void": 999,
              "minecraft:spruce_stairs[facing=north,half=bottom,shape=straight,waterlogged=false]": 1}
    assert auto_vocabulary(counts, 4, symmetric=False) == [
        AIR, "minecraft:stone", "minecraft:oak_planks",
        "minecraft:oak_stairs[facing=north,half=bottom,shape=straight,waterlogged=false]"]
    vocab = auto_vocabulary(counts, 7)  # the stair comes with its three other facings
    assert vocab[:3] == [AIR, "minecraft:stone", "minecraft:oak_planks"] and len(vocab) == 7
    assert {_props(s)["facing"] for s in vocab[3:]} == {"north", "east", "south", "west"}
    assert auto_vocabulary(counts, 5) == [AIR, "minecraft:stone", "minecraft:oak_planks", "minecraft:spruce_planks"]
    m = VocabMapper(vocab)
    assert m("minecraft:spruce_planks") == "minecraft:oak_planks"
    assert m("minecraft:spruce_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]") == \
        "minecraft:oak_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]"
    assert m("minecraft:poppy") == AIR  # no decoration member: air, not a solid block
    with pytest.raises(ConfigError):
        ImportOptions(vocab="auto:1")
    with pytest.raises(ConfigError):
        ImportOptions(vocab="top:5")


# --- fitting -----------------------------------------------------------------------------------

def test_a_40_wide_wall_downsampled_to_32_stays_a_continuous_one_block_wall() -> None:
    a = np.zeros((40, 10, 9), dtype=np.uint16)
    a[:, :, 4] = 1  # a 1-thick wall along x
    a[:, 0, :] = 2  # on a floor
    out, info = fit(a, 32, "scale")
    assert info.mode == "scale" and out.shape == (32, 32, 32)
    wall_z = np.flatnonzero((out == 1).any(axis=(0, 1)))
    assert len(wall_z) == 1  # still one block thick
    wall = out[:, 1:, wall_z[0]] == 1
    cols = np.flatnonzero(wall.any(axis=1))
    assert cols[0] == 0 and cols[-1] == 31 and len(cols) == 32  # continuous over the whole width
    assert wall[:, :6].all()  # no holes in the lower part of the wall
    assert (out[:, 0, :] != 0).any()


def test_downsampling_keeps_a_thin_roof_and_drops_scattered_noise() -> None:
    a = np.zeros((64, 20, 64), dtype=np.uint16)
    a[:, 0, :] = 1  # floor
    a[:, 15, :] = 2  # one-block roof plane
    a[::4, 5, ::4] = 3  # isolated single blocks, one per cell
    a[8, 2:14, 8] = 4  # a one-block post: a line, not a plane
    small = downsample(a, 2.0)
    assert small.shape == (32, 10, 32)
    assert (small[:, 7, :] == 2).all() and (small[:, 0, :] == 1).all()  # roof and floor survive whole
    assert not (small == 3).any()  # scattered single blocks vanish


@pytest.mark.parametrize("factor", [1.5, 2.0, 3.0])
def test_a_downsampled_stair_roof_has_no_holes(factor: float) -> None:
    a = np.zeros((48, 30, 48), dtype=np.uint16)
    for x in range(48):
        a[x, min(x, 47 - x) // 2, :] = 7  # a gable roof, one block thick, slope 1/2
    small = downsample(a, factor)
    assert (small != 0).any(axis=1).all()  # seen from above, closed everywhere


def test_downsampling_picks_the_most_frequent_state_of_a_cell() -> None:
    a = np.zeros((2, 2, 2), dtype=np.uint16)
    a[0, 0, 0] = a[1, 0, 0] = a[0, 1, 0] = 5
    a[1, 1, 1] = 7
    assert downsample(a, 2.0).tolist() == [[[5]]]


def test_crop_keeps_the_centre_and_the_ground_floor() -> None:
    a = np.zeros((40, 40, 40), dtype=np.uint16)
    a[:, 0, :] = 1
    a[19:21, 1:39, 19:21] = 2  # a central tower
    a[0, 1, 0] = 3  # a corner marker, outside the central 32
    out, info = fit(a, 32, "crop")
    assert info.mode == "crop" and out.shape == (32, 32, 32)
    assert (out == 2).sum() == 2 * 2 * 31  # the tower, cut at the top (31 layers above the floor)
    assert not (out == 3).any()
    assert (out[:, 0, :] == 1).all()


def test_pad_centres_a_build_that_fits_and_scales_one_that_does_not() -> None:
    a = np.zeros((10, 5, 6), dtype=np.uint16)
    a[:, :, :] = 4
    out, info = fit(np.pad(a, 3), 32, "pad")  # margins are trimmed first
    assert info.mode == "pad" and not info.fell_back and info.trimmed == (10, 5, 6)
    xs, ys, zs = np.nonzero(out)
    assert (xs.min(), xs.max(), zs.min(), zs.max()) == (11, 20, 13, 18)
    assert ys.min() == 0 and ys.max() == 4
    out, info = fit(np.full((40, 4, 4), 4, dtype=np.uint16), 32, "pad")
    assert info.fell_back and info.mode == "scale" and (out != 0).any()


def test_skip_centres_a_build_that_fits_and_drops_one_that_does_not() -> None:
    a = np.zeros((10, 5, 6), dtype=np.uint16)
    a[:, :, :] = 4
    out, info = fit(np.pad(a, 3), 16, "skip")
    assert info.mode == "pad" and info.trimmed == (10, 5, 6) and (out != 0).sum() == a.size
    out, info = fit(np.full((17, 4, 4), 4, dtype=np.uint16), 16, "skip")
    assert info.mode == "skip" and info.trimmed == (17, 4, 4) and not out.any()


@pytest.mark.parametrize("mode", ["crop", "pad", "scale"])
def test_every_mode_grounds_the_build_on_y0(mode: str) -> None:
    a = np.zeros((50, 60, 45), dtype=np.uint16)
    a[5:45, 20:50, 5:40] = 1  # floats 20 layers up, too big for 32
    out, _ = fit(a, 32, mode)
    assert out.shape == (32, 32, 32) and (out[:, 0, :] != 0).any()


def test_strip_ground_removes_terrain_layers_but_not_a_floor_with_walls() -> None:
    ground = np.array([False, True, False])  # palette: air, dirt, planks
    a = np.zeros((8, 9, 8), dtype=np.uint16)
    a[:, :4, :] = 1  # four terrain layers
    a[1:7, 4:8, 1:7] = 2  # a box house on top
    a[2:6, 5:7, 2:6] = 0  # hollow inside
    out, cut = strip_ground(a, ground)
    assert cut == 3 and out.shape[1] == 6 and (out[:, 0, :] == 1).all()
    house = np.zeros((8, 6, 8), dtype=np.uint16)
    house[:, 0, :] = 1  # a dirt floor under dirt walls: the walls are not terrain
    house[:, 1:, 0] = house[:, 1:, 7] = house[0, 1:, :] = house[7, 1:, :] = 1
    assert strip_ground(house, ground)[1] == 0


def test_fit_rejects_an_unknown_mode() -> None:
    with pytest.raises(ConfigError):
        fit(np.zeros((2, 2, 2), dtype=np.uint16), 32, "squash")
    with pytest.raises(ConfigError):
        ImportOptions(size=24)


# --- labels ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "label"), [
    ("houses_basichouse1.nbt", "house"), ("plains_small_house_1.nbt", "house"),
    ("functionals_advancedwindmill.nbt", "windmill"), ("functionals_basicfarm.nbt", "farm"),
    ("functionals_advancedshop.nbt", "shop"), ("gdmc2023_1_19_2_tower_observation.nbt", "tower"),
    ("functionals_basiclumberjackhut.nbt", "workshop"), ("functionals_basicworkshop.nbt", "workshop"),
    ("taiga_stable_1", "stable"),
    ("decorations_murderercache.nbt", "build"), ("x.schem", "build"),
])
def test_labels_come_from_the_file_name(name: str, label: str) -> None:
    assert label_from_name(name) == label


# --- the batch pipeline ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def buildings_dataset(tmp_path_factory, fixtures_dir: Path):
    out = tmp_path_factory.mktemp("imp") / "ds"
    srcs = expand_sources([fixtures_dir / "buildings"])
    report = import_dataset(srcs, out, ImportOptions(size=32))
    return out, srcs, report


def test_all_73_buildings_import_at_32(buildings_dataset) -> None:
    out, srcs, report = buildings_dataset
    assert len(srcs) == 73
    assert not report.skipped and not report.too_large
    assert len(report.written) + len(report.duplicates) + len(report.near_empty) == 73
    assert len(report.written) >= 70
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["format"] == "mcgen.dataset" and manifest["size"] == 32
    assert manifest["count"] == len(report.written) and manifest["vocabulary"] == VOCAB
    assert sum(manifest["labels"].values()) == manifest["count"] and manifest["labels"]["house"] >= 10
    assert json.loads((out / "report.json").read_text())["written"] == manifest["count"]
    assert report.blocks_remapped > 0 and report.block_entities > 0


def test_imported_samples_keep_the_dataset_invariants(buildings_dataset) -> None:
    out, _, _ = buildings_dataset
    dirs = sorted(out.glob("sample_*"))
    digests = set()
    for i, d in enumerate(dirs):
        g = read_structure(d)
        assert g.size == (32, 32, 32)
        assert (g.blocks[:, 0, :] != 0).any(), d  # grounded
        g.remap(VOCAB)  # only vocabulary states (raises otherwise)
        assert g.count() >= 20
        assert g.meta["index"] == i and Path(g.meta["source"]).is_file()
        assert g.meta["label"] == label_from_name(Path(g.meta["source"]).name)
        digests.add(hashlib.sha1(g.remap(VOCAB).astype(np.uint16).tobytes()).digest())
    assert len(digests) == len(dirs)  # no exact duplicates


def test_a_dataset_reimports_at_16_keeping_its_labels(buildings_dataset) -> None:
    out, _, report = buildings_dataset
    srcs = expand_sources([out])
    assert len(srcs) == len(report.written) and all(p.name.startswith("sample_") for p in srcs)
    grids, again = import_builds(srcs, ImportOptions(size=16))
    assert not again.skipped and again.blocks_remapped == 0  # already in the vocabulary
    labels = {str(p.resolve()): read_structure(p).meta["label"] for p in srcs}
    assert len(grids) >= len(srcs) - 5  # a few small builds may become identical at 16^3
    assert all(g.size == (16, 16, 16) and g.meta["label"] == labels[g.meta["source"]] for g in grids)
    assert set(again.labels) == set(report.labels)


def test_exact_duplicates_are_dropped(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "buildings" / "gdmc2022"
    for name in ("houses_basichouse1.nbt", "houses_basichouse3.nbt"):
        shutil.copy(src / name, tmp_path / name)
    shutil.copy(src / "houses_basichouse1.nbt", tmp_path / "z_copy_of_house1.nbt")
    grids, report = import_builds(expand_sources([tmp_path]), ImportOptions())
    assert len(grids) == 2 and len(report.duplicates) == 1
    assert report.duplicates[0][0].endswith("z_copy_of_house1.nbt")


@pytest.mark.parametrize("folder", FOREIGN_DIRS)
def test_every_fixture_folder_imports_or_gives_reasons(fixtures_dir: Path, folder: str) -> None:
    srcs = expand_sources([fixtures_dir / folder])
    grids, report = import_builds(srcs, ImportOptions(size=32))
    accounted = len(report.written) + len(report.skipped) + len(report.too_large) \
        + len(report.near_empty) + len(report.duplicates)
    assert accounted == len(srcs)
    assert grids, folder
    for g in grids:
        assert g.size == (32, 32, 32) and (g.blocks[:, 0, :] != 0).any()
        assert set(g.palette) <= set(VOCAB)
    for source, reason in report.skipped:
        assert Path(source).name in reason and "internal error" not in reason


def test_auto_k_writes_a_k_state_vocabulary(fixtures_dir: Path, tmp_path: Path) -> None:
    src = fixtures_dir / "buildings" / "gdmc2022"
    files = sorted(src.glob("houses_*.nbt"))
    report = import_dataset(files, tmp_path / "ds", ImportOptions(size=16, vocab="auto:12"))
    manifest = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert manifest["vocabulary"] == report.vocabulary and 9 <= len(report.vocabulary) <= 12
    assert report.vocabulary[0] == AIR
    from mcgen.blocks import transform_state

    vocab = set(report.vocabulary)  # closed under the symmetries the trainer applies
    assert all(transform_state(v, t, m) in vocab for v in vocab for t in range(4) for m in (False, True))
    for d in sorted((tmp_path / "ds").glob("sample_*")):
        g = read_structure(d)
        assert g.size == (16, 16, 16) and set(g.palette) <= set(report.vocabulary)


def test_import_refuses_a_folder_that_is_not_a_dataset(tmp_path: Path, fixtures_dir: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError):
        import_dataset([fixtures_dir / "buildings" / "gdmc2022" / "houses_basichouse1.nbt"], tmp_path,
                       ImportOptions())
    assert (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(UsageError):
        expand_sources([tmp_path / "missing"])


# --- world boxes ------------------------------------------------------------------------------

def _digests(world: Path) -> dict[str, str]:
    return {str(p.relative_to(world)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(world.rglob("*")) if p.is_file() and p.name != "session.lock"}


@pytest.mark.world
def test_a_world_box_imports_without_changing_the_world(world_copy) -> None:
    pytest.importorskip("amulet")
    from mcgen.importing.world import read_world_box

    world = world_copy("mc1_21_3_flat_redstone")
    before = _digests(world)
    grid = read_world_box(world, (0, -40, 60, -40, -64, 20))  # corners in any order
    assert grid.size == (41, 25, 41)
    hist = grid.histogram()
    assert 1500 < hist["minecraft:bedrock"] <= 41 * 41 and "minecraft:sticky_piston[extended=true,facing=south]" in hist
    assert _digests(world) == before
    grids, report = import_builds([WorldBox(world, (-40, -64, 20, 0, -40, 60))], ImportOptions())
    assert len(grids) == 1 and "box -40 -64 20 0 -40 60" in grids[0].meta["source"]
    assert report.ground_stripped  # bedrock and dirt under the grass are terrain
    assert report.block_entities == grid.meta["block_entities"] > 0


@pytest.mark.world
def test_a_world_held_by_a_running_game_is_refused(world_copy) -> None:
    import subprocess

    from mcgen.importing.world import read_world_box

    world = world_copy("mc1_18_superflat")
    (world / "session.lock").write_bytes(b"\xe2\x98\x83")
    holder = subprocess.Popen(  # the game holds an fcntl lock on session.lock while a world is open
        [sys.executable, "-c", "import fcntl, sys, time; f = open(sys.argv[1], 'r+b'); "
         "fcntl.lockf(f, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(30)", str(world / "session.lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = _digests(world)
        with pytest.raises(WorldError, match="open in Minecraft"):
            read_world_box(world, (0, -64, 0, 4, -60, 4))
        assert (world / "session.lock").read_bytes() == b"\xe2\x98\x83" and _digests(world) == before
    finally:
        holder.kill()
        holder.wait()


def test_a_world_box_over_the_limit_is_refused_before_opening(tmp_path: Path) -> None:
    from mcgen.importing.world import read_world_box

    with pytest.raises(TooLarge):
        read_world_box(tmp_path, (0, 0, 0, 300, 10, 10))
    with pytest.raises(WorldError):
        read_world_box(tmp_path, (0, 0, 0, 3, 3, 3))  # no level.dat
