"""Backups inside the save (``mcgen_backups/<ID>/``) and putting them back.

A backup holds copies of the files a paste is about to replace (touched region files plus
``level.dat``; for a Bedrock save every file of ``db/``, its table files hard-linked where the
file system allows) under their paths relative to the save, and ``backup.json`` listing them,
the save's edition and the region files that did not exist before (restore deletes those).

Backups do not pile up: each new one prunes the save's older backups down to the newest
``keep`` (:func:`backup_keep`: ``$MCGEN_KEEP_BACKUPS``, default 10, 0 keeps all), counting the
new one. If the paste then fails, its backup is dropped again, so that save holds one backup
fewer until the next paste; every kept backup still restores.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mcgen.errors import ConfigError, FileIOError, WorldError
from mcgen.fsutil import atomic_write_text

BACKUP_DIR = "mcgen_backups"
MANIFEST = "backup.json"
DEFAULT_KEEP = 10
KEEP_ENV = "MCGEN_KEEP_BACKUPS"


@dataclass(frozen=True)
class Backup:
    """One backup folder."""

    id: str
    path: Path
    created: str
    files: list[str]
    absent: list[str]
    reason: str
    edition: str = "java"


def _new_id(root: Path) -> str:
    """``YYYYMMDD-HHMMSS``, or with ``-N`` after the highest N of that second (even a pruned one's
    name is not taken again, so ids keep sorting in the order they were made)."""
    base = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    taken = [p.name for p in root.iterdir()] if root.is_dir() else []
    ns = [1 for n in taken if n == base] + [int(n[len(base) + 1:]) for n in taken
                                            if n.startswith(base + "-") and n[len(base) + 1:].isdigit()]
    return base if not ns else f"{base}-{max(ns) + 1}"


def copy_file(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` through a temp file and a rename (never a half-written ``dst``).

    Raises:
        FileIOError: the copy failed (disk full, permissions).
    """
    tmp = dst.with_name(f".{dst.name}.mcgen.tmp")
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileIOError(f"cannot copy {src.name}: {exc.strerror or exc}", path=dst) from exc


def backup_keep() -> int:
    """How many backups a save keeps after each paste: ``$MCGEN_KEEP_BACKUPS`` (0 = all), else 10.

    Raises:
        ConfigError: the variable is not a whole number >= 0.
    """
    text = os.environ.get(KEEP_ENV, "").strip()
    if not text:
        return DEFAULT_KEEP
    try:
        keep = int(text)
    except ValueError:
        keep = -1
    if keep < 0:
        raise ConfigError(f"{KEEP_ENV} must be a whole number >= 0 (0 keeps every backup), got {text!r}")
    return keep


def create_backup(world: Path, rel_files: list[Path], *, reason: str = "", root: Path | None = None,
                  keep: int | None = None, edition: str = "java",
                  copier: Callable[[Path, Path], None] | None = None) -> Backup:
    """Copy ``level.dat`` and ``rel_files`` (paths relative to ``world``) into a new backup folder,
    then prune the save's backups to the newest ``keep``.

    Args:
        world: the save folder.
        rel_files: region files about to change; missing ones are recorded as absent.
        reason: what the backup is for (shown by ``world info``).
        root: where backup folders go (default ``<world>/mcgen_backups``; only that one is pruned).
        keep: backups to keep, the new one included (default :func:`backup_keep`; 0 keeps all).
        edition: the save's edition, recorded for restore.
        copier: ``copier(src, dst)`` per file (default :func:`copy_file`).

    Raises:
        ConfigError: ``$MCGEN_KEEP_BACKUPS`` is malformed (checked before anything is copied).
        FileIOError: copying failed; the partial backup is removed.
    """
    keep = backup_keep() if keep is None else keep
    copier = copier or copy_file
    prune = root is None
    root = root or world / BACKUP_DIR
    bid = _new_id(root)
    dest = root / bid
    files, absent = [], []
    try:
        dest.mkdir(parents=True)
        for rel in [Path("level.dat"), *rel_files]:
            if (world / rel).is_file():
                copier(world / rel, dest / rel)
                files.append(rel.as_posix())
            else:
                absent.append(rel.as_posix())
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        manifest = {"id": bid, "created": created, "files": files, "absent": absent, "reason": reason,
                    "edition": edition}
        atomic_write_text(dest / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    if prune and keep:
        try:
            prune_backups(world, keep)
        except FileIOError:
            pass  # a backup that will not go away must not stop the paste; `world backups --prune` retries
    return Backup(bid, dest, created, files, absent, reason, edition)


def prune_backups(world: Path, keep: int) -> list[Backup]:
    """Delete all but the newest ``keep`` backups of ``world``; returns the ones deleted, oldest first.

    Each backup's manifest goes first, so a backup is either listed whole or not at all. Folders
    without a readable manifest (a paste's rollback copy in use, a stray folder) are left alone.

    Raises:
        ConfigError: ``keep`` < 1.
        FileIOError: a backup could not be deleted (the ones before it are gone).
    """
    if keep < 1:
        raise ConfigError(f"keep must be at least 1, got {keep}")
    backups = list_backups(world)
    doomed = backups[:-keep] if len(backups) > keep else []
    for b in doomed:
        try:
            (b.path / MANIFEST).unlink()
            shutil.rmtree(b.path)
        except OSError as exc:
            raise FileIOError(f"cannot delete backup {b.id}: {exc.strerror or exc}", path=b.path) from exc
    return doomed


def backup_bytes(backup: Backup) -> int:
    """Size of a backup's files on disk."""
    return sum(p.stat().st_size for p in backup.path.rglob("*") if p.is_file())


def list_backups(world: Path) -> list[Backup]:
    """Backups of ``world``, oldest first (unreadable folders are skipped)."""
    root = Path(world) / BACKUP_DIR
    out = []
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            m = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
            out.append(Backup(m["id"], d, m["created"], list(m["files"]), list(m.get("absent", [])), m.get("reason", ""),
                              m.get("edition", "java")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(out, key=_age)


def _age(b: Backup) -> tuple:
    """Sort key, oldest first: ids made in the same second end ``-2``, ``-3``, ... ``-10`` (numeric order)."""
    head, sep, tail = b.id.rpartition("-")
    if sep and tail.isdigit() and len(head) == 15:  # YYYYMMDD-HHMMSS-N
        return (b.created, head, int(tail))
    return (b.created, b.id, 1)


def find_backup(world: Path, backup_id: str | None = None) -> Backup:
    """The backup ``backup_id`` (default: the newest).

    Raises:
        WorldError: no backups, or no backup with that id.
    """
    backups = list_backups(world)
    if not backups:
        raise WorldError(f"no mcgen backups in {Path(world) / BACKUP_DIR}", path=world)
    if backup_id is None:
        return backups[-1]
    for b in backups:
        if b.id == backup_id:
            return b
    raise WorldError(f"no backup {backup_id!r}; available: {', '.join(b.id for b in backups)}", path=world)


def restore_files(world: Path, backup: Backup) -> list[str]:
    """Put the backup's files back and delete files that did not exist when it was taken.

    Each file is replaced atomically. Returns the relative paths changed.

    Raises:
        FileIOError: a copy failed.
    """
    changed = []
    for rel in backup.files:
        copy_file(backup.path / rel, Path(world) / rel)
        changed.append(rel)
    for rel in backup.absent:
        p = Path(world) / rel
        if p.is_file():
            p.unlink()
            changed.append(rel)
    return changed
