"""Finding world saves: ``--into`` resolution, saves folders, and where a save keeps its regions."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcgen.errors import WorldError

OVERWORLD = "minecraft:overworld"
# 26.1+ (DataVersion >= 4786) keeps the overworld under dimensions/; older saves under region/.
_REGION_DIRS = (Path("dimensions/minecraft/overworld/region"), Path("region"))


def minecraft_saves_dir() -> Path:
    """The platform's default Minecraft Java saves folder (it may not exist)."""
    home = Path.home()
    if sys.platform.startswith("win"):
        return Path(os.environ.get("APPDATA", home / "AppData" / "Roaming")) / ".minecraft" / "saves"
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / "minecraft" / "saves"
    return home / ".minecraft" / "saves"


def search_dirs(cwd: Path | None = None) -> list[Path]:
    """Folders a bare world name is looked up in, in order: ``./worlds``, then the saves folder."""
    return [Path(cwd or Path.cwd()) / "worlds", minecraft_saves_dir()]


def is_world(path: Path) -> bool:
    """True when ``path`` is a folder holding a ``level.dat``."""
    return path.is_dir() and (path / "level.dat").is_file()


def resolve_world(name_or_path: str | os.PathLike, *, cwd: Path | None = None) -> Path:
    """Turn ``--into`` into a save folder.

    A value with a path separator (or an existing folder) is used as a path; a bare name is
    looked up in ``./worlds/NAME`` and then in the platform's Minecraft saves folder.

    Raises:
        WorldError: not found (the message lists every place looked at), or not a save.
    """
    text = str(name_or_path)
    if not text.strip():
        raise WorldError("empty world name")
    p = Path(text).expanduser()
    is_path = os.sep in text or "/" in text or (os.altsep and os.altsep in text) or p.is_dir()
    if is_path:
        candidates = [p if p.is_absolute() else Path(cwd or Path.cwd()) / p]
    else:
        candidates = [d / text for d in search_dirs(cwd)]
    for c in candidates:
        if is_world(c):
            return c.resolve()
    for c in candidates:
        if c.is_dir():
            raise WorldError("is a folder but not a Minecraft world save (no level.dat)", path=c)
    looked = ", ".join(str(c) for c in candidates)
    raise WorldError(f"world {text!r} not found; looked in: {looked}")


def new_world_path(name_or_path: str | os.PathLike, *, cwd: Path | None = None) -> Path:
    """Where ``world new NAME`` creates a save: a path as given, a bare name under ``./worlds``."""
    text = str(name_or_path)
    p = Path(text).expanduser()
    if os.sep in text or "/" in text or p.is_absolute():
        return p if p.is_absolute() else Path(cwd or Path.cwd()) / p
    return Path(cwd or Path.cwd()) / "worlds" / text


def region_dir(world: Path) -> Path:
    """The overworld region folder relative to the save (``region`` or the 26.1+ layout)."""
    for rel in _REGION_DIRS:
        if (world / rel).is_dir():
            return rel
    return Path("region")


def region_file(world: Path, rx: int, rz: int) -> Path:
    """Relative path of region ``(rx, rz)`` of the overworld."""
    return region_dir(world) / f"r.{rx}.{rz}.mca"
