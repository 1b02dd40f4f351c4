"""Backups inside the save (``mcgen_backups/<ID>/``) and putting them back.

A backup holds copies of the files a paste is about to replace (touched region files plus
``level.dat``) under their paths relative to the save, and ``backup.json`` listing them and
the region files that did not exist before (restore deletes those).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from mcgen.errors import FileIOError, WorldError
from mcgen.fsutil import atomic_write_text

BACKUP_DIR = "mcgen_backups"
MANIFEST = "backup.json"


@dataclass(frozen=True)
class Backup:
    """One backup folder."""

    id: str
    path: Path
    created: str
    files: list[str]
    absent: list[str]
    reason: str


def _new_id(root: Path) -> str:
    base = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    bid, n = base, 1
    while (root / bid).exists():
        n += 1
        bid = f"{base}-{n}"
    return bid


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


def create_backup(world: Path, rel_files: list[Path], *, reason: str = "", root: Path | None = None) -> Backup:
    """Copy ``level.dat`` and ``rel_files`` (paths relative to ``world``) into a new backup folder.

    Args:
        world: the save folder.
        rel_files: region files about to change; missing ones are recorded as absent.
        reason: what the backup is for (shown by ``world info``).
        root: where backup folders go (default ``<world>/mcgen_backups``).

    Raises:
        FileIOError: copying failed; the partial backup is removed.
    """
    root = root or world / BACKUP_DIR
    bid = _new_id(root)
    dest = root / bid
    files, absent = [], []
    try:
        dest.mkdir(parents=True)
        for rel in [Path("level.dat"), *rel_files]:
            if (world / rel).is_file():
                copy_file(world / rel, dest / rel)
                files.append(rel.as_posix())
            else:
                absent.append(rel.as_posix())
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        manifest = {"id": bid, "created": created, "files": files, "absent": absent, "reason": reason}
        atomic_write_text(dest / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return Backup(bid, dest, created, files, absent, reason)


def list_backups(world: Path) -> list[Backup]:
    """Backups of ``world``, oldest first (unreadable folders are skipped)."""
    root = Path(world) / BACKUP_DIR
    out = []
    for d in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            m = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
            out.append(Backup(m["id"], d, m["created"], list(m["files"]), list(m.get("absent", [])), m.get("reason", "")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return sorted(out, key=lambda b: (b.created, b.id))


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
