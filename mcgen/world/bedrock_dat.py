"""Bedrock ``level.dat``: reading what ``world info`` shows, the versions mcgen writes, and a new one.

The file is an 8-byte header (int32 LE storage version, int32 LE payload length) followed by
uncompressed little-endian NBT (FORMATS.md 6b). The template for new saves follows the
game-made 1.18 superflat fixture field for field, with the version, name, spawn, seed, times
and the flat layers of the new save; fields a newer game adds are filled in by the game.
"""

from __future__ import annotations

import json
import random
import struct
import time
from functools import lru_cache
from pathlib import Path

import amulet_nbt as nbt

from mcgen.errors import ConfigError, WorldError
from mcgen.world.edition import BEDROCK, LevelInfo, bedrock_header

GENERATORS = {0: "legacy", 1: "infinite", 2: "flat", 5: "void"}
MIN_WRITABLE = (1, 16, 0)  # the oldest saves mcgen was tested on (fixtures: 1.16.200, 1.17.40, 1.18.0)
READABLE_STORAGE = range(4, 11)  # level.dat storage versions amulet-core reads
NEW_WORLD_VERSIONS = {"1.21.60": (1, 21, 60, 0, 0)}  # ``world new --edition bedrock`` (the table's own)
DEFAULT_NEW_VERSION = "1.21.60"
FLAT_LAYERS = (("minecraft:bedrock", 1), ("minecraft:dirt", 2), ("minecraft:grass_block", 1))
UNSET_SPAWN_Y = 32767  # the game puts the player on the surface


def normalise_version(numbers: tuple[int, ...]) -> tuple[int, ...]:
    """``lastOpenedWithVersion`` as a release number: year-based releases are written ``1.26.10...``."""
    if len(numbers) > 1 and numbers[0] == 1 and numbers[1] >= 26:
        return tuple(numbers[1:])
    return tuple(numbers)


def version_text(numbers: tuple[int, ...]) -> str:
    """``Bedrock 1.18.0`` (the first three numbers)."""
    return "Bedrock " + (".".join(str(n) for n in numbers[:3]) if numbers else "(unknown version)")


def load_bedrock_dat(world: Path) -> tuple[int, nbt.CompoundTag]:
    """``(storage version, root compound)`` of a Bedrock ``level.dat``.

    Raises:
        WorldError: unreadable, or not a Bedrock ``level.dat``.
    """
    path = Path(world) / "level.dat"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorldError(f"cannot read level.dat: {exc.strerror or exc}", path=world) from exc
    head = bedrock_header(data)
    if head is None:
        raise WorldError("level.dat has no Bedrock header", path=world)
    try:
        root = nbt.load(data[8:], compressed=False, little_endian=True,
                        string_decoder=nbt.utf8_escape_decoder).compound
    except Exception as exc:  # amulet_nbt raises several types for corrupt data
        raise WorldError(f"cannot read level.dat: {exc}", path=world) from exc
    return head[0], root


def _int(root: nbt.CompoundTag, key: str) -> int | None:
    tag = root.get(key)
    return int(tag.py_int) if isinstance(tag, (nbt.IntTag, nbt.LongTag, nbt.ByteTag, nbt.ShortTag)) else None


def read_bedrock_info(world: Path) -> LevelInfo:
    """What a Bedrock ``level.dat`` says (version from ``lastOpenedWithVersion``).

    Raises:
        WorldError: unreadable ``level.dat``.
    """
    _, root = load_bedrock_dat(world)
    opened = root.get("lastOpenedWithVersion")
    numbers = tuple(int(t.py_int) for t in opened) if isinstance(opened, nbt.ListTag) else ()
    version = normalise_version(numbers)
    xyz = [_int(root, k) for k in ("SpawnX", "SpawnY", "SpawnZ")]
    name = root.get("LevelName")
    return LevelInfo(
        name=name.py_str if isinstance(name, nbt.StringTag) else "", data_version=0,
        version_name=version_text(version), spawn=tuple(xyz) if None not in xyz else None,  # type: ignore[arg-type]
        generator=GENERATORS.get(_int(root, "Generator") or 0, "unknown"),
        last_played_ms=1000 * (_int(root, "LastPlayed") or 0), edition=BEDROCK, game_version=version)


@lru_cache(maxsize=1)
def newest_writable() -> tuple[int, ...]:
    """The newest Bedrock release amulet-core's translation tables (PyMCTranslate) know."""
    import PyMCTranslate  # noqa: PLC0415 - only when a Bedrock save is written

    return tuple(max(PyMCTranslate.new_translation_manager().version_numbers("bedrock")))


def check_writable(world: Path, info: LevelInfo) -> None:
    """Refuse a Bedrock save that mcgen cannot write safely (checked before anything is touched).

    Raises:
        WorldError: a level.dat storage version amulet cannot read, or a game version outside
            ``MIN_WRITABLE`` .. :func:`newest_writable`.
    """
    storage, _ = load_bedrock_dat(world)
    newest = newest_writable()
    span = f"mcgen writes Bedrock saves from {'.'.join(map(str, MIN_WRITABLE))} to {'.'.join(map(str, newest))}"
    if storage not in READABLE_STORAGE:
        raise WorldError(f"level.dat storage version {storage} cannot be read by amulet-core; {span}", path=world)
    version = info.game_version[:3]
    if not version:
        raise WorldError(f"level.dat has no lastOpenedWithVersion, so the save's version is unknown; {span}",
                         path=world)
    if version < MIN_WRITABLE:
        raise WorldError(f"this save is from {info.version_name}; {span} (open it in a newer game first)", path=world)
    if version > newest[:3]:
        raise WorldError(f"this save is from {info.version_name}; {span} (amulet-core's tables end there;"
                         " update amulet-core)", path=world)


def new_version(mc_version: str | None) -> tuple[int, ...]:
    """``lastOpenedWithVersion`` of a new save of ``mc_version`` (default :data:`DEFAULT_NEW_VERSION`).

    Raises:
        ConfigError: a release ``world new --edition bedrock`` does not write.
    """
    key = mc_version or DEFAULT_NEW_VERSION
    if key not in NEW_WORLD_VERSIONS:
        raise ConfigError(f"unsupported --mc-version {key!r} for a Bedrock save; choose "
                          f"{', '.join(NEW_WORLD_VERSIONS)}")
    return NEW_WORLD_VERSIONS[key]


def _flat_layers_json() -> str:
    layers = [{"block_name": b, "count": n} for b, n in FLAT_LAYERS]
    return json.dumps({"biome_id": 1, "block_layers": layers, "encoding_version": 6, "structure_options": None,
                       "world_version": "version.post_1_18"}, separators=(",", ":"))


def _flags(names: str, value: int) -> dict[str, nbt.ByteTag]:
    return {k: nbt.ByteTag(value) for k in names.split()}


def build_bedrock_level_dat(name: str, version: tuple[int, ...], spawn: tuple[int, int, int], *,
                            seed: int | None = None) -> bytes:
    """``level.dat`` bytes of a flat creative Bedrock save with commands on, no mobs, fixed noon."""
    seed = random.Random().getrandbits(31) if seed is None else int(seed) & 0x7FFFFFFF
    now = int(time.time())
    ver = nbt.ListTag([nbt.IntTag(v) for v in version])
    root = nbt.CompoundTag({
        "LevelName": nbt.StringTag(name), "StorageVersion": nbt.IntTag(10), "WorldVersion": nbt.IntTag(1),
        "lastOpenedWithVersion": ver,
        "MinimumCompatibleClientVersion": nbt.ListTag([nbt.IntTag(v) for v in version]),
        "InventoryVersion": nbt.StringTag(".".join(map(str, version[:3]))), "NetworkVersion": nbt.IntTag(0),
        "Generator": nbt.IntTag(2), "FlatWorldLayers": nbt.StringTag(_flat_layers_json()),
        "BiomeOverride": nbt.StringTag(""), "RandomSeed": nbt.LongTag(seed),
        "SpawnX": nbt.IntTag(spawn[0]), "SpawnY": nbt.IntTag(spawn[1]), "SpawnZ": nbt.IntTag(spawn[2]),
        "LimitedWorldOriginX": nbt.IntTag(spawn[0]), "LimitedWorldOriginY": nbt.IntTag(UNSET_SPAWN_Y),
        "LimitedWorldOriginZ": nbt.IntTag(spawn[2]), "limitedWorldDepth": nbt.IntTag(16),
        "limitedWorldWidth": nbt.IntTag(16), "LastPlayed": nbt.LongTag(now), "Time": nbt.LongTag(6000),
        "currentTick": nbt.LongTag(0), "GameType": nbt.IntTag(1), "Difficulty": nbt.IntTag(0),
        "Platform": nbt.IntTag(2),
        "NetherScale": nbt.IntTag(8), "PlatformBroadcastIntent": nbt.IntTag(3), "XBLBroadcastIntent": nbt.IntTag(3),
        "eduOffer": nbt.IntTag(0), "functioncommandlimit": nbt.IntTag(10000),
        "maxcommandchainlength": nbt.IntTag(65535),
        "randomtickspeed": nbt.IntTag(1), "serverChunkTickRange": nbt.IntTag(4), "spawnradius": nbt.IntTag(5),
        "lightningLevel": nbt.FloatTag(0.0), "lightningTime": nbt.IntTag(100000), "rainLevel": nbt.FloatTag(0.0),
        "rainTime": nbt.IntTag(100000), "baseGameVersion": nbt.StringTag("*"), "prid": nbt.StringTag(""),
        "worldStartCount": nbt.LongTag(0), "world_policies": nbt.CompoundTag({}),
        "experiments": nbt.CompoundTag(_flags("experiments_ever_used saved_with_toggled_experiments", 0)),
        "abilities": _abilities(),
        **_flags("commandsEnabled commandblocksenabled commandblockoutput hasBeenLoadedInCreative "
                 "LANBroadcast LANBroadcastIntent MultiplayerGame MultiplayerGameIntent doentitydrops "
                 "dofiretick domobloot dotiledrops drowningdamage falldamage firedamage freezedamage "
                 "mobgriefing naturalregeneration pvp sendcommandfeedback showdeathmessages showtags "
                 "tntexplodes respawnblocksexplode showbordereffect doinsomnia spawnMobs", 1),
        **_flags("dodaylightcycle domobspawning doweathercycle keepinventory doimmediaterespawn "
                 "bonusChestEnabled bonusChestSpawned CenterMapsToOrigin ConfirmedPlatformLockedContent "
                 "ForceGameType SpawnV1Villagers educationFeaturesEnabled hasLockedBehaviorPack "
                 "hasLockedResourcePack immutableWorld isFromLockedTemplate isFromWorldTemplate "
                 "isSingleUseWorld isWorldTemplateOptionLocked requiresCopiedPackRemovalCheck "
                 "showcoordinates startWithMapEnabled texturePacksRequired useMsaGamertagsOnly", 0),
    })
    payload = nbt.NamedTag(root, "").to_nbt(compressed=False, little_endian=True,
                                           string_encoder=nbt.utf8_escape_encoder)
    return struct.pack("<ii", 10, len(payload)) + payload


def _abilities() -> nbt.CompoundTag:
    tags: dict[str, nbt.AnyNBT] = {**_flags("attackmobs attackplayers build doorsandswitches mine opencontainers", 1),
                                   **_flags("flying instabuild invulnerable lightning mayfly op teleport", 0)}
    tags.update({"flySpeed": nbt.FloatTag(0.05), "walkSpeed": nbt.FloatTag(0.1),
                 "permissionsLevel": nbt.IntTag(0), "playerPermissionsLevel": nbt.IntTag(1)})
    return nbt.CompoundTag(tags)
