"""Which blocks count as ground for surface detection, and which emit light."""

from __future__ import annotations

import pytest

from mcgen.vocab import DEFAULT_VOCAB, LIGHT_EMITTERS
from mcgen.world.blockinfo import emits_light, is_ground


@pytest.mark.parametrize("name", ["stone", "grass_block", "dirt", "sand", "oak_log", "oak_planks", "snow_block", "ice"])
def test_solid_blocks_are_ground(name):
    assert is_ground(name)


@pytest.mark.parametrize("name", ["air", "cave_air", "water", "lava", "oak_leaves", "azalea_leaves", "short_grass",
                                  "grass", "tall_grass", "poppy", "oak_sapling", "snow", "white_carpet", "vine",
                                  "kelp_plant", "seagrass", "torch", "brown_mushroom", "sugar_cane"])
def test_plants_fluids_leaves_and_air_are_not_ground(name):
    assert not is_ground(name)


def test_light_emitters_match_the_vocabulary_and_lit_states():
    for state in DEFAULT_VOCAB.states:
        base = state.split("[")[0]
        assert emits_light(state) == (base in {s.split("[")[0] for s in LIGHT_EMITTERS}
                                      or "lit=true" in state), state
    assert emits_light("minecraft:furnace[facing=north,lit=true]")
    assert not emits_light("minecraft:furnace[facing=north,lit=false]")
    assert emits_light("minecraft:candle[candles=2,lit=true,waterlogged=false]")
    assert not emits_light("minecraft:stone")
