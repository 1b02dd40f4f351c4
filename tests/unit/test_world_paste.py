"""Pasting into the real fixture saves (1.16.5, 1.17.1, 1.18, 1.21.3) and re-reading every block
through amulet and through the independent region reader in ``world_anvil``."""

from __future__ import annotations

import numpy as np
import pytest

from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB
from mcgen.world import Placement, paste, read_level_info
from mcgen.world.blockinfo import is_ground
from tests.unit.world_anvil import RegionReader, column_states, find_full_block

pytestmark = pytest.mark.world

WORLDS = ["mc1_16_5_flat_everyblock", "mc1_17_1_vanilla_terrain", "mc1_18_superflat", "mc1_21_3_flat_redstone",
          "new:1.21.3", "new:1.16.5"]


def test_grid(size=(20, 10, 20), seed=0) -> VoxelGrid:
    """Random vocabulary blocks (about half air) plus a row of torches and lanterns."""
    rng = np.random.default_rng(seed)
    states = list(DEFAULT_VOCAB.states)
    blocks = rng.integers(1, len(states), size)
    blocks[rng.random(size) < 0.5] = 0
    blocks[:, -1, 0] = states.index("minecraft:torch")
    return VoxelGrid(blocks, states).compact()


test_grid.__test__ = False  # a helper, not a test


def _expected(state: str, dv: int) -> str:
    """Leaves have no ``waterlogged`` before 1.19 (DataVersion 3105); the world drops it."""
    if dv < 3105 and "_leaves[" in state:
        return state.replace(",waterlogged=false", "")
    return state


def _drop_waterlogged(name: str, props: dict) -> tuple[str, dict]:
    return name, {k: v for k, v in props.items() if k != "waterlogged"}


def _amulet_states(world, box_min, size, dv):
    """States read back through amulet's own API (waterlogging is a separate layer there)."""
    import amulet

    level = amulet.load_level(str(world))
    try:
        out = np.empty(size, dtype=object)
        for x, y, z in np.ndindex(*size):
            b = level.get_version_block(box_min[0] + x, box_min[1] + y, box_min[2] + z, "minecraft:overworld", ("java", dv))[0]
            props = {k: str(v.py_str) for k, v in b.properties.items()}
            out[x, y, z] = _drop_waterlogged(b.namespaced_name, props)
        return out
    finally:
        level.close()


@pytest.mark.parametrize("name", WORLDS)
def test_paste_rereads_exactly_and_leaves_the_rest_alone(world_copy, tmp_path, name):
    if name.startswith("new:"):
        from mcgen.world import new_world

        world = new_world(tmp_path / "new", mc_version=name[4:], seed=3)
    else:
        world = world_copy(name)
    before = RegionReader(world)
    spawn = read_level_info(world).spawn
    cx, cz = find_full_block(before, (spawn[0] >> 4, spawn[2] >> 4))
    grid = test_grid()
    x0, z0 = cx * 16 + 6, cz * 16 + 6  # spans 2 x 2 chunks
    level_dat = (world / "level.dat").read_bytes()

    report = paste(world, [Placement(grid, x0, None, z0, name="t")])

    box = report.boxes[0]
    y0 = box.min[1]
    assert box.max == (x0 + 19, y0 + 9, z0 + 19)
    assert len(report.chunks) == 4 and report.backup_id
    after = RegionReader(world)
    dv = read_level_info(world).data_version
    want = np.array([_expected(s, dv) for s in grid.palette], dtype=object)[grid.blocks]
    got = after.box(x0, y0, z0, *grid.size)
    assert (got == want).all(), f"first mismatch {np.argwhere(got != want)[:1]}"
    # every block outside the box, in every touched chunk, is as it was
    lo, hi = y0 - 40, y0 + 50
    for (kx, kz) in report.chunks:
        a, b = column_states(before, kx, kz, lo, hi), column_states(after, kx, kz, lo, hi)
        inside = np.zeros(a.shape, dtype=bool)
        xs = slice(max(0, x0 - kx * 16), max(0, min(16, x0 + 20 - kx * 16)))
        zs = slice(max(0, z0 - kz * 16), max(0, min(16, z0 + 20 - kz * 16)))
        inside[xs, y0 - lo:y0 - lo + 10, zs] = True
        assert (a[~inside] == b[~inside]).all()
        root = after.root(kx, kz)
        lvl = root.get("Level", root)
        assert int(lvl["isLightOn"]) == 0  # the game relights these chunks on load
        assert not dict(lvl.get("Heightmaps", {}))  # and recomputes the heightmaps
        secs = lvl.get("sections", lvl.get("Sections"))
        assert not any("BlockLight" in s or "SkyLight" in s for s in secs)
    assert (world / "level.dat").read_bytes() == level_dat
    # amulet agrees with the raw reader
    via_amulet = _amulet_states(world, box.min, grid.size, dv)
    from mcgen.blocks import parse_state

    for (x, y, z), state in np.ndenumerate(want):
        assert via_amulet[x, y, z] == _drop_waterlogged(*parse_state(state)), (x, y, z, state)


def test_untouched_chunks_keep_their_bytes(world_copy):
    world = world_copy("mc1_18_superflat")
    before = RegionReader(world)
    report = paste(world, [Placement(test_grid((8, 4, 8)), 40, None, 40)])
    after = RegionReader(world)
    touched = set(report.chunks)
    for cx in range(0, 8):
        for cz in range(0, 8):
            if (cx, cz) not in touched and before.root(cx, cz) is not None:
                assert after.root(cx, cz) == before.root(cx, cz)


def test_building_rests_on_the_highest_ground_of_its_footprint(world_copy):
    world = world_copy("mc1_17_1_vanilla_terrain")
    reader = RegionReader(world)
    spawn = read_level_info(world).spawn
    cx, cz = find_full_block(reader, (spawn[0] >> 4, spawn[2] >> 4))
    x0, z0 = cx * 16 + 3, cz * 16 + 3
    grid = test_grid((12, 8, 12), seed=3)
    grid.blocks[:, 0, :] = 0  # an empty bottom layer: the first solid layer must touch the ground
    cols = column_states(reader, cx, cz, 0, 256)[3:15, :, 3:15]
    ground = np.vectorize(lambda s: is_ground(s.split("[")[0].split(":")[1]))(cols)
    tops = 255 - np.argmax(ground[:, ::-1, :], axis=1)
    report = paste(world, [Placement(grid, x0, None, z0)], backup=False)
    box = report.boxes[0]
    assert box.surface_y == int(tops.max())
    assert box.min[1] == tops.max()  # layer 0 is air, layer 1 sits on the ground
    assert not list((world / "mcgen_backups").glob("*"))


def test_light_sources_get_a_guarded_relight_function(world_copy):
    import json

    world = world_copy("mc1_18_superflat")
    grid = test_grid((4, 3, 4), seed=9)
    report = paste(world, [Placement(grid, 2, -60, 2)])
    lines = report.relight_function.read_text().splitlines()
    torches = [(2 + int(x), -60 + int(y), 2 + int(z)) for x, y, z in np.argwhere(grid.blocks == grid.palette.index("minecraft:torch"))]
    assert torches and report.light_sources >= len(torches)
    for x, y, z in torches:
        assert f"execute if block {x} {y} {z} minecraft:torch run setblock {x} {y} {z} minecraft:barrier" in lines
        assert f"execute if block {x} {y} {z} minecraft:barrier run setblock {x} {y} {z} minecraft:torch" in lines
    meta = json.loads((world / "datapacks/mcgen/pack.mcmeta").read_text())
    assert meta["pack"]["pack_format"] == 8  # 1.18
    assert (world / "datapacks/mcgen/data/mcgen/functions/relight.mcfunction").read_text() == "\n".join(lines) + "\n"
    paste(world, [Placement(grid, 2, -60, 2)], backup=False)  # same blocks again: no duplicate lines
    assert report.relight_function.read_text().splitlines() == lines


def test_entities_and_block_entities_outside_the_box_survive(world_copy):
    # mc1_16_5 chunk (-10, 31): a painting at x=-146 and signs/beds at x=-147/-146 (entities in the chunk NBT)
    world = world_copy("mc1_16_5_flat_everyblock")
    before = RegionReader(world).root(-10, 31)["Level"]
    states = ["minecraft:air", "minecraft:stone", "minecraft:chest[facing=north,type=single,waterlogged=false]"]
    blocks = np.ones((3, 2, 3), dtype=np.uint16)
    blocks[1, 1, 1] = 2
    # the box x -149..-147, y 4..5, z 504..506 covers three of the signs
    paste(world, [Placement(VoxelGrid(blocks, states), -149, 4, 504)], backup=False)
    after = RegionReader(world).root(-10, 31)["Level"]
    assert after["Entities"] == before["Entities"]

    def be(level):
        return {(int(t["x"]), int(t["y"]), int(t["z"])): str(t["id"]) for t in level["TileEntities"]}

    def inside(k):
        return -149 <= k[0] <= -147 and 4 <= k[1] <= 5 and 504 <= k[2] <= 506

    old, new = be(before), be(after)
    assert sum(map(inside, old)) == 3
    assert new.pop((-148, 5, 505)) == "minecraft:chest"
    assert new == {k: v for k, v in old.items() if not inside(k)}


def test_plain_amulet_save_would_keep_stale_light(world_copy):
    """Why save_level runs amulet's pre-save step: a plain save keeps isLightOn=1 and old light."""
    import amulet
    from amulet.api.block import Block

    world = world_copy("mc1_18_superflat")
    level = amulet.load_level(str(world))
    level.set_version_block(3, -60, 3, "minecraft:overworld", ("java", 2860), Block.from_string_blockstate("minecraft:glowstone"))
    level.save()
    level.close()
    root = RegionReader(world).root(0, 0)
    assert int(root["isLightOn"]) == 1 and dict(root["Heightmaps"])


def test_surface_y_reads_without_touching_the_save(world_copy):
    from mcgen.world import surface_y
    from tests.unit.world_anvil import tree_digest

    world = world_copy("mc1_18_superflat")
    before = tree_digest(world, skip=())
    assert surface_y(world, 0, 0, 40, 40) == -61  # the grass of the superflat
    assert surface_y(world, 5000, 5000, 5010, 5010) is None  # no chunks there
    assert tree_digest(world, skip=()) == before
