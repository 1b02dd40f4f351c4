"""Pasting into, reading from and restoring Bedrock saves, with the safety of Java pastes.

Steps of a paste: refuse if the game or a server holds ``db/LOCK`` (and hold it ourselves while
writing) or if the save's version is one mcgen does not write; snapshot ``level.dat`` and the
LevelDB store into a staging folder inside the save (:func:`mcgen.world.leveldb_files.snapshot`:
tables hard-linked); let amulet open and write *that*; flush it so every record sits in a table;
back up the live store; then commit the staged store into the live one the way LevelDB commits
(new files first, then one atomic replace of ``CURRENT``; see :mod:`mcgen.world.leveldb_files`).
A failure before that replace leaves the live save as it was. ``level.dat`` is never modified.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from mcgen.errors import FileIOError, McgenError, WorldError
from mcgen.fsutil import atomic_write_text
from mcgen.world import level as lv
from mcgen.world.backup import Backup, copy_file, create_backup
from mcgen.world.bedrock_dat import check_writable
from mcgen.world.edition import BEDROCK, LevelInfo
from mcgen.world.leveldb_files import DB, commit, db_files, flush, link_or_copy, restore_db, snapshot
from mcgen.world.lock import check_unlocked, hold_lock
from mcgen.world.log import append_log
from mcgen.world.placing import PasteReport, Placement, ProgressHook, chunks_of, write_placements

STAGING = ".mcgen_staging"


def stage(world: Path, staging: Path, name: str = "") -> None:
    """A fresh copy of the save at ``staging`` that amulet can open (``levelname.txt`` added if missing)."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    copy_file(world / "level.dat", staging / "level.dat")
    if (world / "levelname.txt").is_file():
        copy_file(world / "levelname.txt", staging / "levelname.txt")
    else:  # amulet-core does not recognise a Bedrock folder without it; the game does not need it
        atomic_write_text(staging / "levelname.txt", name or world.name)
    snapshot(world / DB, staging / DB)


@contextlib.contextmanager
def readable_copy(world: Path) -> Iterator[Path]:
    """A temporary copy of the save for reading through amulet (LevelDB writes when it opens a store).

    The copy lives in a hidden folder inside the save (so tables can be hard-linked; in the
    system's temporary folder when the save is read-only) and is removed afterwards; the save's
    own files are not touched.

    Raises:
        WorldError: the game holds the save.
        FileIOError: copying failed.
    """
    world = Path(world)
    check_unlocked(world)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".mcgen_read-", dir=world))
    except OSError:
        tmp = Path(tempfile.mkdtemp(prefix="mcgen-read-"))
    try:
        stage(world, tmp / "w")
        yield tmp / "w"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def paste_bedrock(world: Path, placements: list[Placement], info: LevelInfo, *, backup: bool, dry_run: bool,
                  create_chunks: bool, reason: str, hook: ProgressHook | None) -> PasteReport:
    """:func:`mcgen.world.paste` for a Bedrock save (placements already normalised).

    Raises:
        WorldError: the game holds the world, a version mcgen does not write, missing chunks, out
            of the height range.
        FileIOError: copying or writing failed (the save was left as it was).
    """
    t0 = time.perf_counter()
    check_writable(world, info)
    chunks = chunks_of(placements)
    opts = {"hook": hook, "create_chunks": create_chunks, "reason": reason}
    if dry_run:
        with readable_copy(world) as copy:
            report = _write(world, copy, placements, chunks, info, dry_run=True, **opts)
    else:
        with hold_lock(world):
            staging = world / STAGING
            try:
                stage(world, staging, info.name)
                report = _write(world, staging, placements, chunks, info, dry_run=False, **opts)
                flush(staging / DB)
                report.backup_id = _commit(world, staging, backup, reason, hook, report)
            except OSError as exc:
                raise FileIOError(f"writing the world failed, it was left as it was: {exc.strerror or exc}",
                                  path=world) from exc
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        _log(world, report, reason)
    report.seconds = time.perf_counter() - t0
    return report


def _write(world: Path, copy: Path, placements: list[Placement], chunks: list[tuple[int, int]], info: LevelInfo, *,
           dry_run: bool, hook: ProgressHook | None, create_chunks: bool, reason: str) -> PasteReport:
    level = lv.open_level(copy)
    try:
        report = write_placements(level, placements, world, [DB], chunks, info, hook=hook, dry_run=dry_run,
                                  create_chunks=create_chunks)
        if not dry_run:
            lv.save_level(level, hook)
    finally:
        level.close()
    return report


def _commit(world: Path, staging: Path, backup: bool, reason: str, hook: ProgressHook | None,
            report: PasteReport) -> str | None:
    """Back up the live store and ``level.dat``, then commit the staged store. Returns the backup id."""
    kept: Backup | None = None
    if backup:
        files = [Path(DB) / n for n in db_files(world / DB)]
        kept = create_backup(world, files, reason=reason, edition=BEDROCK, copier=link_or_copy)
    try:
        stuck = commit(world / DB, staging / DB, hook)
    except BaseException:
        if kept is not None:
            shutil.rmtree(kept.path, ignore_errors=True)
        raise
    if stuck:
        report.warnings.append(f"old LevelDB files left in db/ ({', '.join(stuck[:3])}); the game deletes them")
    return kept.id if kept else None


def _log(world: Path, report: PasteReport, reason: str) -> None:
    """Record the paste in ``mcgen_log.json``; the blocks are already in, so problems are warnings."""
    try:
        append_log(world, {"action": reason.split(" ", 1)[0], "reason": reason, "backup": report.backup_id,
                           "boxes": [b.to_dict() for b in report.boxes]})
    except (OSError, McgenError) as exc:
        report.warnings.append(f"{world / 'mcgen_log.json'} not updated: {exc}")


def restore_bedrock(world: Path, backup: Backup) -> list[str]:
    """Put back a Bedrock backup: ``level.dat`` and the LevelDB store, byte for byte (lock held by the caller).

    Raises:
        WorldError: the backup was taken from a Java save.
        FileIOError: copying failed (the store was left as it was).
    """
    if backup.edition != BEDROCK:
        raise WorldError(f"backup {backup.id} was taken from a Java save, this save is a Bedrock one", path=world)
    changed = restore_db(world, backup.path / DB, world / STAGING)
    if "level.dat" in backup.files and (world / "level.dat").read_bytes() != (backup.path / "level.dat").read_bytes():
        copy_file(backup.path / "level.dat", world / "level.dat")
        changed.insert(0, "level.dat")
    return changed


def surface_y_bedrock(world: Path, x0: int, z0: int, x1: int, z1: int) -> int | None:
    """:func:`mcgen.world.surface_y` for a Bedrock save (read from a temporary copy)."""
    with readable_copy(world) as copy:
        return lv.surface_top(copy, x0, z0, x1, z1)


__all__ = ["STAGING", "paste_bedrock", "readable_copy", "restore_bedrock", "stage", "surface_y_bedrock"]
