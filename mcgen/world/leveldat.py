"""``level.dat``: reading what ``world info`` shows, and writing one for ``world new``.

Both spawn layouts are read: ``Data.SpawnX/Y/Z`` (up to 1.21.8) and the ``Data.spawn``
compound (``{dimension, pos: IntArray[3], yaw, pitch}``, 1.21.9+). The template for new saves
follows the real saves in the fixtures (1.16.5, 1.17.1, 1.18 and 1.21.3); fields that only some
versions know (generator seeds before 1.19, ``structures`` before 1.18.2, ``structure_overrides``
after) are all written, because the game's codecs ignore keys they do not know and require the
ones they do.

Three level.dat changes after 1.21.8 are followed, each at the DataVersion of the game's own
DataFixer step that converts older saves (``DataFixers`` of 1.21.11, which also sets the field
layout that ``PrimaryLevelData`` of 1.21.11 writes):

- 4544 ``LegacyWorldBorderFix``: the ``Border*`` fields became a ``world_border`` compound that
  the game reads once into the border's own saved data. New saves leave it out (the game's
  defaults are the values older saves get here).
- 4548 ``WorldSpawnDataFix``: ``SpawnX/Y/Z`` + ``SpawnAngle`` became ``spawn{dimension, pos,
  yaw, pitch}``.
- 4658 ``GameRuleRegistryFix``: ``GameRules{doMobSpawning: "false", ...}`` (strings) became
  ``game_rules{"minecraft:spawn_mobs": 0b, ...}`` (namespaced, typed values).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import amulet_nbt as nbt
import numpy as np

from mcgen.errors import ConfigError, WorldError
from mcgen.fsutil import atomic_write_bytes
from mcgen.world.bedrock_dat import read_bedrock_info
from mcgen.world.edition import BEDROCK, OVERWORLD_DIM, LevelInfo, detect_edition

# Release name -> DataVersion (FORMATS.md 6.3, from minecraft-data's protocolVersions.json;
# 1.21.11 = 4671 also matches PyMCTranslate's table, whose 1.21.9 entry covers DataVersions up to
# 4671 = "1.21.11"). ``world new`` supports these. 26.1 moved world-gen settings, game rules and
# the overworld's region folder out of their 1.21 places; mcgen does not write that layout.
NEW_WORLD_VERSIONS: dict[str, int] = {
    "1.16.5": 2586, "1.17": 2724, "1.17.1": 2730, "1.18": 2860, "1.18.1": 2865, "1.18.2": 2975,
    "1.19": 3105, "1.19.1": 3117, "1.19.2": 3120, "1.19.3": 3218, "1.19.4": 3337,
    "1.20": 3463, "1.20.1": 3465, "1.20.2": 3578, "1.20.3": 3698, "1.20.4": 3700,
    "1.20.5": 3837, "1.20.6": 3839, "1.21": 3953, "1.21.1": 3955, "1.21.2": 4080,
    "1.21.3": 4082, "1.21.4": 4189, "1.21.5": 4325, "1.21.6": 4435, "1.21.7": 4438,
    "1.21.8": 4440, "1.21.9": 4554, "1.21.10": 4556, "1.21.11": 4671,
}
# Release names for DataVersions ``world info`` may meet that ``world new`` does not write.
KNOWN_VERSIONS: dict[str, int] = {
    "1.16": 2566, "1.16.1": 2567, "1.16.2": 2578, "1.16.3": 2580, "1.16.4": 2584, **NEW_WORLD_VERSIONS,
    "26.1": 4786, "26.1.1": 4788, "26.1.2": 4790, "26.2": 4903, "26.3": 5023,
}
# First DataVersions of the level.dat layouts (see the module docstring).
WORLD_BORDER_COMPOUND_DV = 4544
SPAWN_COMPOUND_DV = 4548
GAME_RULE_REGISTRY_DV = 4658
# What new saves set: no mob spawning, fixed noon, no weather (old name, new name).
_GAME_RULES = (("doMobSpawning", "minecraft:spawn_mobs"), ("doDaylightCycle", "minecraft:advance_time"),
               ("doWeatherCycle", "minecraft:advance_weather"))
DEFAULT_NEW_VERSION = "1.21.3"
FLAT_LAYERS = (("minecraft:bedrock", 1), ("minecraft:dirt", 2), ("minecraft:grass_block", 1))


def _load(path: Path) -> nbt.CompoundTag:
    try:
        root = nbt.load(str(path)).compound
    except Exception as exc:  # amulet_nbt raises several types for corrupt data
        raise WorldError(f"cannot read level.dat: {exc}", path=path) from exc
    data = root.get("Data")
    if not isinstance(data, nbt.CompoundTag):
        raise WorldError("level.dat has no Data compound", path=path)
    return data


def read_spawn(data: nbt.CompoundTag) -> tuple[int, int, int] | None:
    """Spawn from either layout: ``SpawnX/Y/Z`` or the 1.21.9+ ``spawn{pos: [x, y, z]}``."""
    spawn = data.get("spawn")
    if isinstance(spawn, nbt.CompoundTag):
        pos = spawn.get("pos")
        if isinstance(pos, nbt.IntArrayTag):
            xyz = [int(v) for v in pos.np_array]
        elif isinstance(pos, nbt.ListTag) and all(isinstance(v, nbt.IntTag) for v in pos):
            xyz = [int(v.py_int) for v in pos]  # the game's codec also accepts a list of ints
        else:
            xyz = []
        if len(xyz) == 3:
            return xyz[0], xyz[1], xyz[2]
    if all(isinstance(data.get(k), nbt.IntTag) for k in ("SpawnX", "SpawnY", "SpawnZ")):
        return tuple(int(data[k].py_int) for k in ("SpawnX", "SpawnY", "SpawnZ"))  # type: ignore[return-value]
    return None


def read_spawn_dimension(data: nbt.CompoundTag) -> str:
    """Dimension of the spawn: ``spawn.dimension`` (1.21.9+ may put it anywhere), else the overworld."""
    spawn = data.get("spawn")
    if isinstance(spawn, nbt.CompoundTag) and isinstance(spawn.get("dimension"), nbt.StringTag):
        return spawn["dimension"].py_str or OVERWORLD_DIM
    return OVERWORLD_DIM


def read_level_info(world: Path) -> LevelInfo:
    """Read ``<world>/level.dat`` of a Java or Bedrock save (without opening the world through amulet).

    Raises:
        WorldError: missing or unreadable ``level.dat``, or a folder of neither edition.
    """
    if detect_edition(Path(world)) == BEDROCK:
        return read_bedrock_info(Path(world))
    path = Path(world) / "level.dat"
    data = _load(path)
    version = data.get("Version")
    dv = data.get("DataVersion")
    dv_int = int(dv.py_int) if isinstance(dv, nbt.IntTag) else 0
    name = ""
    if isinstance(version, nbt.CompoundTag) and isinstance(version.get("Name"), nbt.StringTag):
        name = version["Name"].py_str
    if not name:
        name = next((k for k, v in KNOWN_VERSIONS.items() if v == dv_int), f"DataVersion {dv_int}")
    gen = ""
    try:
        gen = data["WorldGenSettings"]["dimensions"]["minecraft:overworld"]["generator"]["type"].py_str
    except (KeyError, TypeError, AttributeError):
        gen = "unknown"
    lp = data.get("LastPlayed")
    return LevelInfo(
        name=data["LevelName"].py_str if isinstance(data.get("LevelName"), nbt.StringTag) else "",
        data_version=dv_int, version_name=name, spawn=read_spawn(data), generator=gen,
        last_played_ms=int(lp.py_int) if isinstance(lp, nbt.LongTag) else 0,
        spawn_dimension=read_spawn_dimension(data),
    )


def _flat_settings() -> nbt.CompoundTag:
    layers = nbt.ListTag([nbt.CompoundTag({"block": nbt.StringTag(b), "height": nbt.IntTag(h)}) for b, h in FLAT_LAYERS])
    village = nbt.CompoundTag({"spacing": nbt.IntTag(32), "separation": nbt.IntTag(8), "salt": nbt.IntTag(10387312)})
    return nbt.CompoundTag({
        "biome": nbt.StringTag("minecraft:plains"), "features": nbt.ByteTag(0), "lakes": nbt.ByteTag(0),
        "layers": layers,
        # <= 1.18.1 requires ``structures``; >= 1.18.2 reads ``structure_overrides``.
        "structures": nbt.CompoundTag({
            "stronghold": nbt.CompoundTag({"distance": nbt.IntTag(32), "spread": nbt.IntTag(3), "count": nbt.IntTag(128)}),
            "structures": nbt.CompoundTag({"minecraft:village": village}),
        }),
        "structure_overrides": nbt.ListTag([nbt.StringTag("minecraft:strongholds"), nbt.StringTag("minecraft:villages")]),
    })


def _dimensions(seed: int) -> nbt.CompoundTag:
    s = nbt.LongTag(seed)

    def noise(settings: str, source: nbt.CompoundTag) -> nbt.CompoundTag:
        # ``seed`` fields are required before 1.19 and ignored after.
        return nbt.CompoundTag({"type": nbt.StringTag("minecraft:noise"), "settings": nbt.StringTag(settings),
                                "seed": s, "biome_source": source})

    nether_src = nbt.CompoundTag({"type": nbt.StringTag("minecraft:multi_noise"),
                                  "preset": nbt.StringTag("minecraft:nether"), "seed": s})
    end_src = nbt.CompoundTag({"type": nbt.StringTag("minecraft:the_end"), "seed": s})
    return nbt.CompoundTag({
        "minecraft:overworld": nbt.CompoundTag({
            "type": nbt.StringTag("minecraft:overworld"),
            "generator": nbt.CompoundTag({"type": nbt.StringTag("minecraft:flat"), "settings": _flat_settings()}),
        }),
        "minecraft:the_nether": nbt.CompoundTag({"type": nbt.StringTag("minecraft:the_nether"),
                                                 "generator": noise("minecraft:nether", nether_src)}),
        "minecraft:the_end": nbt.CompoundTag({"type": nbt.StringTag("minecraft:the_end"),
                                              "generator": noise("minecraft:end", end_src)}),
    })


def version_data(mc_version: str) -> int:
    """DataVersion of a release ``world new`` supports.

    Raises:
        ConfigError: unknown or unsupported release.
    """
    try:
        return NEW_WORLD_VERSIONS[mc_version]
    except KeyError:
        raise ConfigError(
            f"unsupported --mc-version {mc_version!r}; choose one of {', '.join(NEW_WORLD_VERSIONS)}"
        ) from None


def build_level_dat(name: str, mc_version: str, spawn: tuple[int, int, int], *, seed: int | None = None) -> bytes:
    """Gzipped ``level.dat`` for a flat creative world of ``mc_version`` with commands allowed.

    Spawn, world border and game rules take the layout of that version (module docstring).

    Raises:
        ConfigError: unsupported ``mc_version``.
    """
    dv = version_data(mc_version)
    seed = random.Random().getrandbits(63) if seed is None else int(seed)
    data = nbt.CompoundTag({
        "DataVersion": nbt.IntTag(dv), "version": nbt.IntTag(19133),
        "Version": nbt.CompoundTag({"Id": nbt.IntTag(dv), "Name": nbt.StringTag(mc_version),
                                    "Series": nbt.StringTag("main"), "Snapshot": nbt.ByteTag(0)}),
        "LevelName": nbt.StringTag(name), "LastPlayed": nbt.LongTag(int(time.time() * 1000)),
        "GameType": nbt.IntTag(1), "Difficulty": nbt.ByteTag(1), "DifficultyLocked": nbt.ByteTag(0),
        "hardcore": nbt.ByteTag(0), "allowCommands": nbt.ByteTag(1), "initialized": nbt.ByteTag(1),
        "Time": nbt.LongTag(0), "DayTime": nbt.LongTag(6000),
        "raining": nbt.ByteTag(0), "rainTime": nbt.IntTag(0), "thundering": nbt.ByteTag(0),
        "thunderTime": nbt.IntTag(0), "clearWeatherTime": nbt.IntTag(0),
        "WasModded": nbt.ByteTag(0), "ServerBrands": nbt.ListTag([nbt.StringTag("vanilla")]),
        "WanderingTraderSpawnChance": nbt.IntTag(25), "WanderingTraderSpawnDelay": nbt.IntTag(24000),
        "CustomBossEvents": nbt.CompoundTag({}), "ScheduledEvents": nbt.ListTag([], 0),
        "DataPacks": nbt.CompoundTag({"Enabled": nbt.ListTag([nbt.StringTag("vanilla")]), "Disabled": nbt.ListTag([], 0)}),
        "WorldGenSettings": nbt.CompoundTag({
            "seed": nbt.LongTag(seed - (1 << 63) if seed >= (1 << 63) else seed),
            "generate_features": nbt.ByteTag(0), "bonus_chest": nbt.ByteTag(0),
            "dimensions": _dimensions(seed),
        }),
    })
    for key, tag in {**_spawn_fields(spawn, dv), **_border_fields(dv), **_game_rule_fields(dv)}.items():
        data[key] = tag
    return nbt.NamedTag(nbt.CompoundTag({"Data": data}), "").to_nbt(compressed=True, little_endian=False)


def _spawn_fields(spawn: tuple[int, int, int], dv: int) -> dict[str, nbt.AnyNBT]:
    """``SpawnX/Y/Z`` + ``SpawnAngle`` before DataVersion 4548, the ``spawn`` compound from it on."""
    if dv < SPAWN_COMPOUND_DV:
        return {"SpawnX": nbt.IntTag(spawn[0]), "SpawnY": nbt.IntTag(spawn[1]), "SpawnZ": nbt.IntTag(spawn[2]),
                "SpawnAngle": nbt.FloatTag(0.0)}
    pos = nbt.IntArrayTag(np.array(spawn, dtype=np.int32))
    return {"spawn": nbt.CompoundTag({"dimension": nbt.StringTag(OVERWORLD_DIM), "pos": pos,
                                      "yaw": nbt.FloatTag(0.0), "pitch": nbt.FloatTag(0.0)})}


def _border_fields(dv: int) -> dict[str, nbt.AnyNBT]:
    """The vanilla world border; from DataVersion 4544 on left to the game (same defaults)."""
    if dv >= WORLD_BORDER_COMPOUND_DV:
        return {}
    d = nbt.DoubleTag
    return {"BorderCenterX": d(0.0), "BorderCenterZ": d(0.0), "BorderSize": d(59999968.0),
            "BorderSizeLerpTarget": d(59999968.0), "BorderSizeLerpTime": nbt.LongTag(0),
            "BorderSafeZone": d(5.0), "BorderDamagePerBlock": d(0.2), "BorderWarningBlocks": d(5.0),
            "BorderWarningTime": d(15.0)}


def _game_rule_fields(dv: int) -> dict[str, nbt.AnyNBT]:
    """Mobs, daylight cycle and weather off: ``GameRules`` strings, or typed ``game_rules`` from 4658."""
    if dv < GAME_RULE_REGISTRY_DV:
        return {"GameRules": nbt.CompoundTag({old: nbt.StringTag("false") for old, _ in _GAME_RULES})}
    return {"game_rules": nbt.CompoundTag({new: nbt.ByteTag(0) for _, new in _GAME_RULES})}


def write_level_dat(world: Path, payload: bytes) -> None:
    """Write ``level.dat`` atomically."""
    atomic_write_bytes(Path(world) / "level.dat", payload)
