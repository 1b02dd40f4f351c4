"""Vanilla stand-ins for the placeholders and mod blocks found in Structurize ``.blueprint`` files.

Three kinds of non-vanilla block occur in MineColonies blueprints:

* Structurize placeholders: ``blocksubstitution`` ("leave what is there") -> air,
  ``blockfluidsubstitution`` -> still water, ``blocksolidsubstitution`` ("fill with ground")
  -> :data:`GROUND` by default or air when the caller drops it, ``blocktagsubstitution``
  (an anchor tag) -> air.
* Domum Ornamentum (``domum_ornamentum:*``): shingles, timber frames, panels, pillars and
  "compat" stairs/slabs/walls/fences/doors whose real material sits in the block entity's
  ``textureData`` (texture slot -> material block). Each maps to the vanilla shape it stands
  for (stairs, slab, trapdoor, door, fence, gate, wall, pane or a full block) made of that
  material; when vanilla has no such shape in that material the nearest one by colour is used.
  DO's own material blocks (``paper_extra``, ``cream_bricks``...) map to a vanilla full block.
* MineColonies and other mod blocks (hut blocks, racks, graves, banners...): the nearest
  vanilla counterpart (a hut block or rack is a chest with the same facing).

:func:`vanilla_state` does the mapping; it is cached per (state, material, solid fill).
"""

from __future__ import annotations

import re
from functools import lru_cache

from mcgen.blocks import AIR, format_state, parse_state
from mcgen.vocab import color_of

GROUND = "minecraft:dirt"
WATER = "minecraft:water[level=0]"
SOLID_FILLS = ("ground", "air")
SOLID_PLACEHOLDER = "structurize:blocksolidsubstitution"
PLACEHOLDERS = {
    "structurize:blocksubstitution": AIR,
    "structurize:blockfluidsubstitution": WATER,
    "structurize:blocktagsubstitution": AIR,
}
DO = "domum_ornamentum:"
# Texture slots in the order that decides the material a block shows most: the roof surface of
# a shingle ("clay"), the infill of a timber frame ("dark_oak_planks"), the lit face of a light.
SLOT_PRIORITY = ("minecraft:block/glowstone", "minecraft:block/clay", "minecraft:block/acacia_planks",
                 "minecraft:block/dark_oak_planks", "minecraft:block/oak_planks")
_DO_SHAPES: dict[str, str] = {
    **dict.fromkeys(("shingle", "shingle_flat", "vanilla_stairs_compat", "dark_brick_stair"), "stairs"),
    **dict.fromkeys(("shingle_slab", "shingle_flat_lower", "vanilla_slab_compat"), "slab"),
    **dict.fromkeys(("panel", "vanilla_trapdoors_compat", "fancy_trapdoors"), "trapdoor"),
    **dict.fromkeys(("fancy_door", "vanilla_doors_compat"), "door"),
    **dict.fromkeys(("vanilla_fence_compat", "post"), "fence"),
    "vanilla_fence_gate_compat": "fence_gate", "vanilla_wall_compat": "wall", "blockpaperwall": "pane",
    **dict.fromkeys(("blockpillar", "squarepillar", "blockypillar"), "pillar"),
}
# DO's own full blocks and texture materials -> a vanilla full block of about the same look.
_DO_MATERIALS: dict[str, str] = {
    "paper_extra": "minecraft:white_terracotta", "white_paper_extra": "minecraft:white_concrete",
    "cactus_extra": "minecraft:green_terracotta", "green_cactus_extra": "minecraft:lime_terracotta",
    "wheat_extra": "minecraft:hay_block[axis=y]", "brick_extra": "minecraft:bricks",
    "cobblestone_extra": "minecraft:cobblestone", "mossy_cobblestone_extra": "minecraft:mossy_cobblestone",
    "beige_bricks": "minecraft:smooth_sandstone", "beige_stone_bricks": "minecraft:cut_sandstone",
    "cream_bricks": "minecraft:end_stone_bricks", "cream_stone_bricks": "minecraft:quartz_bricks",
    "brown_bricks": "minecraft:bricks", "brown_stone_bricks": "minecraft:polished_granite",
    "sand_bricks": "minecraft:cut_sandstone", "sand_stone_bricks": "minecraft:smooth_sandstone",
    "roan_bricks": "minecraft:bricks", "roan_stone_bricks": "minecraft:granite",
    "dark_brick": "minecraft:deepslate_bricks",
}
_COLORS = ("white", "orange", "magenta", "light_blue", "yellow", "lime", "pink", "gray", "light_gray", "cyan",
           "purple", "blue", "brown", "green", "red", "black")
_COLOR_RE = re.compile(rf"^({'|'.join(sorted(_COLORS, key=len, reverse=True))})_(.+)$")
_WOODS = ("dark_oak", "oak", "spruce", "birch", "jungle", "acacia", "mangrove", "cherry", "crimson", "warped",
          "bamboo")
_WOOD_RE = re.compile(rf"^(?:stripped_)?({'|'.join(_WOODS)})_(planks|log|wood|stem|hyphae|block)$")
# Stone-like full block -> the stem of its shaped variants (``stone_bricks`` -> ``stone_brick_stairs``).
_STEMS = {
    "stone_bricks": "stone_brick", "mossy_stone_bricks": "mossy_stone_brick", "bricks": "brick",
    "cobblestone": "cobblestone", "mossy_cobblestone": "mossy_cobblestone", "stone": "stone",
    "granite": "granite", "polished_granite": "polished_granite", "diorite": "diorite",
    "polished_diorite": "polished_diorite", "andesite": "andesite", "polished_andesite": "polished_andesite",
    "cobbled_deepslate": "cobbled_deepslate", "polished_deepslate": "polished_deepslate",
    "deepslate_bricks": "deepslate_brick", "deepslate_tiles": "deepslate_tile", "mud_bricks": "mud_brick",
    "sandstone": "sandstone", "smooth_sandstone": "smooth_sandstone", "red_sandstone": "red_sandstone",
    "smooth_red_sandstone": "smooth_red_sandstone", "cut_sandstone": "cut_sandstone",
    "cut_red_sandstone": "cut_red_sandstone", "prismarine": "prismarine", "prismarine_bricks": "prismarine_brick",
    "dark_prismarine": "dark_prismarine", "nether_bricks": "nether_brick", "red_nether_bricks": "red_nether_brick",
    "quartz_block": "quartz", "smooth_quartz": "smooth_quartz", "purpur_block": "purpur",
    "end_stone_bricks": "end_stone_brick", "blackstone": "blackstone", "polished_blackstone": "polished_blackstone",
    "polished_blackstone_bricks": "polished_blackstone_brick", "smooth_stone": "smooth_stone",
    "cut_copper": "cut_copper", "exposed_cut_copper": "exposed_cut_copper",
    "weathered_cut_copper": "weathered_cut_copper", "oxidized_cut_copper": "oxidized_cut_copper",
}
# Near-synonyms: a material without shaped variants -> one that has them.
_STEM_ALIASES = {
    "chiseled_stone_bricks": "stone_bricks", "cracked_stone_bricks": "stone_bricks",
    "chiseled_quartz_block": "quartz_block", "quartz_pillar": "quartz_block", "quartz_bricks": "quartz_block",
    "chiseled_sandstone": "sandstone", "chiseled_red_sandstone": "red_sandstone",
    "chiseled_deepslate": "polished_deepslate", "cracked_deepslate_tiles": "deepslate_tiles",
    "cracked_deepslate_bricks": "deepslate_bricks", "deepslate": "cobbled_deepslate",
    "chiseled_polished_blackstone": "polished_blackstone", "chiseled_nether_bricks": "nether_bricks",
    "cracked_nether_bricks": "nether_bricks", "copper_block": "cut_copper", "weathered_copper": "weathered_cut_copper",
    "exposed_copper": "exposed_cut_copper", "oxidized_copper": "oxidized_cut_copper",
    "waxed_weathered_cut_copper": "weathered_cut_copper", "polished_basalt": "polished_blackstone",
    "smooth_basalt": "polished_blackstone", "basalt": "polished_blackstone",
}
_SHAPE_STEMS: dict[str, frozenset[str]] = {
    "stairs": frozenset(_STEMS.values()) - {"smooth_stone", "cut_sandstone", "cut_red_sandstone"},
    "slab": frozenset(_STEMS.values()),
    "wall": frozenset({"cobblestone", "mossy_cobblestone", "stone_brick", "mossy_stone_brick", "granite", "diorite",
                       "andesite", "cobbled_deepslate", "polished_deepslate", "deepslate_brick", "deepslate_tile",
                       "brick", "mud_brick", "sandstone", "red_sandstone", "prismarine", "nether_brick",
                       "red_nether_brick", "end_stone_brick", "blackstone", "polished_blackstone",
                       "polished_blackstone_brick"}),
}
# Added after 1.16.5 (the oldest blueprints): never chosen by colour, so a conversion keeps the source's version.
_NEW_STEMS = ("mud_brick", "mangrove", "cherry", "bamboo", "cobbled_deepslate", "polished_deepslate", "deepslate_brick",
              "deepslate_tile", "cut_copper", "exposed_cut_copper", "weathered_cut_copper", "oxidized_cut_copper")
_AXIS_RE = re.compile(r"(_log|_wood|_stem|_hyphae|^hay_block|_pillar|basalt|bamboo_block)$")
_MOD_BLOCKS: dict[str, str] = {
    "minecolonies:barrel_block": "minecraft:barrel[facing=up,open=false]",
    "minecolonies:composted_dirt": "minecraft:dirt",
    "minecolonies:blockminecoloniesnamedgrave":
        "minecraft:stone_brick_wall[east=none,north=none,south=none,up=true,waterlogged=false,west=none]",
    "minecolonies:gate_iron": "minecraft:iron_bars[east=false,north=false,south=false,waterlogged=false,west=false]",
    "minecolonies:gate_wood": "minecraft:oak_fence[east=false,north=false,south=false,waterlogged=false,west=false]",
    "minecolonies:blockconstructiontape": AIR, "minecolonies:blockwaypoint": AIR,
    "minecolonies:decorationcontroller": AIR,
    "multipiston:multipistonblock": "minecraft:piston[extended=false,facing=up]",
    "structurize:multiblock": "minecraft:piston[extended=false,facing=up]",
    "domum_ornamentum:blockbarreldeco_standing": "minecraft:barrel[facing=up,open=false]",
    "domum_ornamentum:architectscutter": "minecraft:stonecutter[facing={facing}]",
    "minecolonies:colony_wall_banner": "minecraft:white_wall_banner[facing={facing}]",
    "minecolonies:colony_banner": "minecraft:white_banner[rotation={rotation}]",
}
_CHEST_LIKE = re.compile(r"^minecolonies:(blockhut.*|blockminecoloniesrack|blockpostbox|blockstash|.*quarry)$")
_HORIZONTAL = ("north", "south", "east", "west")


def _material_id(material: str) -> str:
    """A texture material (maybe a DO block) -> a vanilla full-block state."""
    name = material.split("[", 1)[0].strip().lower()
    if name.startswith(DO):
        return _do_material(name[len(DO):]) or "minecraft:oak_planks"
    if ":" not in name:
        name = "minecraft:" + name
    if not name.startswith("minecraft:") or not re.fullmatch(r"[a-z0-9_.\-]+:[a-z0-9_.\-/]+", name):
        return "minecraft:oak_planks"
    if name.endswith("_leaves"):  # placed leaves must not decay
        return f"{name}[distance=1,persistent=true]"
    return with_axis(name)


def with_axis(name: str) -> str:
    """Add ``axis=y`` to a bare pillar-like block id (logs, wood, hay, quartz pillar); else unchanged."""
    return f"{name}[axis=y]" if "[" not in name and _AXIS_RE.search(name.split(":", 1)[1]) else name


def _do_material(n: str) -> str | None:
    """A DO material block id (no namespace) -> vanilla full block, or None when unknown."""
    if n in _DO_MATERIALS:
        return _DO_MATERIALS[n]
    m = _COLOR_RE.match(n)
    if m and m.group(2) in ("brick_extra", "cobblestone_extra"):
        return f"minecraft:{m.group(1)}_terracotta"
    if m and m.group(2) == "floating_carpet":
        return f"minecraft:{m.group(1)}_carpet"
    return None


def _stem(material: str, shape: str) -> str:
    """The vanilla stem with ``shape`` for a full-block material (``spruce_planks`` -> ``spruce``)."""
    n = material.split("[", 1)[0].split(":", 1)[1]
    wood = _WOOD_RE.match(n)
    if wood:
        return wood.group(1)
    if shape in ("fence", "door", "trapdoor", "fence_gate"):
        if n == "iron_block" and shape in ("door", "trapdoor"):
            return "iron"
        if n in ("nether_bricks", "red_nether_bricks") and shape == "fence":
            return "nether_brick"
        return _nearest(material, _WOODS + (("iron",) if shape in ("door", "trapdoor") else ()))
    n = _STEM_ALIASES.get(n, n)
    stem = _STEMS.get(n)
    if stem is not None and stem in _SHAPE_STEMS[shape]:
        return stem
    if n in ("cut_sandstone", "smooth_sandstone") and "sandstone" in _SHAPE_STEMS[shape]:
        return "sandstone"
    return _nearest(material, sorted(_SHAPE_STEMS[shape]) + (list(_WOODS) if shape in ("stairs", "slab") else []))


# Average texture colours of the full blocks behind each stem, and of the dyed blocks.
_STEM_RGB: dict[str, tuple[int, int, int]] = {
    "stone_brick": (122, 121, 122), "mossy_stone_brick": (115, 121, 105), "brick": (150, 97, 83),
    "cobblestone": (127, 127, 127), "mossy_cobblestone": (110, 118, 94), "stone": (126, 126, 126),
    "granite": (149, 103, 85), "polished_granite": (154, 106, 89), "diorite": (188, 188, 188),
    "polished_diorite": (192, 193, 194), "andesite": (136, 136, 136), "polished_andesite": (132, 134, 133),
    "cobbled_deepslate": (77, 77, 80), "polished_deepslate": (72, 72, 73), "deepslate_brick": (70, 70, 71),
    "deepslate_tile": (54, 54, 55), "mud_brick": (137, 103, 79), "sandstone": (216, 203, 155),
    "smooth_sandstone": (223, 214, 170), "red_sandstone": (181, 97, 31), "smooth_red_sandstone": (181, 97, 31),
    "cut_sandstone": (217, 206, 159), "cut_red_sandstone": (189, 101, 31), "prismarine": (99, 156, 151),
    "prismarine_brick": (99, 171, 158), "dark_prismarine": (51, 91, 75), "nether_brick": (44, 21, 26),
    "red_nether_brick": (69, 7, 9), "quartz": (235, 229, 222), "smooth_quartz": (235, 229, 222),
    "purpur": (169, 125, 169), "end_stone_brick": (218, 224, 162), "blackstone": (42, 36, 41),
    "polished_blackstone": (53, 48, 56), "polished_blackstone_brick": (48, 42, 49), "smooth_stone": (158, 158, 158),
    "cut_copper": (191, 106, 80), "exposed_cut_copper": (154, 121, 101), "weathered_cut_copper": (109, 145, 107),
    "oxidized_cut_copper": (79, 153, 126), "oak": (162, 130, 78), "spruce": (114, 84, 48), "birch": (192, 175, 121),
    "jungle": (160, 115, 80), "acacia": (168, 90, 50), "dark_oak": (66, 43, 20), "mangrove": (117, 54, 48),
    "cherry": (226, 178, 172), "crimson": (101, 48, 70), "warped": (43, 104, 99), "bamboo": (193, 173, 80),
    "iron": (220, 220, 220), "hay_block": (166, 136, 38), "glass": (175, 213, 219),
}
_DYE_RGB = {
    "white": (233, 236, 236), "orange": (240, 118, 19), "magenta": (189, 68, 179), "light_blue": (58, 175, 217),
    "yellow": (248, 197, 39), "lime": (112, 185, 25), "pink": (237, 141, 172), "gray": (62, 68, 71),
    "light_gray": (142, 142, 134), "cyan": (21, 137, 145), "purple": (121, 42, 172), "blue": (53, 57, 157),
    "brown": (114, 71, 40), "green": (84, 109, 27), "red": (160, 39, 34), "black": (20, 21, 25),
}
_TERRACOTTA_RGB = {
    "white": (209, 178, 161), "orange": (161, 83, 37), "magenta": (149, 88, 108), "light_blue": (113, 108, 137),
    "yellow": (186, 133, 35), "lime": (103, 117, 52), "pink": (161, 78, 78), "gray": (57, 42, 35),
    "light_gray": (135, 106, 97), "cyan": (86, 91, 91), "purple": (118, 70, 86), "blue": (74, 59, 91),
    "brown": (77, 51, 35), "green": (76, 83, 42), "red": (143, 61, 46), "black": (37, 22, 16),
}


def material_rgb(material: str) -> tuple[int, int, int]:
    """Approximate texture colour of a vanilla full-block material (for nearest-shape choices)."""
    n = material.split("[", 1)[0].split(":", 1)[1]
    wood = _WOOD_RE.match(n)
    if wood:
        return _STEM_RGB[wood.group(1)]
    colour = _COLOR_RE.match(n)
    if colour:
        table = _TERRACOTTA_RGB if colour.group(2) == "terracotta" else _DYE_RGB
        return table[colour.group(1)]
    if n == "terracotta":
        return (152, 94, 67)
    n = _STEM_ALIASES.get(n, n)
    stem = _STEMS.get(n, n)
    return _STEM_RGB.get(stem) or color_of(material)


def _nearest(material: str, stems: tuple[str, ...] | list[str]) -> str:
    """The stem whose full block is nearest in colour (stems that exist since 1.16 only)."""
    target = material_rgb(material)
    pool = [s for s in stems if s not in _NEW_STEMS]
    return min(pool, key=lambda stem: _rgb_distance(_STEM_RGB[stem], target))


def _rgb_distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    """Squared RGB distance plus a chroma term, so greys match greys rather than pale purples."""
    chroma = (max(a) - min(a)) - (max(b) - min(b))
    return sum((x - y) * (x - y) for x, y in zip(a, b)) + 2 * chroma * chroma


def _pick(props: dict[str, str], key: str, allowed: tuple[str, ...], default: str) -> str:
    """``props[key]`` when it is one of ``allowed``, else ``default``."""
    v = props.get(key, default)
    return v if v in allowed else default


def _bool(props: dict[str, str], key: str) -> str:
    """A side connection as ``true``/``false`` (wall heights ``low``/``tall`` count as connected)."""
    return "true" if props.get(key) in ("true", "low", "tall") else "false"


def shaped(material: str, shape: str, props: dict[str, str]) -> str:
    """The vanilla block of ``shape`` made of ``material`` (a full-block state), keeping orientation.

    Args:
        material: vanilla full-block state, e.g. ``minecraft:spruce_planks``.
        shape: ``stairs``, ``slab``, ``trapdoor``, ``door``, ``fence``, ``fence_gate``, ``wall``,
            ``pane``, ``pillar`` or ``full``.
        props: the source block's properties (facing, half, type, connections...).
    """
    wl = "true" if props.get("waterlogged") == "true" else "false"
    facing = _pick(props, "facing", _HORIZONTAL, "north")
    sides = {d: _bool(props, d) for d in _HORIZONTAL}
    if shape in ("full", "pillar"):
        return material
    n = material.split("[", 1)[0].split(":", 1)[1]
    if shape == "wall" and _WOOD_RE.match(n):
        shape = "fence"  # vanilla has no wooden walls
    if shape == "fence" and _STEMS.get(_STEM_ALIASES.get(n, n)) not in (None, "nether_brick"):
        shape = "wall"  # a stone "fence" is a wall
    if shape == "pane":
        colour = _COLOR_RE.match(n)
        pane = f"minecraft:{colour.group(1)}_stained_glass_pane" if colour and "glass" in n else (
            "minecraft:white_stained_glass_pane" if "paper" in n or "white_concrete" in n else "minecraft:glass_pane")
        return format_state(pane, {**sides, "waterlogged": wl})
    stem = _stem(material, shape)
    name = f"minecraft:{stem}_{shape}"
    if shape == "stairs":
        return format_state(name, {"facing": facing, "half": _pick(props, "half", ("top", "bottom"), "bottom"),
                                   "shape": _pick(props, "shape", ("straight", "inner_left", "inner_right",
                                                                   "outer_left", "outer_right"), "straight"),
                                   "waterlogged": wl})
    if shape == "slab":
        return format_state(name, {"type": _pick(props, "type", ("top", "bottom", "double"), "bottom"),
                                   "waterlogged": wl})
    if shape == "trapdoor":
        return format_state(name, {"facing": facing, "half": _pick(props, "half", ("top", "bottom"), "bottom"),
                                   "open": _pick(props, "open", ("true", "false"), "false"), "powered": "false",
                                   "waterlogged": wl})
    if shape == "door":
        return format_state(name, {"facing": facing, "half": _pick(props, "half", ("upper", "lower"), "lower"),
                                   "hinge": _pick(props, "hinge", ("left", "right"), "left"),
                                   "open": _pick(props, "open", ("true", "false"), "false"), "powered": "false"})
    if shape == "fence":
        return format_state(name, {**sides, "waterlogged": wl})
    if shape == "fence_gate":
        return format_state(name, {"facing": facing, "in_wall": _pick(props, "in_wall", ("true", "false"), "false"),
                                   "open": _pick(props, "open", ("true", "false"), "false"), "powered": "false"})
    walls = {d: (props.get(d) if props.get(d) in ("none", "low", "tall") else
                 "low" if props.get(d) == "true" else "none") for d in _HORIZONTAL}
    up = props.get("up", "true" if list(walls.values()).count("none") != 2 else "false")
    return format_state(name, {**walls, "up": "true" if up == "true" else "false", "waterlogged": wl})


def pick_material(texture_data: dict) -> str | None:
    """The material of the main texture slot of a DO block entity's ``textureData``, or None."""
    if not isinstance(texture_data, dict) or not texture_data:
        return None
    for slot in SLOT_PRIORITY:
        v = texture_data.get(slot)
        if isinstance(v, str):
            return v
    first = next((v for v in texture_data.values() if isinstance(v, str)), None)
    return first


@lru_cache(maxsize=65536)
def vanilla_state(state: str, material: str | None = None, solid: str = "ground") -> str:
    """The vanilla block state standing in for ``state`` (canonical); vanilla states are returned as they are.

    Args:
        state: canonical block state as read from the blueprint palette.
        material: for a ``domum_ornamentum`` block, the material from its block entity
            (``textureData``); ``None`` uses the block's default texture.
        solid: ``ground`` (:data:`GROUND`) or ``air`` for ``structurize:blocksolidsubstitution``.
    """
    name, props = parse_state(state)
    if name.startswith("minecraft:"):
        return state
    if name == SOLID_PLACEHOLDER:
        return GROUND if solid == "ground" else AIR
    if name in PLACEHOLDERS:
        return PLACEHOLDERS[name]
    if name in _MOD_BLOCKS:
        template = _MOD_BLOCKS[name]
        return template.format(facing=_pick(props, "facing", _HORIZONTAL, "north"),
                               rotation=props.get("rotation", "0") if props.get("rotation", "0").isdigit() else "0")
    if _CHEST_LIKE.match(name):
        return format_state("minecraft:chest", {"facing": _pick(props, "facing", _HORIZONTAL, "north"),
                                                "type": "single", "waterlogged": "false"})
    if name.startswith(DO):
        return _domum(name[len(DO):], props, material)
    return _guess(name, props)


def _domum(n: str, props: dict[str, str], material: str | None) -> str:
    """A ``domum_ornamentum`` block -> vanilla shape and material."""
    if n == "blockbarreldeco_onside":
        return format_state("minecraft:barrel", {"facing": _pick(props, "facing", _HORIZONTAL, "north"),
                                                 "open": "false"})
    own = _do_material(n)
    if own is not None and material is None:
        return own
    mat = _material_id(material) if material else "minecraft:oak_planks"
    return shaped(mat, _DO_SHAPES.get(n, "full"), props)


def _guess(name: str, props: dict[str, str]) -> str:
    """Any other mod block: a vanilla shape from its name's suffix, material from the words before it."""
    n = name.split(":", 1)[1]
    if n.endswith("_timber_frame"):
        body = n.removesuffix("_timber_frame")
        mat = "minecraft:stone_bricks" if body.endswith("stone_bricks") else "minecraft:bricks" \
            if body.endswith("bricks") else f"minecraft:{next((w for w in _WOODS if w in body), 'oak')}_planks"
        return mat
    for shape in ("stairs", "slab", "trapdoor", "door", "fence_gate", "fence", "wall"):
        if n.endswith("_" + shape):
            base = n.removesuffix("_" + shape)
            wood = next((w for w in _WOODS if w in base), None)
            mat = f"minecraft:{wood}_planks" if wood else "minecraft:stone_bricks"
            return shaped(mat, shape, props)
    wood = next((w for w in _WOODS if w in n), None)
    return f"minecraft:{wood}_planks" if wood else "minecraft:stone"
