"""What a Java block name means for placement: ground or not, and whether it emits light."""

from __future__ import annotations

from mcgen.blocks import parse_state

_NOT_GROUND = {
    "air", "cave_air", "void_air", "water", "lava", "bubble_column", "seagrass", "tall_seagrass",
    "kelp", "kelp_plant", "grass", "short_grass", "tall_grass", "fern", "large_fern", "dead_bush",
    "dandelion", "poppy", "blue_orchid", "allium", "azure_bluet", "oxeye_daisy", "cornflower",
    "lily_of_the_valley", "wither_rose", "sunflower", "lilac", "rose_bush", "peony", "torchflower",
    "pink_petals", "snow", "vine", "glow_lichen", "sugar_cane", "lily_pad", "sweet_berry_bush",
    "cactus", "bamboo", "bamboo_sapling", "nether_sprouts", "hanging_roots", "spore_blossom",
    "cave_vines", "cave_vines_plant", "big_dripleaf", "big_dripleaf_stem", "small_dripleaf",
    "fire", "soul_fire", "torch", "wall_torch", "soul_torch", "soul_wall_torch", "redstone_torch",
    "redstone_wall_torch", "redstone_wire", "tripwire", "tripwire_hook", "cobweb", "ladder",
    "lever", "scaffolding", "pitcher_plant", "pitcher_crop", "leaf_litter", "bush", "firefly_bush",
    "short_dry_grass", "tall_dry_grass", "structure_void", "light", "barrier",
}
_NOT_GROUND_SUFFIXES = (
    "_leaves", "_sapling", "_carpet", "_tulip", "_mushroom", "_fungus", "_roots", "_vines",
    "_vines_plant", "_coral", "_coral_fan", "_coral_wall_fan", "_button", "_sign", "_banner",
    "_pressure_plate", "rail", "_propagule", "_candle", "candle",
)
_EMITTERS = {
    "torch", "wall_torch", "soul_torch", "soul_wall_torch", "lantern", "soul_lantern", "glowstone",
    "sea_lantern", "jack_o_lantern", "shroomlight", "end_rod", "beacon", "lava", "fire", "soul_fire",
    "magma_block", "ochre_froglight", "verdant_froglight", "pearlescent_froglight", "crying_obsidian",
    "conduit", "respawn_anchor", "glow_lichen", "redstone_torch", "redstone_wall_torch", "light",
    "copper_torch", "copper_wall_torch", "copper_lantern",
}
# Blocks that emit only while ``lit=true`` (furnaces, lamps, campfires, candles, ...).
_LIT_WHEN = ("furnace", "smoker", "blast_furnace", "redstone_lamp", "campfire", "soul_campfire",
             "redstone_ore", "deepslate_redstone_ore")


def is_ground(name: str) -> bool:
    """True for a solid, non-leaf, non-fluid block a building can rest on (``name`` without namespace)."""
    return name not in _NOT_GROUND and not name.endswith(_NOT_GROUND_SUFFIXES)


def emits_light(state: str) -> bool:
    """True when a canonical ``minecraft:`` block state gives off light in the game."""
    name, props = parse_state(state)
    base = name.split(":", 1)[1]
    if base in _EMITTERS:
        return True
    if props.get("lit") == "true" and (base in _LIT_WHEN or base.endswith("candle") or base.endswith("_candle_cake")):
        return True
    return False
