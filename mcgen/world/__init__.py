"""Putting structures into Minecraft Java and Bedrock saves (amulet-core; never torch, never mcgen.export).

The edition is found from the save's files (:func:`detect_edition`); every function below works
on both.

Public API::

    resolve_world(name_or_path) -> Path
    detect_edition(world_path) -> "java" | "bedrock"
    paste(world_path, placements, *, backup=True, dry_run=False, create_chunks=False, ...) -> PasteReport
    surface_y(world_path, x0, z0, x1, z1) -> int | None
    new_world(path, flat=True, mc_version=None, edition="java") -> Path   # Java 1.16.5 ... 1.21.11, Bedrock 1.21.60
    restore(world_path, backup_id=None) -> Backup
    world_info(world_path) -> dict

Submodules import amulet lazily, so importing this package stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mcgen.errors import WorldError
from mcgen.world.build import place_buildings
from mcgen.world.backup import Backup, find_backup, list_backups, restore_files
from mcgen.world.bedrock_paste import readable_copy, restore_bedrock
from mcgen.world.edition import BEDROCK, JAVA, detect_edition, is_bedrock
from mcgen.world.layout import boxes_overlap, grid_layout
from mcgen.world.leveldat import LevelInfo, read_level_info
from mcgen.world.lock import hold_lock, is_locked
from mcgen.world.locate import minecraft_saves_dir, new_world_path, resolve_world, search_dirs
from mcgen.world.log import append_log, read_log
from mcgen.world.newworld import new_world
from mcgen.world.paste import PasteReport, PlacedBox, Placement, paste, surface_y


def restore(world_path: str | os.PathLike, backup_id: str | None = None) -> tuple[Backup, list[str]]:
    """Put back the files saved in backup ``backup_id`` (default: the newest).

    Returns the backup and the relative paths restored or removed.

    Raises:
        WorldError: the game holds the world, there is no such backup, or it is of the other edition.
        FileIOError: copying failed.
    """
    world = Path(world_path)
    bedrock = is_bedrock(world)
    with hold_lock(world):
        backup = find_backup(world, backup_id)
        if bedrock:
            changed = restore_bedrock(world, backup)
        elif backup.edition != JAVA:
            raise WorldError(f"backup {backup.id} was taken from a Bedrock save, this save is a Java one", path=world)
        else:
            changed = restore_files(world, backup)
        append_log(world, {"action": "restore", "reason": f"restore {backup.id}", "backup": backup.id, "boxes": []})
    return backup, changed


def world_info(world_path: str | os.PathLike) -> dict[str, Any]:
    """Edition, version, spawn, pastes recorded in ``mcgen_log.json`` and backups (reads files only)."""
    world = Path(world_path)
    info = read_level_info(world)
    return {
        "path": str(world), "name": info.name, "edition": info.edition, "version": info.version_name,
        "game_version": list(info.game_version),
        "data_version": info.data_version, "spawn": list(info.spawn) if info.spawn else None,
        "spawn_dimension": info.spawn_dimension,
        "generator": info.generator, "locked": is_locked(world), "log": read_log(world),
        "relight_function": (world / "datapacks/mcgen/data/mcgen/function/relight.mcfunction").is_file(),
        "backups": [{"id": b.id, "created": b.created, "reason": b.reason, "files": b.files}
                    for b in list_backups(world)],
    }


__all__ = [
    "BEDROCK", "Backup", "JAVA", "LevelInfo", "PasteReport", "PlacedBox", "Placement", "append_log", "boxes_overlap",
    "detect_edition", "find_backup", "grid_layout", "is_bedrock", "list_backups", "minecraft_saves_dir", "new_world",
    "new_world_path", "paste", "place_buildings", "read_level_info", "read_log", "readable_copy", "resolve_world",
    "restore", "search_dirs", "surface_y", "world_info",
]
