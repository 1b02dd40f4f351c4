"""Material lists against hand-counted builds: doors and beds once, slabs (double ones twice), water."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.export.writers import write_file
from mcgen.grid import VoxelGrid, save_json
from mcgen.materials import material_list, stack_size, stacks_text, state_items

MC = "minecraft:"
DOOR = MC + "oak_door[facing=north,half={},hinge=left,open=false,powered=false]"
BED = MC + "red_bed[facing={},occupied=false,part={}]"


def build(cells: dict[tuple[int, int, int], str], size=(8, 4, 8)) -> VoxelGrid:
    states = np.full(size, MC + "air", dtype=object)
    for xyz, s in cells.items():
        states[xyz] = s
    return VoxelGrid.from_states(states)


# A small hut, counted by hand: what a player carries to build it.
HUT = {
    (1, 0, 1): DOOR.format("lower"), (1, 1, 1): DOOR.format("upper"),  # one door
    (3, 0, 3): BED.format("north", "foot"), (3, 0, 2): BED.format("north", "head"),  # one bed (head north of foot)
    (5, 0, 5): BED.format("east", "foot"), (6, 0, 5): BED.format("east", "head"),  # another bed, facing east
    (0, 0, 0): MC + "oak_slab[type=bottom,waterlogged=false]", (0, 0, 1): MC + "oak_slab[type=bottom,waterlogged=false]",
    (0, 1, 0): MC + "oak_slab[type=top,waterlogged=false]",
    (0, 0, 2): MC + "oak_slab[type=double,waterlogged=false]", (0, 0, 3): MC + "oak_slab[type=double,waterlogged=false]",
    (2, 0, 0): MC + "stone_slab[type=bottom,waterlogged=true]",  # a slab and a bucket of water
    (4, 0, 0): MC + "water[level=0]", (4, 0, 1): MC + "water[level=0]", (4, 0, 2): MC + "water[level=0]",
    (5, 0, 0): MC + "water[level=3]", (5, 0, 1): MC + "water[level=3]",  # flows from the sources
    (6, 0, 0): MC + "lava[level=0]",
    (7, 0, 0): MC + "wall_torch[facing=north]", (7, 1, 0): MC + "torch",
    (7, 0, 7): MC + "fire[age=0,east=false,north=false,south=false,up=false,west=false]",
    (2, 0, 6): MC + "tall_grass[half=lower]", (2, 1, 6): MC + "tall_grass[half=upper]",
    (3, 0, 7): MC + "oak_planks", (4, 0, 7): MC + "oak_planks", (5, 0, 7): MC + "oak_planks",
}
HUT_ITEMS = {MC + "oak_slab": 2 + 1 + 4, MC + "water_bucket": 3 + 1, MC + "oak_planks": 3, MC + "red_bed": 2,
             MC + "torch": 2, MC + "lava_bucket": 1, MC + "oak_door": 1, MC + "stone_slab": 1, MC + "tall_grass": 1}
HUT_NO_ITEM = {MC + "water[level=3]": 2, MC + "fire": 1}


def test_hand_counted_hut():
    mats = material_list(build(HUT))
    assert mats.items == HUT_ITEMS
    assert mats.no_item == HUT_NO_ITEM
    assert list(mats.items)[:2] == [MC + "oak_slab", MC + "water_bucket"]  # most first
    assert mats.total == sum(HUT_ITEMS.values())


def test_a_half_without_its_partner_still_takes_one_item():
    lone = {(0, 2, 0): DOOR.format("upper"), (2, 0, 0): BED.format("south", "head"),
            (4, 0, 4): BED.format("north", "foot"), (4, 0, 5): BED.format("north", "head")}  # head on the wrong side
    assert material_list(build(lone)).items == {MC + "red_bed": 3, MC + "oak_door": 1}


def test_two_doors_stacked_are_two_doors():
    doors = {(0, y, 0): DOOR.format("lower" if y % 2 == 0 else "upper") for y in range(4)}
    assert material_list(build(doors)).items == {MC + "oak_door": 2}


@pytest.mark.parametrize("state,items", [
    (MC + "oak_wall_sign[facing=north,waterlogged=false]", [(MC + "oak_sign", 1)]),
    (MC + "spruce_wall_hanging_sign[facing=north,waterlogged=false]", [(MC + "spruce_hanging_sign", 1)]),
    (MC + "potted_red_tulip", [(MC + "flower_pot", 1), (MC + "red_tulip", 1)]),
    (MC + "candle[candles=3,lit=false,waterlogged=false]", [(MC + "candle", 3)]),
    (MC + "sea_pickle[pickles=4,waterlogged=true]", [(MC + "sea_pickle", 4), (MC + "water_bucket", 1)]),
    (MC + "snow[layers=5]", [(MC + "snow", 5)]),
    (MC + "carrots[age=7]", [(MC + "carrot", 1)]),
    (MC + "redstone_wire[east=none,north=none,power=0,south=none,west=none]", [(MC + "redstone", 1)]),
    (MC + "water_cauldron[level=3]", [(MC + "cauldron", 1), (MC + "water_bucket", 1)]),
    (MC + "piston_head[facing=up,short=false,type=normal]", None),
    (MC + "nether_portal[axis=x]", None),
    (MC + "cobblestone_wall[east=none,north=none,south=none,up=true,waterlogged=false,west=none]",
     [(MC + "cobblestone_wall", 1)]),
    ("mymod:fancy_block[color=red]", [("mymod:fancy_block", 1)]),
])
def test_states_map_to_the_items_that_place_them(state, items):
    assert state_items(state) == items


def test_stacks():
    assert stack_size(MC + "water_bucket") == 1 and stack_size(MC + "oak_sign") == 16 and stack_size(MC + "stone") == 64
    assert stacks_text(5, 64) == "5" and stacks_text(64, 64) == "1 x 64" and stacks_text(133, 64) == "2 x 64 + 5"
    assert stacks_text(3, 1) == "3 slots"


def test_csv_lists_items_then_what_no_item_places():
    lines = material_list(build(HUT)).to_csv().splitlines()
    assert lines[0] == "item,count,stack,kind"
    assert lines[1] == "minecraft:oak_slab,7,64,item"
    assert lines[-2:] == ["minecraft:water[level=3],2,,no item", "minecraft:fire,1,,no item"]


@pytest.mark.parametrize("suffix", [".schem", ".litematic", ".nbt", ".json"])
def test_cli_json_reads_any_format(tmp_path, capsys, suffix):
    grid = build(HUT)
    path = tmp_path / f"hut{suffix}"
    if suffix == ".json":
        save_json(grid, path)
    else:
        write_file(grid, path, mc_version="1.21.4")
    assert run(["materials", str(path), "--json"]) == 0
    cap = capsys.readouterr()
    assert json.loads(cap.out) == HUT_ITEMS
    assert "no item places them" in cap.err and "fire" in cap.err


def test_cli_table_and_errors(tmp_path, capsys):
    save_json(build(HUT), tmp_path / "hut.json")
    assert run(["materials", str(tmp_path / "hut.json")]) == 0
    cap = capsys.readouterr()
    assert cap.out.splitlines()[0].split() == ["7", "minecraft:oak_slab"]
    assert f"{sum(HUT_ITEMS.values())} item(s) of {len(HUT_ITEMS)} kind(s)" in cap.err
    assert run(["materials", str(tmp_path / "missing.schem")]) == 3
    err = capsys.readouterr().err
    assert err.startswith("mcgen: error: ") and err.count("\n") == 1
