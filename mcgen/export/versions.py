"""Java game versions: release -> DataVersion, and which block states a version knows.

The DataVersion table is the one in FORMATS.md section 6.3 (from minecraft-data). The
existence check covers the default vocabulary and the common building blocks whose name,
introduction or properties changed since 1.16; a name it does not list is assumed to exist
(it can only report what it knows to be missing).
"""

from __future__ import annotations

import re
from functools import lru_cache

from mcgen.blocks import RENAMED_IDS, parse_state, spelled_for
from mcgen.errors import ExportError
from mcgen.grid import VoxelGrid

DATA_VERSIONS: dict[str, int] = {
    "1.16": 2566, "1.16.1": 2567, "1.16.2": 2578, "1.16.3": 2580, "1.16.4": 2584, "1.16.5": 2586,
    "1.17": 2724, "1.17.1": 2730, "1.18": 2860, "1.18.1": 2865, "1.18.2": 2975,
    "1.19": 3105, "1.19.1": 3117, "1.19.2": 3120, "1.19.3": 3218, "1.19.4": 3337,
    "1.20": 3463, "1.20.1": 3465, "1.20.2": 3578, "1.20.3": 3698, "1.20.4": 3700, "1.20.5": 3837,
    "1.20.6": 3839, "1.21": 3953, "1.21.1": 3955, "1.21.2": 4080, "1.21.3": 4082, "1.21.4": 4189,
    "1.21.5": 4325, "1.21.6": 4435, "1.21.7": 4438, "1.21.8": 4440, "1.21.9": 4554, "1.21.10": 4556,
    "1.21.11": 4671, "26.1": 4786, "26.1.1": 4788, "26.1.2": 4790, "26.2": 4903, "26.3": 5023,
}
DEFAULT_MC_VERSION = "1.21.4"
FLATTENING_DV = 1451  # 17w47a: block names before this are numeric-era (1.12) names

# (pattern on the block id, first DataVersion that has it); most specific first.
_INTRODUCED: list[tuple[re.Pattern[str], int]] = [(re.compile(p), dv) for p, dv in [
    (r"^(dried_ghast|.*_harness)$", 4435),
    (r"^(copper_chest|.*copper_chest|copper_golem_statue|.*_shelf|copper_torch|copper_wall_torch|"
     r"copper_lantern|.*copper_lantern|copper_bars|.*copper_bars|copper_chain|.*copper_chain|iron_chain|"
     r"lightning_rod_.*)$", 4554),
    (r"^(leaf_litter|wildflowers|bush|firefly_bush|cactus_flower|short_dry_grass|tall_dry_grass|"
     r"test_block|test_instance_block)$", 4325),
    (r"(pale_oak|pale_moss|pale_hanging_moss|resin|creaking|eyeblossom)", 4189),
    (r"(tuff_|polished_tuff|chiseled_tuff|copper_grate|copper_bulb|copper_door|copper_trapdoor|"
     r"chiseled_copper|^crafter$|trial_spawner|^vault$|heavy_core)", 3953),
    (r"^short_grass$", 3698),
    (r"(cherry|bamboo_planks|bamboo_block|bamboo_mosaic|bamboo_.*(stairs|slab|fence|door|sign|button|"
     r"pressure_plate|raft)|chiseled_bookshelf|decorated_pot|suspicious_|pink_petals|torchflower|pitcher|"
     r"sniffer|calibrated_sculk|.*_hanging_sign)", 3463),
    (r"(mangrove|mud|sculk|frogspawn|froglight|reinforced_deepslate)", 3105),
    (r"(deepslate|copper|amethyst|calcite|^tuff$|dripstone|moss_|azalea|glow_lichen|candle|"
     r"raw_(iron|gold|copper)_block|powder_snow|rooted_dirt|spore_blossom|lightning_rod|tinted_glass|"
     r"smooth_basalt|big_dripleaf|small_dripleaf|cave_vines|hanging_roots|^light$)", 2724),
]]
# Blocks that were renamed away: (pattern, last DataVersion that had the old name).
_REMOVED: list[tuple[re.Pattern[str], int]] = [
    (re.compile(rf"^{re.escape(old.partition(':')[2])}$"), since - 1) for old, _, since in RENAMED_IDS
]
# (pattern on the block id, property, first DataVersion that has the property).
_PROPERTY_SINCE: list[tuple[re.Pattern[str], str, int]] = [
    (re.compile(r"_leaves$"), "waterlogged", 3105),
]


def data_version(mc_version: str | None) -> int:
    """DataVersion for a release such as ``"1.20.4"`` (``None`` -> the default release).

    Raises:
        ExportError: an unknown version string.
    """
    v = DEFAULT_MC_VERSION if mc_version is None else str(mc_version).strip()
    if v not in DATA_VERSIONS:
        known = ", ".join(list(DATA_VERSIONS)[:1] + ["..."] + list(DATA_VERSIONS)[-1:])
        raise ExportError(f"unknown Minecraft version {v!r} (known: {known})")
    return DATA_VERSIONS[v]


def version_name(dv: int) -> str:
    """Release name for a DataVersion (nearest release at or below it, or ``"DV n"``)."""
    best = None
    for name, d in DATA_VERSIONS.items():
        if d <= dv and (best is None or d >= DATA_VERSIONS[best]):
            best = name
    return best if best is not None else f"DV {dv}"


@lru_cache(maxsize=65536)
def missing_in_version(state: str, dv: int) -> str | None:
    """Why ``state`` does not exist at DataVersion ``dv``, or None when it does (as far as known)."""
    name, props = parse_state(state)
    ns, _, bid = name.partition(":")
    if ns != "minecraft":
        return None
    for pat, since in _INTRODUCED:
        if pat.search(bid):
            if dv < since:
                return f"{name} was added in {version_name(since)}"
            break
    for pat, last in _REMOVED:
        if pat.search(bid) and dv > last:
            return f"{name} was renamed in {version_name(last + 1)}"
    for pat, prop, since in _PROPERTY_SINCE:
        if pat.search(bid) and prop in props and dv < since:
            return f"{name} has no '{prop}' property before {version_name(since)}"
    return None


def spelled_for_version(grid: VoxelGrid, dv: int) -> VoxelGrid:
    """``grid`` with each renamed block in the spelling of DataVersion ``dv`` (grass <-> short_grass)."""
    return grid.mapped(lambda s: spelled_for(s, dv))


def check_states(states: list[str], dv: int) -> None:
    """Refuse states that do not exist at DataVersion ``dv``, listing every one of them.

    Raises:
        ExportError: one or more states are unknown to that game version.
    """
    bad = [f"{s} ({why})" for s in states if (why := missing_in_version(s, dv))]
    if bad:
        raise ExportError(
            f"{len(bad)} block state(s) do not exist in Minecraft {version_name(dv)} (DataVersion {dv}): "
            + "; ".join(bad)
        )
