"""The one Java -> Bedrock table (mcgen.bedrock_blocks): every vocabulary state as PyMCTranslate's
Java -> Bedrock 1.21.60 tables say, shared by the .mcstructure exporter and world pastes."""

from __future__ import annotations

import pytest

from mcgen import bedrock_blocks as bb
from mcgen.blocks import spelled_for
from mcgen.vocab import DEFAULT_VOCAB


@pytest.fixture(scope="module")
def all_vocab_states() -> list[str]:
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.models import MODELS, resolve_checkpoint

    states = list(DEFAULT_VOCAB.states)
    for name in MODELS:
        states += load_checkpoint(resolve_checkpoint(name)).vocabulary
    return list(dict.fromkeys(states))


def _plain(props) -> dict:
    return {k: v.py_data for k, v in props.items()}


@pytest.mark.world
def test_every_vocabulary_state_maps_as_pymctranslate_says(all_vocab_states):
    import PyMCTranslate
    from amulet.api.block import Block

    tm = PyMCTranslate.new_translation_manager()
    java, bedrock = tm.get_version("java", (1, 20, 4)), tm.get_version("bedrock", bb.MAPPING_VERSION)
    assert len(all_vocab_states) > 250  # the default vocabulary and both shipped models'
    differ = []
    for state in all_vocab_states:
        mapped = bb.to_bedrock(state)
        assert mapped is not None, f"{state} has no Bedrock form"
        (name, states), _ = mapped
        universal = java.block.to_universal(Block.from_string_blockstate(spelled_for(state, 3700)))[0]
        theirs = bedrock.block.from_universal(universal)[0]
        mine = (name, {k: v for k, _, v in states})
        if "_door[" in state and "half=upper" in state:  # amulet drops an upper half's facing (the game reads
            mine[1]["minecraft:cardinal_direction"] = "south"  # the lower half's); the table keeps it
        if mine != (theirs.namespaced_name, _plain(theirs.properties)):
            differ.append((state, mine, theirs))
    assert not differ, differ[:5]


def test_the_issue_list_in_bedrock_states():
    def st(state):
        (name, states), wet = bb.to_bedrock(state)
        return name, {k: v for k, _, v in states}, wet

    assert st("minecraft:oak_stairs[facing=north,half=top,shape=outer_left,waterlogged=false]") == (
        "minecraft:oak_stairs", {"weirdo_direction": 3, "upside_down_bit": 1}, False)
    assert st("minecraft:cobblestone_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]")[:2] == (
        "minecraft:stone_stairs", {"weirdo_direction": 0, "upside_down_bit": 0})  # Bedrock's stone_stairs
    assert st("minecraft:spruce_slab[type=top,waterlogged=true]") == (
        "minecraft:spruce_slab", {"minecraft:vertical_half": "top"}, True)
    assert st("minecraft:birch_log[axis=z]")[:2] == ("minecraft:birch_log", {"pillar_axis": "z"})
    assert st("minecraft:oak_door[facing=north,half=lower,hinge=right,open=true,powered=false]")[:2] == (
        "minecraft:wooden_door", {"minecraft:cardinal_direction": "east", "door_hinge_bit": 1, "open_bit": 1,
                                  "upper_block_bit": 0})
    assert st("minecraft:glass_pane[east=true,north=false,south=false,waterlogged=false,west=true]")[:2] == (
        "minecraft:glass_pane", {})
    assert st("minecraft:water[level=0]")[:2] == ("minecraft:water", {"liquid_depth": 0})
    assert bb.WATER == ("minecraft:water", (("liquid_depth", bb.INT, 0),))


def test_unmappable_states_are_none_and_listed_once():
    assert bb.to_bedrock("minecraft:oak_sign[rotation=0,waterlogged=false]") is None
    assert bb.to_bedrock("create:shaft[axis=y]") is None
    assert bb.unmapped(["minecraft:stone", "create:shaft[axis=y]", "minecraft:stone", "create:shaft[axis=y]"]) == [
        "create:shaft[axis=y]"]


def test_to_java_inverts_the_table_for_the_vocabulary():
    for state in DEFAULT_VOCAB.states:
        (name, states), wet = bb.to_bedrock(state)
        back = bb.to_java(name, {k: v for k, _, v in states}, waterlogged=wet)
        if "_pane[" in state or "_fence[" in state:  # Bedrock keeps no connections: readers recompute them
            assert back.split("[")[0] == state.split("[")[0]
        else:
            assert back == state


def test_export_and_world_use_this_table_not_a_copy():
    import mcgen.export.bedrock as eb
    import mcgen.export.nbtio as nbtio
    import mcgen.world.level as lv

    assert eb.to_bedrock is bb.to_bedrock and eb.to_java is bb.to_java and eb.BLOCK_VERSION == bb.BLOCK_VERSION
    assert lv.to_bedrock is bb.to_bedrock
    assert (bb.BYTE, bb.INT, bb.STRING) == (nbtio.BYTE, nbtio.INT, nbtio.STRING)
