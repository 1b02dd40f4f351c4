"""Mapping any block state onto a training vocabulary.

A state already in the vocabulary stays. Otherwise the block's *family* decides (planks, stairs,
slabs, logs, doors, panes, fences, leaves, torches...): among the vocabulary members of the same
family the one whose properties match best wins (facing, half, type and axis weigh most,
connections next), ties going to the nearest preview colour. A few shapes are converted first:
a double slab is a full block, a closed trapdoor a slab, an open one nothing, a fence gate a
fence, a wall a full block; upside-down stairs become a top slab when the vocabulary has no
upside-down stairs. Small non-solid decoration (flowers, carpets, buttons, signs, rails...)
becomes air, small light sources become a torch. Everything else becomes the vocabulary's
nearest ordinary full block by preview colour.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from mcgen.blocks import AIR, base_name, format_state, parse_state, transform_state
from mcgen.vocab import DEFAULT_VOCAB, color_of, is_partial

# Technical blocks that stand for "nothing here" in saved structures.
AIR_LIKE = frozenset(f"minecraft:{n}" for n in (
    "air", "cave_air", "void_air", "structure_void", "jigsaw", "structure_block", "barrier", "light",
    "moving_piston", "piston_head", "fire", "soul_fire", "nether_portal", "end_portal", "end_gateway",
))
_LIGHT_DECOR = ("torch", "candle", "end_rod", "campfire")  # small light sources -> torch
_DECOR_SUFFIXES = (
    "_carpet", "_button", "_pressure_plate", "_sign", "_banner", "_sapling", "_head", "_skull", "_coral",
    "_coral_fan", "_rail", "_tulip", "_stem", "_bush", "_roots", "_fungus", "_petals", "_vines",
)
_DECOR_NAMES = frozenset((
    "grass", "short_grass", "tall_grass", "fern", "large_fern", "dandelion", "poppy", "blue_orchid", "allium",
    "azure_bluet", "oxeye_daisy", "cornflower", "lily_of_the_valley", "wither_rose", "sunflower", "lilac",
    "rose_bush", "peony", "torchflower", "vine", "ladder", "lever", "tripwire", "tripwire_hook", "redstone_wire",
    "repeater", "comparator", "rail", "flower_pot", "cobweb", "snow", "lily_pad", "sugar_cane", "wheat",
    "carrots", "potatoes", "beetroots", "cocoa", "kelp", "kelp_plant", "seagrass", "tall_seagrass", "chain",
    "string", "scaffolding", "bell", "glow_lichen", "hanging_roots", "spore_blossom", "pointed_dripstone",
    "sea_pickle", "turtle_egg", "frogspawn", "brown_mushroom", "red_mushroom", "nether_sprouts",
    "big_dripleaf", "small_dripleaf", "lightning_rod", "daylight_detector", "brewing_stand", "lava",
    "bubble_column", "cactus", "bamboo", "sweet_berry_bush", "powered_repeater", "unpowered_repeater",
    "powered_comparator", "unpowered_comparator",
))
# A full-block colour hint for blocks whose names carry no family colour (furniture, machines).
_HINTS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("_ore", (126, 126, 126)), ("ice", (145, 183, 253)), ("slime", (111, 192, 91)), ("honey", (251, 185, 52)),
    ("mushroom_stem", (203, 196, 185)), ("red_sandstone", (186, 99, 29)), ("red_nether", (69, 7, 9)),
    ("nether_brick", (44, 21, 26)), ("netherrack", (97, 38, 38)), ("blackstone", (42, 35, 40)),
    ("obsidian", (20, 18, 30)), ("end_stone", (219, 222, 158)), ("prismarine", (99, 156, 151)),
    ("purpur", (169, 125, 169)), ("basalt", (80, 80, 85)), ("magma", (142, 63, 31)), ("mud_brick", (137, 103, 79)),
    ("packed_mud", (142, 106, 79)), ("clay", (160, 166, 179)), ("granite", (149, 103, 85)),
    ("diorite", (188, 188, 188)), ("calcite", (223, 224, 220)), ("andesite", (136, 136, 136)),
    ("tuff", (108, 109, 102)), ("bone_block", (229, 225, 207)), ("pumpkin", (198, 118, 24)),
    ("melon", (111, 145, 30)), ("moss", (89, 109, 45)), ("podzol", (91, 63, 24)), ("mycelium", (111, 99, 105)),
    ("farmland", (81, 44, 15)), ("path", (148, 121, 65)), ("barrel", (114, 84, 48)), ("chest", (162, 130, 78)),
    ("crafting_table", (162, 130, 78)), ("lectern", (162, 130, 78)), ("composter", (114, 84, 48)),
    ("loom", (162, 130, 78)), ("_table", (162, 130, 78)), ("note_block", (114, 84, 48)),
    ("jukebox", (114, 84, 48)), ("beehive", (182, 146, 94)), ("furnace", (110, 110, 110)),
    ("smoker", (110, 110, 110)), ("dispenser", (110, 110, 110)), ("dropper", (110, 110, 110)),
    ("observer", (110, 110, 110)), ("piston", (110, 110, 110)), ("stonecutter", (126, 126, 126)),
    ("grindstone", (126, 126, 126)), ("anvil", (70, 70, 70)), ("cauldron", (70, 70, 70)),
    ("hopper", (70, 70, 70)), ("target", (229, 176, 168)), ("coal", (20, 20, 20)), ("redstone", (175, 24, 5)),
    ("lapis", (31, 67, 140)), ("emerald", (42, 203, 88)), ("diamond", (98, 219, 214)), ("copper", (192, 107, 79)),
    ("light_blue", (58, 175, 217)), ("light_gray", (142, 142, 134)), ("magenta", (189, 68, 179)),
    ("orange", (240, 118, 19)), ("yellow", (248, 197, 39)), ("lime", (112, 185, 25)), ("pink", (237, 141, 172)),
    ("gray", (62, 68, 71)), ("cyan", (21, 137, 145)), ("purple", (121, 42, 172)), ("brown", (114, 71, 40)),
    ("green", (84, 109, 27)),
)
_STRIP_PREFIXES = ("infested_", "cracked_", "chiseled_", "polished_", "smooth_", "cut_", "waxed_", "exposed_",
                   "weathered_", "oxidized_", "stripped_")
_SPECIAL_FULL = ("glowstone", "bookshelf", "hay_block", "glass", "_log", "water", "lava", "leaves", "mossy")
# Same block in all but name: looked up by name in the vocabulary before falling back to colour.
_ALIASES = {
    "grass_path": "dirt", "dirt_path": "dirt", "coarse_dirt": "dirt", "rooted_dirt": "dirt", "podzol": "dirt",
    "farmland": "dirt", "mud": "dirt", "moss_block": "grass_block", "red_sand": "sand", "suspicious_sand": "sand",
    "cobbled_deepslate": "cobblestone", "stone_brick": "stone_bricks", "quartz_bricks": "quartz_block",
}
_CONNECT = ("north", "east", "south", "west")
NATURAL_GROUND = frozenset(f"minecraft:{n}" for n in (
    "stone", "dirt", "grass_block", "podzol", "coarse_dirt", "rooted_dirt", "mycelium", "sand", "red_sand",
    "sandstone", "red_sandstone", "gravel", "clay", "deepslate", "tuff", "andesite", "diorite", "granite",
    "moss_block", "dirt_path", "grass_path", "mud", "snow_block", "bedrock", "netherrack", "calcite",
))
_WEIGHTS = {"facing": 8.0, "half": 8.0, "type": 8.0, "axis": 8.0, "north": 2.0, "east": 2.0, "south": 2.0,
            "west": 2.0, "hinge": 1.0, "open": 1.0}


def family(name: str) -> str | None:
    """The block family of a namespaced block name (``None`` for plain full blocks)."""
    n = name.split(":", 1)[-1]
    rules = (
        (n == "planks" or n.endswith("_planks"), "planks"), (n.endswith("_stairs"), "stairs"), (n.endswith("_slab"), "slab"),
        (n.endswith("_trapdoor"), "trapdoor"), (n.endswith("_door"), "door"), (n.endswith("_fence_gate"), "gate"),
        (n == "fence" or n.endswith("_fence"), "fence"), (n.endswith("_pane") or n == "iron_bars", "pane"),
        (n.endswith("_leaves"), "leaves"), (n.endswith("_wall"), "wall"),
        (n.endswith(("_log", "_wood", "_hyphae")) or n.endswith(("crimson_stem", "warped_stem")), "log"),
        (n == "glass" or n.endswith("_glass"), "glass"), (n in ("lantern", "soul_lantern"), "lantern"),
        (n == "water", "water"), (n.endswith("_wool"), "wool"),
        (n == "torch" or n.endswith(("_torch", "_wall_torch")), "torch"),
    )
    return next((fam for hit, fam in rules if hit), None)


def is_decoration(name: str) -> bool:
    """Small non-solid blocks that a coarse voxel build leaves out (flowers, carpets, signs...)."""
    n = name.split(":", 1)[-1]
    return n in _DECOR_NAMES or n.startswith(("potted_", "attached_")) or n.endswith(_DECOR_SUFFIXES) \
        or n.endswith("_bed") or n.endswith("_candle") or n == "candle"


def is_light_decoration(name: str) -> bool:
    """Small light sources that become a torch (torches, candles, end rods, campfires)."""
    n = name.split(":", 1)[-1]
    return any(k in n for k in _LIGHT_DECOR) and "flower" not in n


@lru_cache(maxsize=65536)
def hint_color(state: str) -> tuple[int, int, int]:
    """Preview colour used for nearest-colour matching: a name hint, else :func:`mcgen.vocab.color_of`."""
    if state in DEFAULT_VOCAB:
        return color_of(state)
    n = base_name(state).split(":", 1)[-1]
    for key, col in _HINTS:
        if key in n:
            return col
    return color_of(state)


def _dist(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    """Squared RGB distance plus a chroma term, so greys match greys rather than pale sand."""
    chroma = (max(a) - min(a)) - (max(b) - min(b))
    return sum((x - y) * (x - y) for x, y in zip(a, b)) + 2 * chroma * chroma


def _norm_value(v: str) -> str:
    return {"low": "true", "tall": "true", "none": "false"}.get(v, v)


def _prop_score(want: dict[str, str], have: dict[str, str]) -> float:
    return sum(_WEIGHTS.get(k, 0.25) for k, v in want.items() if _norm_value(have.get(k, "")) == _norm_value(v))


class VocabMapper:
    """Maps block states onto one vocabulary (cached per state).

    Args:
        states: the vocabulary, ``states[0] == "minecraft:air"``.
    """

    def __init__(self, states: Iterable[str]) -> None:
        self.states = tuple(states)
        self.index = {s: i for i, s in enumerate(self.states)}
        self._parsed = {s: parse_state(s) for s in self.states}
        self._by_family: dict[str, list[str]] = {}
        self._by_name: dict[str, list[str]] = {}
        for s, (name, _) in self._parsed.items():
            if s == AIR:
                continue
            self._by_name.setdefault(name, []).append(s)
            fam = family(name)
            if fam:
                self._by_family.setdefault(fam, []).append(s)
        plain = [s for s in self.states[1:] if not is_partial(s) and not any(k in s for k in _SPECIAL_FULL)]
        self._full = plain or [s for s in self.states[1:] if not is_partial(s)] or list(self.states[1:])
        self._cache: dict[str, str] = {}

    def __call__(self, state: str) -> str:
        """The vocabulary state standing in for ``state`` (which must be canonical)."""
        hit = self._cache.get(state)
        if hit is None:
            hit = self._cache[state] = self._map(state)
        return hit

    def _best(self, cands: list[str], props: dict[str, str], color: tuple[int, int, int]) -> str:
        return max(cands, key=lambda s: (_prop_score(props, self._parsed[s][1]), -_dist(hint_color(s), color)))

    def _nearest_full(self, color: tuple[int, int, int]) -> str:
        return min(self._full, key=lambda s: _dist(hint_color(s), color)) if self._full else AIR

    def _map(self, state: str) -> str:
        if state in self.index:
            return state
        name, props = parse_state(state)
        if name in AIR_LIKE:
            return AIR
        color = hint_color(state)
        fam = family(name)
        fam, props = self._convert(fam, props)
        if fam == "full":
            return self._material(name) or self._nearest_full(color)
        if fam == "air":
            return AIR
        cands = self._by_family.get(fam, []) if fam else []
        if cands:
            return self._best(cands, props, color)
        same = self._same_name(name)
        if same:
            return self._best(same, props, color)
        if fam in ("torch", "lantern") or is_light_decoration(name):
            light = self._by_family.get("torch") or self._by_family.get("lantern")
            return light[0] if light else AIR
        if fam in ("door", "pane", "fence", "trapdoor_slab", "water") or is_decoration(name):
            return AIR
        return self._nearest_full(color)

    def _convert(self, fam: str | None, props: dict[str, str]) -> tuple[str | None, dict[str, str]]:
        """Shape conversions for families the vocabulary may lack in that shape."""
        if fam == "slab" and props.get("type") == "double":
            return "full", props
        if fam == "trapdoor":
            if props.get("open") == "true":
                return "air", props
            return ("slab" if "slab" in self._by_family else "trapdoor_slab"), {"type": props.get("half", "bottom")}
        if fam == "gate":
            along_x = props.get("facing") in ("north", "south")  # the gate spans east-west
            dirs = ("east", "west") if along_x else ("north", "south")
            return "fence", {d: ("true" if d in dirs else "false") for d in _CONNECT}
        if fam == "wall":
            return "full", props
        if fam == "stairs" and props.get("half") == "top":
            cands = self._by_family.get("stairs", [])
            if not any(self._parsed[s][1].get("half") == "top" for s in cands):
                return "full", props  # an upside-down stair is mostly a full block
        if fam == "log" and "axis" not in props:
            return "full", props
        return fam, props

    def _material(self, name: str) -> str | None:
        """The full block a wall, slab or stair is made of (``stone_brick_wall`` -> stone bricks)."""
        ns, n = name.split(":", 1) if ":" in name else ("minecraft", name)
        for suffix in ("_fence_gate", "_wall", "_slab", "_stairs", "_fence"):
            n = n.removesuffix(suffix)
        for cand in (n, n + "_planks"):
            full = [s for s in self._same_name(f"{ns}:{cand}") if not is_partial(s)]
            if full:
                return full[0]
        return None

    def _same_name(self, name: str) -> list[str]:
        if name in self._by_name:
            return self._by_name[name]
        ns, n = name.split(":", 1) if ":" in name else ("minecraft", name)
        changed = True
        while changed:
            changed = False
            for p in _STRIP_PREFIXES:
                if n.startswith(p):
                    n, changed = n[len(p):], True
        for cand in (n, n + "s", n.removesuffix("_block"), _ALIASES.get(n, "")):
            hit = self._by_name.get(f"{ns}:{cand}")
            if hit:
                return hit
        return []


def auto_vocabulary(counts: dict[str, int], k: int, *, symmetric: bool = True) -> list[str]:
    """The most frequent states (air first), at most ``k`` including air; stable under ties.

    Args:
        counts: state -> number of blocks, over the whole input.
        k: vocabulary size including air (at least 2).
        symmetric: rank whole groups of states that the 8 up-preserving symmetries turn into
            each other (the four facings of a stair, both straight runs of a fence) by their
            total count and take a group whole or not at all, so the trainer's symmetry
            augmentation stays exact.
    """
    groups: dict[frozenset[str], int] = {}
    for state, n in counts.items():
        if state in AIR_LIKE or n <= 0:
            continue
        key = frozenset(transform_state(state, t, m) for t in range(4) for m in (False, True)) if symmetric \
            else frozenset((state,))
        groups[key] = groups.get(key, 0) + n
    vocab = [AIR]
    for group, _ in sorted(groups.items(), key=lambda kv: (-kv[1], min(kv[0]))):
        if len(vocab) + len(group) <= k:
            vocab += sorted(group, key=lambda s: (-counts.get(s, 0), s))
        if len(vocab) >= k:
            break
    return vocab


def describe_state(state: str) -> str:
    """Short form for reports: no ``minecraft:`` namespace."""
    name, props = parse_state(state)
    return format_state(name.removeprefix("minecraft:"), props)
