"""Pasting into copies of the real Bedrock saves (1.16.200, 1.17.40, 1.18.0) and a ``world new --edition
bedrock`` save, and reading every block back with :mod:`tests.unit.bedrock_leveldb` (LevelDB tables,
logs, sub-chunks and palettes decoded by hand: no amulet, no LevelDB binding)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from mcgen.bedrock_blocks import MAPPING_VERSION, to_bedrock
from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB
from mcgen.world import Placement, new_world, paste, read_level_info, world_info
from tests.unit.bedrock_leveldb import BedrockReader
from tests.unit.world_anvil import tree_digest

pytestmark = pytest.mark.world

FIXTURES = ("bedrock1_16_vanilla", "bedrock1_17_40_superflat", "bedrock1_18_superflat")


def digest(world: Path) -> dict[str, bytes]:
    """Every file of the save but mcgen's own backups (``db/LOCK`` included: it must not appear)."""
    return tree_digest(world, skip=("mcgen_backups",))


def world_files(world: Path) -> dict[str, bytes]:
    """What a restore puts back: everything but mcgen's log and backups."""
    return {k: v for k, v in digest(world).items() if k != "mcgen_log.json"}


@pytest.fixture(scope="module")
def translations():
    import PyMCTranslate

    return PyMCTranslate.new_translation_manager()


@pytest.fixture(scope="module")
def vocab_states() -> list[str]:
    """The default vocabulary and every shipped model's vocabulary."""
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.models import MODELS, resolve_checkpoint

    states = list(DEFAULT_VOCAB.states)
    for name in MODELS:
        states += load_checkpoint(resolve_checkpoint(name)).vocabulary
    return [s for s in dict.fromkeys(states) if s != "minecraft:air"]


@pytest.fixture(scope="module")
def shipped_buildings() -> dict[str, VoxelGrid]:
    """One building from each shipped model (seed 0, its first label)."""
    import torch

    from mcgen.generate.sample import generate
    from mcgen.generate.setup import SampleSettings
    from mcgen.models import MODELS, resolve_checkpoint

    torch.set_num_threads(1)
    return {name: generate(resolve_checkpoint(name), 1, SampleSettings(seed=0, label=m.labels[0] if m.labels else None))[0]
            for name, m in MODELS.items()}


def vocab_grid(states: list[str]) -> VoxelGrid:
    """Every state once, 16 per row along x, rows along z, layers up y."""
    n = len(states)
    layers = -(-n // 256)
    flat = np.zeros(16 * 16 * layers, dtype=np.int64)
    flat[:n] = np.arange(n) + 1
    blocks = flat.reshape(layers, 16, 16).transpose(2, 0, 1)  # (x, y, z): index = (y*16 + z)*16 + x
    return VoxelGrid(blocks, ["minecraft:air"] + states)


def bedrock_form(translations, state: str, version: tuple[int, ...]) -> list[tuple[str, dict]]:
    """The layers a cell of ``state`` should read back as in a save of ``version``.

    The table's Bedrock 1.21.60 block, in ``version``'s spelling (PyMCTranslate's Bedrock tables:
    the save keeps its own version), plus water in the second layer when waterlogged.
    """
    import amulet_nbt as nbt
    from amulet.api.block import Block

    mapped = to_bedrock(state)
    if mapped is None:
        return [("minecraft:air", {})]
    (name, states), wet = mapped
    if tuple(version[:3]) == MAPPING_VERSION:
        out = [(name, {k: v for k, _, v in states})]
        if name.endswith("_door") and out[0][1]["upper_block_bit"]:
            # amulet writes every upper door half facing south: the game takes a door's facing from its
            # lower half (as 1.16-1.18 saves store it, above), so only the lower half's is checked
            out[0][1]["minecraft:cardinal_direction"] = "south"
    else:
        tags = {1: nbt.ByteTag, 3: nbt.IntTag, 8: nbt.StringTag}
        block = Block("minecraft", name.split(":")[1], {k: tags[t](v) for k, t, v in states})
        universal = translations.get_version("bedrock", MAPPING_VERSION).block.to_universal(block)[0]
        back = translations.get_version("bedrock", version).block.from_universal(universal)[0]
        out = [(back.namespaced_name, {k: v.py_data for k, v in back.properties.items()})]
    if wet:
        out.append(("minecraft:water", {"liquid_depth": 0}))
    return out


def full_chunk(reader: BedrockReader) -> tuple[int, int]:
    """A chunk the game finished (finalised state 2): the middle one of those, in sorted order."""
    done = set()
    for key, value in reader.kv.items():
        if len(key) == 9 and key[8] == 0x36 and value[:1] == b"\x02":
            done.add(struct.unpack("<ii", key[:8]))
    return sorted(done)[len(done) // 2]


def check_box(reader: BedrockReader, translations, grid: VoxelGrid, origin, version) -> int:
    """Compare every cell of the box at ``origin`` with the grid's states; returns the cells compared."""
    ox, oy, oz = origin
    forms = {s: bedrock_form(translations, s, version) for s in grid.palette}
    bad = []
    for x, y, z in np.ndindex(*grid.size):
        state = grid.palette[int(grid.blocks[x, y, z])]
        want = forms[state]
        got = reader.layers(ox + x, oy + y, oz + z)
        got = [g for i, g in enumerate(got) if i == 0 or g[0] != "minecraft:air"]  # empty water layer
        if (got or [("minecraft:air", {})]) != want:  # a sub-chunk that is all air may be left out
            bad.append((state, want, got))
    assert not bad, f"{len(bad)} cells differ, first: {bad[:3]}"
    return grid.size[0] * grid.size[1] * grid.size[2]


@pytest.mark.parametrize("name", FIXTURES)
def test_every_vocabulary_block_reads_back_from_the_real_save(world_copy, fixtures_dir, translations, vocab_states,
                                                              name):
    world = world_copy(name)
    grid = vocab_grid(vocab_states)
    cx, cz = full_chunk(BedrockReader(world))
    report = paste(world, [Placement(grid, cx * 16, None, cz * 16, name="vocab")])
    assert report.edition == "bedrock" and not report.unknown_states and not report.missing_chunks
    version = read_level_info(world).game_version
    reader = BedrockReader(world)
    assert check_box(reader, translations, grid, report.boxes[0].min, version) == grid.size[0] * grid.size[1] * 16
    original = BedrockReader(fixtures_dir / "worlds" / name)  # the reader only reads files
    x0, y0, z0 = report.boxes[0].min
    for x, y, z in ((x0 - 1, y0, z0), (x0 + 16, y0 + 1, z0 + 3), (x0 + 2, y0 + grid.size[1], z0 + 2)):
        assert reader.layers(x, y, z) == original.layers(x, y, z)  # outside the box nothing changed


# What the game itself writes in a 1.18 save (Bedrock's pre-flattening names; stairs' weirdo_direction
# 0..3 = east, west, south, north; a door keeps direction and open in its lower half, hinge in the upper).
SPOT_1_18 = {
    "minecraft:oak_stairs[facing=north,half=bottom,shape=straight,waterlogged=false]":
        [("minecraft:oak_stairs", {"upside_down_bit": 0, "weirdo_direction": 3})],
    "minecraft:stone_brick_stairs[facing=east,half=top,shape=straight,waterlogged=false]":
        [("minecraft:stone_brick_stairs", {"upside_down_bit": 1, "weirdo_direction": 0})],
    "minecraft:oak_slab[type=top,waterlogged=false]": [("minecraft:wooden_slab", {"top_slot_bit": 1, "wood_type": "oak"})],
    "minecraft:oak_slab[type=bottom,waterlogged=true]":
        [("minecraft:wooden_slab", {"top_slot_bit": 0, "wood_type": "oak"}), ("minecraft:water", {"liquid_depth": 0})],
    "minecraft:oak_log[axis=x]": [("minecraft:log", {"old_log_type": "oak", "pillar_axis": "x"})],
    "minecraft:spruce_log[axis=z]": [("minecraft:log", {"old_log_type": "spruce", "pillar_axis": "z"})],
    "minecraft:oak_door[facing=south,half=lower,hinge=right,open=true,powered=false]":
        [("minecraft:wooden_door", {"direction": 1, "door_hinge_bit": 0, "open_bit": 1, "upper_block_bit": 0})],
    "minecraft:oak_door[facing=south,half=upper,hinge=right,open=true,powered=false]":
        [("minecraft:wooden_door", {"direction": 0, "door_hinge_bit": 1, "open_bit": 0, "upper_block_bit": 1})],
    "minecraft:glass_pane[east=true,north=false,south=false,waterlogged=false,west=true]": [("minecraft:glass_pane", {})],
    "minecraft:water[level=0]": [("minecraft:water", {"liquid_depth": 0})],
    "minecraft:stone_bricks": [("minecraft:stonebrick", {"stone_brick_type": "default"})],
}


def test_stairs_slabs_logs_doors_panes_and_water_read_as_the_game_writes_them(world_copy):
    world = world_copy("bedrock1_18_superflat")
    states = list(SPOT_1_18) + ["minecraft:nonsense_block", "minecraft:oak_sign[rotation=0,waterlogged=false]"]
    grid = vocab_grid(states)
    report = paste(world, [Placement(grid, 0, -60, 0)], backup=False)
    assert report.unknown_states == ["minecraft:nonsense_block", "minecraft:oak_sign[rotation=0,waterlogged=false]"]
    reader = BedrockReader(world)
    for i, state in enumerate(states):
        got = [g for j, g in enumerate(reader.layers(i, -60, 0)) if j == 0 or g[0] != "minecraft:air"]
        assert got == SPOT_1_18.get(state, [("minecraft:air", {})]), state


@pytest.mark.parametrize("name", FIXTURES)
def test_each_shipped_models_building_reads_back_block_for_block(world_copy, translations, shipped_buildings, name):
    world = world_copy(name)
    cx, cz = full_chunk(BedrockReader(world))
    placements = [Placement(g, cx * 16 + 20 * i, None, cz * 16, name=m) for i, (m, g) in enumerate(shipped_buildings.items())]
    report = paste(world, placements, create_chunks=True)  # the second may stand in chunks the save lacks
    version = read_level_info(world).game_version
    reader = BedrockReader(world)
    for box, grid in zip(report.boxes, shipped_buildings.values()):
        assert grid.count() > 50  # a real building, not an empty grid
        assert check_box(reader, translations, grid, box.min, version) == 16 ** 3


def test_a_new_bedrock_world_is_a_flat_leveldb_save_that_amulet_reopens(tmp_path, vocab_states):
    import json

    import amulet

    world = new_world(tmp_path / "nb", edition="bedrock", radius_chunks=2, seed=5)
    assert sorted(p.name for p in world.iterdir()) == ["db", "level.dat", "levelname.txt", "mcgen_log.json"]
    info = read_level_info(world)
    assert (info.edition, info.version_name, info.game_version[:3], info.generator) == ("bedrock", "Bedrock 1.21.60",
                                                                                         (1, 21, 60), "flat")
    assert world_info(world)["name"] == "nb" and (world / "levelname.txt").read_text() == "nb"
    reader = BedrockReader(world)
    assert [reader.block(5, y, -7)[0] for y in range(-64, -59)] == [
        "minecraft:bedrock", "minecraft:dirt", "minecraft:dirt", "minecraft:grass_block", "minecraft:air"]
    assert reader.has_chunk(-2, -2) and reader.has_chunk(1, 1) and not reader.has_chunk(2, 0)
    level = amulet.load_level(str(world))
    try:
        assert type(level.level_wrapper).__name__ == "LevelDBFormat" and level.level_wrapper.version[:3] == (1, 21, 60)
        assert level.get_block(3, -61, 3, "minecraft:overworld").base_name == "grass_block"
        assert len(list(level.all_chunk_coords("minecraft:overworld"))) == 16
    finally:
        level.close()
    from amulet.level.formats.leveldb_world.format import BedrockLevelDAT

    dat = BedrockLevelDAT.from_file(str(world / "level.dat")).compound
    layers = json.loads(dat["FlatWorldLayers"].py_str)["block_layers"]
    assert [(lay["block_name"], lay["count"]) for lay in layers] == [
        ("minecraft:bedrock", 1), ("minecraft:dirt", 2), ("minecraft:grass_block", 1)]
    # the new save holds the table's own spelling: what was pasted reads back exactly as the table says
    grid = vocab_grid(vocab_states)
    report = paste(world, [Placement(grid, -16, None, -16)])
    assert report.boxes[0].min[1] == -60
    assert check_box(BedrockReader(world), None, grid, report.boxes[0].min, MAPPING_VERSION) > 0


def test_world_info_and_layout_read_the_bedrock_level_dat(world_copy):
    world = world_copy("bedrock1_16_vanilla")
    info = world_info(world)
    assert (info["edition"], info["version"], info["name"], info["generator"]) == (
        "bedrock", "Bedrock 1.16.200", "Bedrock 1.16", "infinite")
    assert info["spawn"] == [84, 32767, 4] and info["locked"] is False and info["backups"] == []
    from mcgen.world import surface_y

    before = digest(world)
    top = surface_y(world, 84, 4, 85, 5)
    assert top is not None and 40 < top < 130 and digest(world) == before  # read from a copy, nothing written


def small_house() -> VoxelGrid:
    """A floor, a pane run between two blocks, a door (both halves), stairs, a waterlogged slab, a log, water."""
    pane = "minecraft:glass_pane[east=true,north=false,south=false,waterlogged=false,west=true]"
    cells = {(0, 1, 0): "minecraft:stone_bricks", (1, 1, 0): pane, (2, 1, 0): pane, (3, 1, 0): "minecraft:stone_bricks",
             (5, 1, 0): "minecraft:oak_door[facing=east,half=lower,hinge=right,open=true,powered=false]",
             (5, 2, 0): "minecraft:oak_door[facing=east,half=upper,hinge=right,open=true,powered=false]",
             (0, 1, 3): "minecraft:oak_stairs[facing=west,half=top,shape=straight,waterlogged=false]",
             (2, 1, 3): "minecraft:oak_slab[type=bottom,waterlogged=true]", (4, 1, 3): "minecraft:oak_log[axis=z]",
             (5, 1, 3): "minecraft:water[level=0]"}
    states = np.full((6, 3, 4), "minecraft:air", dtype=object)
    states[:, 0, :] = "minecraft:cobblestone"
    for pos, state in cells.items():
        states[pos] = state
    return VoxelGrid.from_states(states)


def test_a_box_read_for_completion_is_the_pasted_structure_and_the_save_stays_untouched(world_copy):
    from mcgen.importing.world import read_world_box

    world = world_copy("bedrock1_18_superflat")
    house = small_house()
    paste(world, [Placement(house, 1, -61, 1)], backup=False)
    before = digest(world)
    got = read_world_box(world, (1, -61, 1, 6, -59, 4))
    assert digest(world) == before  # read from a temporary copy: LevelDB never opened the save itself
    assert [[[got.state_at(x, y, z) for z in range(4)] for y in range(3)] for x in range(6)] == \
        [[[house.state_at(x, y, z) for z in range(4)] for y in range(3)] for x in range(6)]


def test_a_save_that_cannot_hold_a_temporary_copy_is_read_from_one_elsewhere(world_copy, monkeypatch):
    import tempfile

    from mcgen.importing.world import read_world_box

    world = world_copy("bedrock1_18_superflat")
    real, made = tempfile.mkdtemp, []

    def mkdtemp(*a, dir=None, **k):  # a read-only save folder
        if dir is not None and Path(dir) == world:
            raise PermissionError(13, "Permission denied")
        out = real(*a, dir=dir, **k)
        if dir is None and k.get("prefix", "").startswith("mcgen-read-"):
            made.append(out)
        return out

    monkeypatch.setattr(tempfile, "mkdtemp", mkdtemp)
    before = digest(world)
    assert read_world_box(world, (0, -64, 0, 1, -61, 1)).state_at(0, 0, 0) == "minecraft:bedrock"
    assert paste(world, [Placement(small_house(), 1, -60, 1)], dry_run=True).boxes[0].min == (1, -60, 1)
    assert len(made) == 2 and not any(Path(m).exists() for m in made) and digest(world) == before
