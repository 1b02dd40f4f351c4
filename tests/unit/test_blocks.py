"""Block-state grammar: canonical form, parsing, canonicalising foreign spellings, symmetries."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcgen.blocks import (
    AIR, base_name, canonicalize, check_canonical, format_state, parse_state,
)
from mcgen.errors import BlockStateError, McgenError
from mcgen.vocab import DEFAULT_VOCAB, color_of, is_partial

_ids = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
_vals = st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True)
_props = st.dictionaries(_ids, _vals, max_size=5)


@given(_ids, _ids, _props)
def test_format_then_parse_round_trips(ns, name, props):
    state = format_state(f"{ns}:{name}", props)
    assert check_canonical(state) == state
    assert parse_state(state) == (f"{ns}:{name}", props)
    assert canonicalize(state) == state


@given(_ids, _props)
def test_canonicalize_sorts_properties_and_adds_namespace(name, props):
    messy = name.upper() + ("[" + ", ".join(f"{k}={v}" for k, v in reversed(list(props.items()))) + "]" if props else "")
    assert canonicalize(messy) == format_state(f"minecraft:{name}", props)


@pytest.mark.parametrize("state", [
    "stone",                                   # no namespace
    "minecraft:Stone",                         # upper case
    "minecraft:stone[]",                       # empty brackets
    "minecraft:oak_log[axis = y]",             # spaces
    "minecraft:oak_log[axis=y",                # unclosed
    "minecraft:oak_log[axis]",                 # property without value
    " minecraft:stone",                        # leading space
    "minecraft:",                              # no id
])
def test_malformed_states_are_rejected_with_the_string(state):
    with pytest.raises(BlockStateError) as e:
        check_canonical(state)
    assert repr(state) in str(e.value)
    assert isinstance(e.value, McgenError) and e.value.exit_code == 3


@pytest.mark.parametrize("state", [
    "minecraft:oak_stairs[half=bottom,facing=north]",      # unsorted
    "minecraft:oak_log[axis=y,axis=x]",                      # duplicate key
])
def test_non_canonical_states_are_rejected(state):
    with pytest.raises(BlockStateError, match="not canonical"):
        check_canonical(state)


def test_non_strings_are_rejected():
    with pytest.raises(BlockStateError):
        check_canonical(5)  # type: ignore[arg-type]
    with pytest.raises(BlockStateError):
        canonicalize(None)  # type: ignore[arg-type]


def test_canonicalize_rejects_duplicates_and_bare_properties():
    with pytest.raises(BlockStateError, match="duplicate"):
        canonicalize("oak_log[axis=x,axis=y]")
    with pytest.raises(BlockStateError, match="malformed property"):
        canonicalize("oak_log[axis]")


def test_base_name_drops_properties():
    assert base_name("minecraft:oak_log[axis=x]") == "minecraft:oak_log"
    assert base_name(AIR) == AIR


def test_default_vocabulary_is_canonical_and_sized():
    states = DEFAULT_VOCAB.states
    assert states[0] == AIR
    assert 30 <= len(states) <= 60
    assert len(set(states)) == len(states)
    for s in states:
        assert check_canonical(s) == s
        assert all(0 <= c <= 255 for c in color_of(s))
    assert DEFAULT_VOCAB.index("minecraft:stone") == states.index("minecraft:stone")
    assert "minecraft:diamond_block" not in DEFAULT_VOCAB


def test_vocabulary_doors_come_in_pairs_and_partials_are_flagged():
    doors = [s for s in DEFAULT_VOCAB.states if "_door" in s]
    for s in doors:
        other = s.replace("half=lower", "half=upper") if "lower" in s else s.replace("half=upper", "half=lower")
        assert other in DEFAULT_VOCAB
    assert is_partial("minecraft:oak_fence[east=false,north=false,south=false,waterlogged=false,west=false]")
    assert not is_partial("minecraft:stone_bricks")


def test_colour_of_unknown_blocks_is_stable():
    assert color_of("minecraft:some_new_block") == color_of("minecraft:some_new_block[foo=bar]")
    assert color_of("mod:blue_thing") == color_of("mod:blue_thing")
