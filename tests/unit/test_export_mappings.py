"""Version table, per-version block checks, the Java->Bedrock mapping and the legacy id table."""

from __future__ import annotations

import pytest

from mcgen.errors import ExportError
from mcgen.export import bedrock, mcedit, versions
from mcgen.export.readers import read_bytes
from mcgen.export.writers import encode
from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB


def test_data_versions_follow_the_release_table():
    assert versions.data_version("1.20.4") == 3700
    assert versions.data_version("1.16.5") == 2586
    assert versions.data_version(None) == versions.DATA_VERSIONS[versions.DEFAULT_MC_VERSION]
    with pytest.raises(ExportError, match="unknown Minecraft version"):
        versions.data_version("1.99")


def test_default_vocabulary_exists_in_every_version_from_1_19():
    for name, dv in versions.DATA_VERSIONS.items():
        if dv >= 3105:
            versions.check_states(list(DEFAULT_VOCAB.states), dv)


@pytest.mark.parametrize("state,version,why", [
    ("minecraft:cherry_planks", "1.19.4", "added in 1.20"),
    ("minecraft:mud_bricks", "1.18.2", "added in 1.19"),
    ("minecraft:deepslate_bricks", "1.16.5", "added in 1.17"),
    ("minecraft:tuff_bricks", "1.20.4", "added in 1.21"),
    ("minecraft:pale_oak_planks", "1.21.3", "added in 1.21.4"),
    ("minecraft:short_grass", "1.20.2", "added in 1.20.3"),
    ("minecraft:grass", "1.20.4", "renamed in 1.20.3"),
    ("minecraft:oak_leaves[distance=1,persistent=true,waterlogged=false]", "1.18.2", "'waterlogged'"),
])
def test_states_missing_in_a_version_are_explained(state, version, why):
    reason = versions.missing_in_version(state, versions.data_version(version))
    assert reason is not None and why in reason


def test_states_that_exist_are_not_flagged():
    for state, version in [("minecraft:cherry_planks", "1.20"), ("minecraft:grass", "1.20.2"),
                           ("minecraft:shroomlight", "1.16"), ("minecraft:stone", "1.16"),
                           ("mymod:thing", "1.16")]:
        assert versions.missing_in_version(state, versions.data_version(version)) is None


def test_version_check_lists_every_missing_state_before_writing():
    grid = VoxelGrid.from_states([[["minecraft:cherry_planks", "minecraft:mud_bricks", "minecraft:stone"]]])
    with pytest.raises(ExportError) as err:
        encode(grid, "nbt", mc_version="1.18.2")
    assert "2 block state(s)" in str(err.value) and "cherry_planks" in str(err.value) and "mud_bricks" in str(err.value)


@pytest.mark.parametrize("version,want,gone", [("1.21.4", "minecraft:short_grass", "minecraft:grass"),
                                               ("1.20.2", "minecraft:grass", "minecraft:short_grass")])
def test_a_renamed_block_is_written_in_the_target_versions_spelling(version, want, gone):
    """grass (pre-1.20.3 vocabularies) becomes short_grass in a 1.21 file and back in a 1.20.2 one."""
    grid = VoxelGrid.from_states([[["minecraft:grass", "minecraft:stone", "minecraft:short_grass"]]])
    for fmt in ("schem", "nbt", "litematic"):
        back = read_bytes(encode(grid, fmt, mc_version=version))
        states = set(back.palette)
        assert want in states and gone not in states and "minecraft:stone" in states, (fmt, states)
        assert back.count() == 3  # grass and short_grass merged into one state, nothing lost


def test_spelling_leaves_other_states_and_the_same_version_alone():
    grid = VoxelGrid.from_states([[["minecraft:short_grass", "minecraft:oak_planks"]]])
    assert versions.spelled_for_version(grid, versions.data_version("1.21.4")) is grid
    chain = VoxelGrid.from_states([[["minecraft:chain[axis=y,waterlogged=false]"]]])
    assert versions.spelled_for_version(chain, versions.data_version("1.21.11")).palette[1] == \
        "minecraft:iron_chain[axis=y,waterlogged=false]"


def test_every_vocabulary_state_has_a_bedrock_mapping_that_inverts():
    for state in DEFAULT_VOCAB.states:
        mapped = bedrock.to_bedrock(state)
        assert mapped is not None, state
        (name, states), wet = mapped
        assert not wet
        back = bedrock.to_java(name, {k: v for k, _, v in states})
        if "_pane" in state or "_fence" in state:
            assert back is not None and back.split("[")[0] == state.split("[")[0]
        else:
            assert back == state


def test_bedrock_mapping_matches_known_bedrock_states():
    (name, states), _ = bedrock.to_bedrock(
        "minecraft:oak_stairs[facing=north,half=top,shape=straight,waterlogged=false]")
    assert name == "minecraft:oak_stairs" and dict((k, v) for k, _, v in states) == {
        "upside_down_bit": 1, "weirdo_direction": 3}
    assert bedrock.to_bedrock("minecraft:bricks")[0][0] == "minecraft:brick_block"
    assert bedrock.to_bedrock("minecraft:terracotta")[0][0] == "minecraft:hardened_clay"
    assert bedrock.to_bedrock("minecraft:oak_slab[type=top,waterlogged=true]")[1] is True


def test_reconnect_links_a_straight_pane_run():
    pane = "minecraft:glass_pane[east=false,north=false,south=false,waterlogged=false,west=false]"
    grid = VoxelGrid.from_states([[[pane]], [[pane]], [[pane]]])  # three panes along x
    out = bedrock.reconnect(grid)
    assert out.state_at(1, 0, 0) == \
        "minecraft:glass_pane[east=true,north=false,south=false,waterlogged=false,west=true]"
    assert out.state_at(0, 0, 0).startswith("minecraft:glass_pane[east=true,north=false,south=false")


@pytest.mark.parametrize("bid,data,want", [
    (1, 5, "minecraft:andesite"),
    (35, 14, "minecraft:red_wool"),
    (17, 1 | 4, "minecraft:spruce_log[axis=x]"),
    (162, 1 | 8, "minecraft:dark_oak_log[axis=z]"),
    (53, 3 | 4, "minecraft:oak_stairs[facing=north,half=top,shape=straight,waterlogged=false]"),
    (44, 5 | 8, "minecraft:stone_brick_slab[type=top,waterlogged=false]"),
    (126, 1, "minecraft:spruce_slab[type=bottom,waterlogged=false]"),
    (50, 5, "minecraft:torch"),
    (50, 3, "minecraft:wall_torch[facing=south]"),
    (54, 4, "minecraft:chest[facing=west,type=single,waterlogged=false]"),
    (89, 0, "minecraft:glowstone"),
])
def test_legacy_ids_translate(bid, data, want):
    assert mcedit.legacy_state(bid, data) == want


def test_legacy_upper_door_takes_facing_from_the_lower_half():
    lower = mcedit.legacy_state(64, 1)  # facing south, closed
    upper = mcedit.legacy_state(64, 8 | 1, below=(64, 1))
    assert "facing=south" in lower and "half=lower" in lower
    assert "facing=south" in upper and "half=upper" in upper and "hinge=right" in upper


def test_unknown_legacy_id_is_none():
    assert mcedit.legacy_state(253, 0) is None
    assert mcedit.legacy_state(35, 16) is None
