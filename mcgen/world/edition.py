"""Which edition a save folder is, from its files alone, and what ``level.dat`` says about it.

- Java: ``level.dat`` is gzip-compressed big-endian NBT (``region/`` holds the chunks).
- Bedrock: ``level.dat`` starts with an 8-byte header (int32 LE storage version, int32 LE length
  of the little-endian NBT after it) and ``db/`` holds a LevelDB store (FORMATS.md 6b).

Nothing here opens the world with amulet.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from mcgen.errors import WorldError

JAVA = "java"
BEDROCK = "bedrock"
EDITIONS = (JAVA, BEDROCK)
OVERWORLD_DIM = "minecraft:overworld"
_GZIP = b"\x1f\x8b"


@dataclass(frozen=True)
class LevelInfo:
    """What ``level.dat`` says about a save.

    ``data_version`` is 0 and ``game_version`` the ``lastOpenedWithVersion`` numbers for Bedrock
    saves; ``version_name`` reads ``Bedrock 1.18.0`` there.
    """

    name: str
    data_version: int
    version_name: str
    spawn: tuple[int, int, int] | None
    generator: str
    last_played_ms: int
    spawn_dimension: str = OVERWORLD_DIM
    edition: str = JAVA
    game_version: tuple[int, ...] = field(default=())


def bedrock_header(data: bytes) -> tuple[int, int] | None:
    """``(storage version, payload length)`` when ``data`` starts like a Bedrock ``level.dat``."""
    if len(data) < 9:
        return None
    version, length = struct.unpack("<ii", data[:8])
    if 1 <= version <= 100 and length == len(data) - 8 and data[8] == 0x0A:  # a compound follows
        return version, length
    return None


def detect_edition(world: Path) -> str:
    """``"java"`` or ``"bedrock"``, from ``level.dat``'s first bytes and a ``db/`` folder.

    Raises:
        WorldError: no ``level.dat``, a Bedrock ``level.dat`` without ``db/``, or neither edition.
    """
    world = Path(world)
    path = world / "level.dat"
    if not path.is_file():
        raise WorldError("no level.dat: not a world save", path=world)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorldError(f"cannot read level.dat: {exc.strerror or exc}", path=world) from exc
    if data[:2] == _GZIP:
        return JAVA
    if bedrock_header(data) is not None:
        if not (world / "db").is_dir():
            raise WorldError("level.dat is a Bedrock one but there is no db/ folder (the LevelDB store);"
                             " copy the whole save folder", path=world)
        return BEDROCK
    raise WorldError("neither a Java save (gzip level.dat) nor a Bedrock save (level.dat with an 8-byte header"
                     " and a db/ folder)", path=world)


def is_bedrock(world: Path) -> bool:
    """True for a folder :func:`detect_edition` calls Bedrock (False for anything else, errors included)."""
    try:
        return detect_edition(world) == BEDROCK
    except WorldError:
        return False
