"""Java -> Bedrock block-state mapping for the default vocabulary and common building blocks.

Target: Bedrock 1.21.60 block states (block ``version`` 18168865 = 1.21.60.33); the names and
state values were checked against PyMCTranslate's Java 1.20.4 -> Bedrock 1.21.60 tables.
Bedrock stores no fence/pane connections and no stair corner shape (the game computes
them), and waterlogging goes to the second block layer. :func:`to_java` inverts the mapping;
:func:`reconnect` recomputes fence/pane connections from neighbours after reading.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mcgen.blocks import AIR, base_name, format_state, parse_state
from mcgen.export.nbtio import BYTE, INT, STRING
from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB, is_partial

BLOCK_VERSION = 18168865  # 1.21.60.33 packed as bytes
WATER = ("minecraft:water", (("liquid_depth", INT, 0),))
WOODS = ("oak", "spruce", "birch", "jungle", "acacia", "dark_oak", "mangrove", "cherry")
COLORS = ("white", "orange", "magenta", "light_blue", "yellow", "lime", "pink", "gray", "light_gray", "cyan",
          "purple", "blue", "brown", "green", "red", "black")
_SIMPLE = frozenset(
    ["air", "stone", "stone_bricks", "mossy_stone_bricks", "cobblestone", "mossy_cobblestone", "smooth_stone",
     "sandstone", "sand", "dirt", "bookshelf", "glowstone", "glass", "crafting_table", "gravel", "clay",
     "obsidian", "red_sandstone", "sea_lantern", "coarse_dirt", "tinted_glass", "mud_bricks",
     "deepslate_bricks", "deepslate_tiles", "polished_deepslate", "cobbled_deepslate", "calcite", "tuff",
     "iron_block", "gold_block", "diamond_block", "emerald_block", "lapis_block", "redstone_block",
     "coal_block", "ice", "packed_ice", "blue_ice", "netherrack", "end_stone", "prismarine",
     "dark_prismarine", "smooth_sandstone", "cut_sandstone", "chiseled_stone_bricks",
     "cracked_stone_bricks", "granite", "diorite", "andesite", "polished_granite", "polished_diorite",
     "polished_andesite"]
    + [f"{w}_planks" for w in WOODS] + [f"{c}_wool" for c in COLORS] + [f"{c}_concrete" for c in COLORS]
    + [f"{c}_terracotta" for c in COLORS] + [f"{c}_stained_glass" for c in COLORS]
)
_RENAME = {"bricks": "brick_block", "terracotta": "hardened_clay", "grass_block": "grass_block"}
_STAIR_DIR = {"east": 0, "west": 1, "south": 2, "north": 3}
_DOOR_DIR = {"north": "east", "east": "south", "south": "west", "west": "north"}
_CONNECTED = tuple(f"{w}_fence" for w in WOODS) + ("glass_pane", "iron_bars", "nether_brick_fence") + tuple(
    f"{c}_stained_glass_pane" for c in COLORS)
BedrockState = tuple[str, tuple[tuple[str, int, object], ...]]


@lru_cache(maxsize=4096)
def to_bedrock(state: str) -> tuple[BedrockState, bool] | None:
    """Map a canonical Java state to ``((name, ((key, tag, value), ...)), waterlogged)``; None if unknown."""
    name, props = parse_state(state)
    ns, _, bid = name.partition(":")
    if ns != "minecraft":
        return None
    wet = props.pop("waterlogged", "false") == "true"
    out = _map(bid, props)
    if out is None:
        return None
    bname, states = out
    return (f"minecraft:{bname}", tuple(sorted(states))), wet


def _map(bid: str, p: dict[str, str]) -> tuple[str, list[tuple[str, int, object]]] | None:
    if bid in _SIMPLE and not p:
        return bid, []
    if bid in ("quartz_block", "purpur_block") and not p:
        return bid, [("pillar_axis", STRING, "y")]
    if bid == "snow_block" and not p:
        return "snow", []
    if bid in _RENAME and set(p) <= {"snowy"}:
        return _RENAME[bid], []
    if (bid.endswith(("_log", "_wood")) or bid in ("hay_block", "bone_block", "quartz_pillar")) and set(p) == {"axis"}:
        st = [("pillar_axis", STRING, p["axis"])]
        return bid, st + ([("deprecated", INT, 0)] if bid in ("hay_block", "bone_block") else [])
    if bid.endswith("_slab") and p.get("type") in ("bottom", "top") and len(p) == 1:
        return bid, [("minecraft:vertical_half", STRING, p["type"])]
    if bid.endswith("_slab") and p.get("type") == "double" and len(p) == 1:
        return bid[:-5] + "_double_slab", [("minecraft:vertical_half", STRING, "bottom")]
    if bid.endswith("_stairs") and set(p) == {"facing", "half", "shape"} and p["facing"] in _STAIR_DIR:
        return bid, [("weirdo_direction", INT, _STAIR_DIR[p["facing"]]), ("upside_down_bit", BYTE, int(p["half"] == "top"))]
    if bid.endswith("_door") and set(p) == {"facing", "half", "hinge", "open", "powered"} and p["facing"] in _DOOR_DIR:
        return ("wooden_door" if bid == "oak_door" else bid), [
            ("minecraft:cardinal_direction", STRING, _DOOR_DIR[p["facing"]]),
            ("door_hinge_bit", BYTE, int(p["hinge"] == "right")), ("open_bit", BYTE, int(p["open"] == "true")),
            ("upper_block_bit", BYTE, int(p["half"] == "upper"))]
    if bid.endswith("_leaves") and set(p) == {"distance", "persistent"}:
        return bid, [("persistent_bit", BYTE, int(p["persistent"] == "true")), ("update_bit", BYTE, 0)]
    if bid == "torch" and not p:
        return "torch", [("torch_facing_direction", STRING, "top")]
    if bid in ("lantern", "soul_lantern") and set(p) == {"hanging"}:
        return bid, [("hanging", BYTE, int(p["hanging"] == "true"))]
    if bid == "water" and set(p) == {"level"} and p["level"].isdigit():
        return "water", [("liquid_depth", INT, int(p["level"]))]
    if bid in _CONNECTED and set(p) <= {"north", "east", "south", "west"}:
        return bid, []
    return None


def _candidates() -> list[str]:
    """Java states whose Bedrock form is inverted by :func:`to_java` (vocabulary first)."""
    out = list(DEFAULT_VOCAB.states)
    for w in WOODS:
        for f in _STAIR_DIR:
            for h in ("bottom", "top"):
                out.append(format_state(f"minecraft:{w}_stairs", {"facing": f, "half": h, "shape": "straight",
                                                                  "waterlogged": "false"}))
        out += [f"minecraft:{w}_log[axis={a}]" for a in "xyz"]
        out += [f"minecraft:{w}_slab[type={t},waterlogged=false]" for t in ("bottom", "top", "double")]
        out.append(f"minecraft:{w}_leaves[distance=1,persistent=true,waterlogged=false]")
        out.append(format_state(f"minecraft:{w}_fence", {d: "false" for d in ("east", "north", "south", "west")}
                                | {"waterlogged": "false"}))
    out += [f"minecraft:{s}" for s in sorted(_SIMPLE)]
    out += ["minecraft:quartz_block", "minecraft:purpur_block", "minecraft:snow_block"]
    out += [f"minecraft:water[level={n}]" for n in range(16)]
    out.append("minecraft:iron_bars[east=false,north=false,south=false,waterlogged=false,west=false]")
    return out


@lru_cache(maxsize=1)
def _inverse() -> dict[tuple, str]:
    inv: dict[tuple, str] = {}
    for s in _candidates():
        m = to_bedrock(s)
        if m is not None:
            inv.setdefault(_key(m[0][0], {k: v for k, _, v in m[0][1]}), s)
    return inv


def _key(name: str, states: dict) -> tuple:
    return name, tuple(sorted((k, str(int(v)) if isinstance(v, (bool, int)) else str(v)) for k, v in states.items()))


def to_java(name: str, states: dict, waterlogged: bool = False) -> str | None:
    """Java state for a Bedrock ``(name, states)``; None when it is not in the mapping."""
    java = _inverse().get(_key(name, states))
    if java is None:
        return None
    jname, props = parse_state(java)
    if "waterlogged" in props:
        props["waterlogged"] = "true" if waterlogged else "false"
    return format_state(jname, props)


def native_state(name: str, states: dict) -> str:
    """Bedrock state kept as-is in our grammar (namespace dropped from property keys)."""
    props = {k.split(":")[-1]: str(int(v)) if isinstance(v, (bool, int)) else str(v).lower() for k, v in states.items()}
    return format_state(name.lower(), props)


def reconnect(grid: VoxelGrid) -> VoxelGrid:
    """Recompute north/east/south/west of fences and panes from their neighbours.

    A connectable block links to a neighbour of the same family (fence or pane/bars) or to
    any full (non-partial) solid block, as the game does.
    """
    pal = grid.palette
    fam = np.array([_family(s) for s in pal], dtype=np.int8)  # 0 none, 1 fence, 2 pane
    if not (fam > 0).any():
        return grid
    full = np.array([s != AIR and not is_partial(s) for s in pal])
    b = grid.blocks
    cf, cfull = fam[b], full[b]
    states = np.array(pal, dtype=object)[b]
    pad_f, pad_s = np.pad(cf, 1), np.pad(cfull, 1)
    x, y, z = b.shape
    sl = {"north": (1, 1, 0), "south": (1, 1, 2), "west": (0, 1, 1), "east": (2, 1, 1)}
    links = {d: ((pad_f[o[0]:o[0] + x, 1:1 + y, o[2]:o[2] + z] == cf) | pad_s[o[0]:o[0] + x, 1:1 + y, o[2]:o[2] + z])
             for d, o in sl.items()}
    for pos in zip(*np.nonzero(cf > 0)):
        name, props = parse_state(states[pos])
        props.update({d: "true" if links[d][pos] else "false" for d in sl})
        props.setdefault("waterlogged", "false")
        states[pos] = format_state(name, props)
    return VoxelGrid.from_states(states, dict(grid.meta))


def _family(state: str) -> int:
    bid = base_name(state).split(":")[-1]
    if bid.endswith("_fence"):
        return 1
    if bid.endswith("_pane") or bid == "iron_bars":
        return 2
    return 0
