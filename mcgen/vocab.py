"""The default block vocabulary for generated builds, with preview colours.

Every state is written with the full property set the game stores, so exports need no
guessing. Fences and panes come as straight runs (north-south, east-west) and a lone post,
which is what the generators place: their connections always match their neighbours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from mcgen.blocks import AIR, base_name, format_state

_DIRS = ("north", "east", "south", "west")


def _stairs(wood: str, facing: str) -> str:
    return format_state(f"minecraft:{wood}_stairs", {"facing": facing, "half": "bottom", "shape": "straight", "waterlogged": "false"})


def _door(facing: str, half: str) -> str:
    return format_state("minecraft:oak_door", {"facing": facing, "half": half, "hinge": "left", "open": "false", "powered": "false"})


def _connected(name: str, dirs: tuple[str, ...]) -> str:
    props = {d: ("true" if d in dirs else "false") for d in _DIRS}
    props["waterlogged"] = "false"
    return format_state(name, props)


# state -> preview colour (r, g, b); the order is the vocabulary order (air first).
_ENTRIES: list[tuple[str, tuple[int, int, int]]] = [
    (AIR, (0, 0, 0)),
    ("minecraft:stone_bricks", (122, 121, 122)),
    ("minecraft:mossy_stone_bricks", (115, 121, 105)),
    ("minecraft:cobblestone", (110, 110, 110)),
    ("minecraft:mossy_cobblestone", (100, 118, 94)),
    ("minecraft:stone", (126, 126, 126)),
    ("minecraft:smooth_stone", (158, 158, 158)),
    ("minecraft:bricks", (150, 97, 83)),
    ("minecraft:sandstone", (216, 203, 155)),
    ("minecraft:sand", (219, 207, 163)),
    ("minecraft:oak_planks", (162, 130, 78)),
    ("minecraft:spruce_planks", (114, 84, 48)),
    ("minecraft:birch_planks", (192, 175, 121)),
    ("minecraft:dark_oak_planks", (66, 43, 20)),
    ("minecraft:white_wool", (233, 236, 236)),
    ("minecraft:red_wool", (160, 39, 34)),
    ("minecraft:terracotta", (152, 94, 67)),
    ("minecraft:dirt", (134, 96, 67)),
    ("minecraft:grass_block[snowy=false]", (95, 159, 53)),
    ("minecraft:hay_block[axis=y]", (166, 136, 38)),
    ("minecraft:bookshelf", (117, 94, 59)),
    ("minecraft:glowstone", (171, 131, 84)),
    ("minecraft:oak_log[axis=y]", (109, 85, 50)),
    ("minecraft:oak_log[axis=x]", (109, 85, 50)),
    ("minecraft:oak_log[axis=z]", (109, 85, 50)),
    ("minecraft:spruce_log[axis=y]", (58, 37, 16)),
    ("minecraft:glass", (175, 213, 219)),
    (_connected("minecraft:glass_pane", ("north", "south")), (175, 213, 219)),
    (_connected("minecraft:glass_pane", ("east", "west")), (175, 213, 219)),
    (_connected("minecraft:oak_fence", ()), (162, 130, 78)),
    (_connected("minecraft:oak_fence", ("north", "south")), (162, 130, 78)),
    (_connected("minecraft:oak_fence", ("east", "west")), (162, 130, 78)),
    ("minecraft:oak_slab[type=bottom,waterlogged=false]", (162, 130, 78)),
    ("minecraft:oak_slab[type=top,waterlogged=false]", (162, 130, 78)),
    ("minecraft:stone_brick_slab[type=bottom,waterlogged=false]", (122, 121, 122)),
    *[(_stairs("oak", d), (150, 120, 72)) for d in _DIRS],
    *[(_stairs("stone_brick", d), (112, 111, 112)) for d in _DIRS],
    *[(_door(d, h), (140, 110, 60)) for d in _DIRS for h in ("lower", "upper")],
    ("minecraft:oak_leaves[distance=1,persistent=true,waterlogged=false]", (60, 130, 40)),
    ("minecraft:torch", (255, 214, 90)),
    ("minecraft:lantern[hanging=false,waterlogged=false]", (230, 170, 80)),
    ("minecraft:water[level=0]", (63, 118, 228)),  # wells; a still source block
]

# Not full cubes: light passes, things stand in them; used by renderers and terrain probes.
_PARTIAL = ("_pane", "_fence", "_door", "_slab", "_stairs", "torch", "lantern", "_leaves")
LIGHT_EMITTERS = frozenset({"minecraft:torch", "minecraft:lantern", "minecraft:glowstone",
                            "minecraft:sea_lantern", "minecraft:jack_o_lantern", "minecraft:wall_torch",
                            "minecraft:redstone_lamp", "minecraft:shroomlight", "minecraft:soul_lantern",
                            "minecraft:soul_torch", "minecraft:end_rod", "minecraft:campfire"})


@dataclass(frozen=True)
class Vocabulary:
    """An ordered list of block states (index 0 is air) with preview colours.

    Attributes:
        states: the block states; ``states[0] == "minecraft:air"``.
    """

    states: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.states)

    def index(self, state: str) -> int:
        """Position of ``state``; raises ``KeyError`` when absent."""
        return _index(self.states)[state]

    def __contains__(self, state: object) -> bool:
        return state in _index(self.states)

    def colors(self) -> list[tuple[int, int, int]]:
        """Preview colour of each state, in vocabulary order."""
        return [color_of(s) for s in self.states]


@lru_cache(maxsize=64)
def _index(states: tuple[str, ...]) -> dict[str, int]:
    return {s: i for i, s in enumerate(states)}


DEFAULT_VOCAB = Vocabulary(tuple(s for s, _ in _ENTRIES))
_COLORS = dict(_ENTRIES)

# Colours by family for blocks outside the vocabulary (imports); fallback is a name hash.
_FAMILY_COLORS = [
    ("water", (63, 118, 228)), ("lava", (207, 92, 20)), ("leaves", (60, 130, 40)), ("grass", (95, 159, 53)),
    ("glass", (175, 213, 219)), ("spruce", (114, 84, 48)), ("birch", (192, 175, 121)), ("dark_oak", (66, 43, 20)),
    ("jungle", (160, 115, 80)), ("acacia", (168, 90, 50)), ("mangrove", (117, 54, 48)), ("cherry", (226, 178, 172)),
    ("oak", (162, 130, 78)), ("stone_brick", (122, 121, 122)), ("cobble", (110, 110, 110)), ("deepslate", (80, 80, 82)),
    ("sandstone", (216, 203, 155)), ("sand", (219, 207, 163)), ("brick", (150, 97, 83)), ("quartz", (235, 229, 222)),
    ("terracotta", (152, 94, 67)), ("dirt", (134, 96, 67)), ("gravel", (131, 127, 126)), ("snow", (243, 250, 250)),
    ("white", (233, 236, 236)), ("red", (160, 39, 34)), ("blue", (53, 57, 157)), ("black", (25, 25, 30)),
    ("stone", (126, 126, 126)), ("iron", (200, 200, 200)), ("gold", (246, 208, 61)), ("hay", (166, 136, 38)),
]


def color_of(state: str) -> tuple[int, int, int]:
    """Preview colour: the vocabulary's, else a family colour, else a stable hash of the name."""
    c = _COLORS.get(state)
    if c is not None:
        return c
    name = base_name(state)
    if name == AIR:
        return (0, 0, 0)
    for key, col in _FAMILY_COLORS:
        if key in name:
            return col
    h = hashlib.md5(name.encode()).digest()
    return (64 + h[0] % 160, 64 + h[1] % 160, 64 + h[2] % 160)


def is_partial(state: str) -> bool:
    """True for blocks that are not full cubes (panes, fences, doors, slabs, stairs, torches...)."""
    name = base_name(state)
    return any(p in name for p in _PARTIAL)
