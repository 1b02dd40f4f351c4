"""Java -> Bedrock block states: the one table behind ``.mcstructure`` export and Bedrock world pastes.

Target: Bedrock 1.21.60 block states (block ``version`` 18168865 = 1.21.60.33). Every state of
the default vocabulary and of the shipped models' vocabularies is checked against PyMCTranslate's
Java -> Bedrock 1.21.60 tables (``tests/unit/test_bedrock_blocks.py``). A world paste hands these
states to amulet as Bedrock 1.21.60 blocks, and amulet writes each in the spelling of the save's
own version (``planks{wood_type}`` in a 1.18 save, ``oak_planks`` from 1.21).

Bedrock stores no fence/pane/wall-post shape the game computes itself (fence and pane
connections, stair corners), and waterlogging goes to a second block layer (``WATER``).
:func:`to_java` inverts the mapping for the states in :func:`_candidates`; after reading,
:func:`reconnect` recomputes fence and pane connections and :func:`pair_doors` completes each door
half from the other.

Numpy core: no amulet, no export, no world (both of those import this module).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mcgen.blocks import AIR, base_name, format_state, parse_state
from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB, is_partial

BYTE, INT, STRING = 1, 3, 8  # NBT tag ids (the same numbers as mcgen.export.nbtio's)
BLOCK_VERSION = 18168865  # 1.21.60.33 packed as bytes
MAPPING_VERSION = (1, 21, 60)  # the Bedrock release whose names and states this table writes
WATER = ("minecraft:water", (("liquid_depth", INT, 0),))
WOODS = ("oak", "spruce", "birch", "jungle", "acacia", "dark_oak", "mangrove", "cherry")
STEMS = ("crimson", "warped")
COLORS = ("white", "orange", "magenta", "light_blue", "yellow", "lime", "pink", "gray", "light_gray", "cyan",
          "purple", "blue", "brown", "green", "red", "black")
_DIRS = ("north", "east", "south", "west")
_SIMPLE = frozenset(
    ["air", "stone", "stone_bricks", "mossy_stone_bricks", "cobblestone", "mossy_cobblestone", "smooth_stone",
     "sandstone", "sand", "dirt", "bookshelf", "glowstone", "glass", "crafting_table", "gravel", "clay",
     "obsidian", "red_sandstone", "sea_lantern", "coarse_dirt", "tinted_glass", "mud_bricks",
     "deepslate_bricks", "deepslate_tiles", "polished_deepslate", "cobbled_deepslate", "calcite", "tuff",
     "iron_block", "gold_block", "diamond_block", "emerald_block", "lapis_block", "redstone_block",
     "coal_block", "ice", "packed_ice", "blue_ice", "netherrack", "end_stone", "prismarine",
     "dark_prismarine", "smooth_sandstone", "cut_sandstone", "chiseled_stone_bricks",
     "cracked_stone_bricks", "granite", "diorite", "andesite", "polished_granite", "polished_diorite",
     "polished_andesite", "quartz_bricks", "warped_wart_block", "nether_wart_block", "warped_nylium",
     "crimson_nylium", "blackstone", "polished_blackstone", "polished_blackstone_bricks", "shroomlight",
     "soul_sand", "soul_soil", "moss_block", "mud", "packed_mud", "honeycomb_block"]
    + [f"{w}_planks" for w in WOODS + STEMS] + [f"{c}_wool" for c in COLORS] + [f"{c}_concrete" for c in COLORS]
    + [f"{c}_terracotta" for c in COLORS] + [f"{c}_stained_glass" for c in COLORS]
)
# Java id -> Bedrock id where only the name differs (no states on either side).
_RENAME = {"bricks": "brick_block", "terracotta": "hardened_clay", "grass_block": "grass_block",
           "snow_block": "snow", "nether_bricks": "nether_brick", "red_nether_bricks": "red_nether_brick",
           "end_stone_bricks": "end_bricks", "dirt_path": "grass_path", "grass": "short_grass",
           "short_grass": "short_grass", "magma_block": "magma"}
# Stairs whose Bedrock name is not the Java one (Bedrock's ``stone_stairs`` are cobblestone stairs).
_STAIRS_RENAME = {"cobblestone_stairs": "stone_stairs", "stone_stairs": "normal_stone_stairs",
                  "end_stone_brick_stairs": "end_brick_stairs", "prismarine_brick_stairs": "prismarine_bricks_stairs"}
_SLAB_RENAME = {"stone_slab": "normal_stone_slab"}
_LEAVES_RENAME = {"flowering_azalea_leaves": "azalea_leaves_flowered"}
# Blocks with only an ``axis`` property besides the ``_log``/``_wood``/``_stem``/``_hyphae`` families.
_PILLARS = frozenset(["hay_block", "bone_block", "quartz_pillar", "deepslate", "basalt", "polished_basalt",
                      "purpur_pillar", "bamboo_block", "stripped_bamboo_block", "muddy_mangrove_roots"])
_DEPRECATED_PILLARS = ("hay_block", "bone_block")  # Bedrock keeps a ``deprecated`` state on these two
_STAIR_DIR = {"east": 0, "west": 1, "south": 2, "north": 3}  # weirdo_direction; trapdoors' direction too
# Bedrock doors' cardinal_direction is a quarter turn clockwise from Java's facing.
_DOOR_DIR = {"north": "east", "east": "south", "south": "west", "west": "north"}
_FACING6 = {"down": 0, "up": 1, "north": 2, "south": 3, "west": 4, "east": 5}  # facing_direction
_VINE_BITS = {"south": 1, "west": 2, "north": 4, "east": 8}  # vine_direction_bits
_OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}
_WALL_HEIGHT = {"none": "none", "low": "short", "tall": "tall"}
_CONNECTED = tuple(f"{w}_fence" for w in WOODS + STEMS) + ("glass_pane", "iron_bars", "nether_brick_fence") + tuple(
    f"{c}_stained_glass_pane" for c in COLORS)
BedrockState = tuple[str, tuple[tuple[str, int, object], ...]]


@lru_cache(maxsize=4096)
def to_bedrock(state: str) -> tuple[BedrockState, bool] | None:
    """Map a canonical Java state to ``((name, ((key, tag, value), ...)), waterlogged)``; None if unknown.

    ``tag`` is the NBT tag id of the value (:data:`BYTE`, :data:`INT`, :data:`STRING`).
    """
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
    for rule in _RULES:
        out = rule(bid, p)
        if out is not None:
            return out
    return None


def _plain(bid: str, p: dict[str, str]):
    if bid in _SIMPLE and not p:
        return bid, []
    if bid in ("quartz_block", "purpur_block") and not p:
        return bid, [("pillar_axis", STRING, "y")]
    if bid == "bedrock" and not p:
        return bid, [("infiniburn_bit", BYTE, 0)]
    if bid in _RENAME and set(p) <= {"snowy"}:
        return _RENAME[bid], []
    if bid in _CONNECTED and set(p) <= set(_DIRS):
        return bid, []
    return None


def _pillar(bid: str, p: dict[str, str]):
    if set(p) != {"axis"} or not (bid.endswith(("_log", "_wood", "_stem", "_hyphae")) or bid in _PILLARS):
        return None
    deprecated = [("deprecated", INT, 0)] if bid in _DEPRECATED_PILLARS else []
    return bid, [("pillar_axis", STRING, p["axis"])] + deprecated


def _slab_or_stairs(bid: str, p: dict[str, str]):
    if bid.endswith("_slab") and p.get("type") in ("bottom", "top") and len(p) == 1:
        return _SLAB_RENAME.get(bid, bid), [("minecraft:vertical_half", STRING, p["type"])]
    if bid.endswith("_slab") and p.get("type") == "double" and len(p) == 1:
        slab = _SLAB_RENAME.get(bid, bid)
        double = (slab.replace("cut_copper_slab", "double_cut_copper_slab") if slab.endswith("cut_copper_slab")
                  else slab[:-5] + "_double_slab")
        return double, [("minecraft:vertical_half", STRING, "bottom")]
    if bid.endswith("_stairs") and set(p) == {"facing", "half", "shape"} and p["facing"] in _STAIR_DIR:
        return _STAIRS_RENAME.get(bid, bid), [("weirdo_direction", INT, _STAIR_DIR[p["facing"]]),
                                              ("upside_down_bit", BYTE, int(p["half"] == "top"))]
    return None


def _doors(bid: str, p: dict[str, str]):
    if bid.endswith("_door") and set(p) == {"facing", "half", "hinge", "open", "powered"} and p["facing"] in _DOOR_DIR:
        return ("wooden_door" if bid == "oak_door" else bid), [
            ("minecraft:cardinal_direction", STRING, _DOOR_DIR[p["facing"]]),
            ("door_hinge_bit", BYTE, int(p["hinge"] == "right")), ("open_bit", BYTE, int(p["open"] == "true")),
            ("upper_block_bit", BYTE, int(p["half"] == "upper"))]
    if bid.endswith("_trapdoor") and set(p) == {"facing", "half", "open", "powered"} and p["facing"] in _STAIR_DIR:
        return ("trapdoor" if bid == "oak_trapdoor" else bid), [
            ("direction", INT, _STAIR_DIR[p["facing"]]), ("open_bit", BYTE, int(p["open"] == "true")),
            ("upside_down_bit", BYTE, int(p["half"] == "top"))]
    return None


def _attached(bid: str, p: dict[str, str]):
    if bid.endswith("_leaves") and set(p) == {"distance", "persistent"}:
        return _LEAVES_RENAME.get(bid, bid), [("persistent_bit", BYTE, int(p["persistent"] == "true")),
                                              ("update_bit", BYTE, 0)]
    if bid == "torch" and not p:
        return "torch", [("torch_facing_direction", STRING, "top")]
    if bid == "wall_torch" and set(p) == {"facing"} and p["facing"] in _OPPOSITE:
        return "torch", [("torch_facing_direction", STRING, _OPPOSITE[p["facing"]])]
    if bid in ("lantern", "soul_lantern") and set(p) == {"hanging"}:
        return bid, [("hanging", BYTE, int(p["hanging"] == "true"))]
    if bid == "ladder" and set(p) == {"facing"} and p["facing"] in _OPPOSITE:
        return bid, [("facing_direction", INT, _FACING6[p["facing"]])]
    if bid == "vine" and set(p) == {*_DIRS, "up"}:
        return bid, [("vine_direction_bits", INT, sum(b for d, b in _VINE_BITS.items() if p[d] == "true"))]
    return None


def _containers(bid: str, p: dict[str, str]):
    if bid in ("chest", "trapped_chest") and set(p) == {"facing", "type"} and p["facing"] in _OPPOSITE:
        return bid, [("minecraft:cardinal_direction", STRING, p["facing"])]
    if bid == "barrel" and set(p) == {"facing", "open"} and p["facing"] in _FACING6:
        return bid, [("facing_direction", INT, _FACING6[p["facing"]]), ("open_bit", BYTE, int(p["open"] == "true"))]
    if bid.endswith("_wall") and set(p) == {*_DIRS, "up"} and all(p[d] in _WALL_HEIGHT for d in _DIRS):
        return bid, [(f"wall_connection_type_{d}", STRING, _WALL_HEIGHT[p[d]]) for d in _DIRS] + [
            ("wall_post_bit", BYTE, int(p["up"] == "true"))]
    if bid == "water" and set(p) == {"level"} and p["level"].isdigit():
        return "water", [("liquid_depth", INT, int(p["level"]))]
    return None


_RULES = (_plain, _pillar, _slab_or_stairs, _doors, _attached, _containers)


def unmapped(states) -> list[str]:
    """The states (in order, without repeats) that have no Bedrock form."""
    return [s for s in dict.fromkeys(states) if to_bedrock(s) is None]


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
        out.append(format_state(f"minecraft:{w}_fence", {d: "false" for d in _DIRS} | {"waterlogged": "false"}))
    out += [f"minecraft:{s}" for s in sorted(_SIMPLE)]
    out += ["minecraft:bedrock", "minecraft:quartz_block", "minecraft:purpur_block", "minecraft:snow_block", "minecraft:bricks",
            "minecraft:terracotta", "minecraft:nether_bricks", "minecraft:end_stone_bricks", "minecraft:dirt_path",
            "minecraft:grass"]
    out += [f"minecraft:water[level={n}]" for n in range(16)]
    out += [f"minecraft:wall_torch[facing={f}]" for f in _DIRS]
    out += [f"minecraft:ladder[facing={f},waterlogged=false]" for f in _DIRS]
    out += [f"minecraft:chest[facing={f},type=single,waterlogged=false]" for f in _DIRS]
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


def pair_doors(grid: VoxelGrid) -> VoxelGrid:
    """Give each half of a door what Bedrock keeps only in the other half.

    Bedrock stores a door's facing and open state in its lower half and the hinge in its upper
    half (saves before 1.21 keep nothing else; amulet writes the upper half facing south), so
    after reading, an upper half takes facing and open from the lower half below it and the lower
    half takes the hinge from the upper half above it.
    """
    pal = grid.palette
    doors = {i: parse_state(s) for i, s in enumerate(pal) if base_name(s).endswith("_door") and
             set(parse_state(s)[1]) >= {"facing", "half", "hinge", "open"}}
    if not doors:
        return grid
    b = grid.blocks
    states = np.array(pal, dtype=object)[b]
    for x, y, z in zip(*np.nonzero(np.isin(b, list(doors)))):
        name, props = doors[int(b[x, y, z])]
        other = int(b[x, y + 1, z]) if props["half"] == "lower" and y + 1 < b.shape[1] else (
            int(b[x, y - 1, z]) if props["half"] == "upper" and y > 0 else -1)
        if other not in doors or doors[other][0] != name or doors[other][1]["half"] == props["half"]:
            continue
        mate = doors[other][1]
        keep = ({"hinge": mate["hinge"]} if props["half"] == "lower"
                else {"facing": mate["facing"], "open": mate["open"]})
        states[x, y, z] = format_state(name, {**props, **keep})
    return VoxelGrid.from_states(states, dict(grid.meta))


__all__ = ["BLOCK_VERSION", "BYTE", "BedrockState", "COLORS", "INT", "MAPPING_VERSION", "STRING", "WATER", "WOODS",
           "native_state", "pair_doors", "reconnect", "to_bedrock", "to_java", "unmapped"]
