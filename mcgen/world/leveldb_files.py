"""A Bedrock save's LevelDB store (``db/``) as files: snapshot, commit and restore the way LevelDB commits.

LevelDB never changes a table file (``*.ldb``) in place: it writes new files, numbered above
every file its current ``MANIFEST`` knows, records them in a new ``MANIFEST`` and makes that one
current by replacing the one-line ``CURRENT`` file with a rename. mcgen does the same:

1. :func:`snapshot`: the save's ``db/`` into a staging folder in the save (tables hard-linked,
   everything else copied); amulet writes there.
2. :func:`flush`: open and close the staged store once more, so LevelDB moves what amulet wrote
   from its log into tables; every log is then empty (checked).
3. :func:`commit`: copy the staged files that the live ``db/`` lacks into it (the live store
   ignores them: unknown tables and empty logs), then swap ``CURRENT`` (the commit point), then
   delete the files the new ``MANIFEST`` no longer needs. Before the swap the live store is the
   old one, after it the new one; a failure before it deletes the copied files again.

A restore (:func:`restore_db`) commits a backup's files the same way. Only when the live store
has moved on since that backup so far that a file name means different bytes now (the game
reused a number after an earlier restore) does it swap the two folders instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import filecmp
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from mcgen.errors import FileIOError, WorldError
from mcgen.world.backup import copy_file

DB = "db"
CURRENT = "CURRENT"
LOCK = "LOCK"
IMMUTABLE = (".ldb", ".sst")  # LevelDB table files: written once, never changed
ProgressHook = Callable[[str, int, int], None]


def db_files(db: Path) -> list[str]:
    """File names in a LevelDB folder, without ``LOCK`` (sorted)."""
    return sorted(p.name for p in Path(db).iterdir() if p.is_file() and p.name != LOCK)


def link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link a table file (copy when links are not possible); copy any other file.

    Raises:
        FileIOError: the copy failed.
    """
    if src.suffix in IMMUTABLE:
        try:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.link(src, dst)
            return
        except OSError:
            pass
    copy_file(src, dst)


def snapshot(src_db: Path, dst_db: Path) -> None:
    """A copy of the store ``src_db`` at ``dst_db`` (which must not exist) that LevelDB can open.

    Raises:
        FileIOError: copying failed.
    """
    dst_db.mkdir(parents=True)
    for name in db_files(src_db):
        link_or_copy(src_db / name, dst_db / name)


def flush(db: Path) -> None:
    """Open and close the store, so the records in its logs move into tables.

    Raises:
        WorldError: LevelDB cannot open it, or a log is still not empty afterwards.
    """
    import leveldb  # noqa: PLC0415 - amulet-leveldb, installed with amulet-core

    try:
        leveldb.LevelDB(str(db)).close()
    except leveldb.LevelDBException as exc:
        raise WorldError(f"LevelDB cannot open the staged copy: {exc}", path=db) from exc
    left = [n for n in db_files(db) if n.endswith(".log") and (db / n).stat().st_size]
    if left:
        raise WorldError(f"LevelDB left records in {', '.join(left)}; nothing was changed", path=db)


def _fsync_dir(path: Path) -> None:
    if sys.platform.startswith("win"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _differs(a: Path, b: Path) -> bool:
    try:
        return not (os.path.samefile(a, b) or filecmp.cmp(a, b, shallow=False))
    except OSError:
        return True


def commit(live: Path, staged: Path, hook: ProgressHook | None = None, *, derived: bool = True) -> list[str]:
    """Make the live store ``live`` hold exactly the files of ``staged`` (``LOCK`` aside).

    ``derived``: ``staged`` was opened by LevelDB as a copy of ``live``, so a name that means other
    bytes in ``live`` can only be a file the live ``MANIFEST`` does not use (left by a paste killed
    half way; LevelDB numbers new files above every file its ``MANIFEST`` knows) and is
    overwritten. Otherwise (a backup put back) such a name raises.

    ``hook("swap", done, total)`` runs after each file copied in, the ``CURRENT`` swap being the
    last; it may raise (tests inject failures). Returns the names of files the new store no longer
    needs that could not be deleted (LevelDB deletes them when it next opens the store).

    Raises:
        WorldError: not ``derived`` and a name in ``staged`` means other bytes in ``live`` (use
            :func:`exchange`).
        FileIOError: copying failed; ``live`` was left as it was.
    """
    want, have = db_files(staged), set(db_files(live))
    clash = [n for n in want if n != CURRENT and n in have and _differs(staged / n, live / n)]
    if clash and not derived:
        raise WorldError(f"db/{clash[0]} differs between the live store and the one to put in", path=live)
    new = [n for n in want if n != CURRENT and (n not in have or n in clash)]
    added: list[str] = []
    try:
        for i, name in enumerate(new):
            if name in clash:  # an unused file of a killed paste: replace it (a link cannot overwrite)
                copy_file(staged / name, live / name)
            else:
                link_or_copy(staged / name, live / name)
            added.append(name)
            if hook:
                hook("swap", i + 1, len(new) + 1)
        _fsync_dir(live)
        copy_file(staged / CURRENT, live / CURRENT)  # the commit point
    except BaseException:
        for name in added:
            with contextlib.suppress(OSError):
                (live / name).unlink()
        raise
    _fsync_dir(live)
    if hook:
        hook("swap", len(new) + 1, len(new) + 1)
    return _delete_others(live, set(want))


def _delete_others(live: Path, keep: set[str]) -> list[str]:
    stuck = []
    for name in db_files(live):
        if name not in keep:
            try:
                (live / name).unlink()
            except OSError:
                stuck.append(name)
    return stuck


def _renameat2_exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def exchange(live: Path, staged: Path) -> None:
    """Put folder ``staged`` in place of ``live``; the old one ends up at ``staged``.

    Atomic on Linux; elsewhere two renames (the old folder is never deleted here).

    Raises:
        FileIOError: the renames failed; ``live`` is back in place.
    """
    if _renameat2_exchange(staged, live):
        return
    aside = live.with_name(live.name + ".mcgen-old")
    try:
        os.replace(live, aside)
    except OSError as exc:
        raise FileIOError(f"cannot move {live.name}/ aside: {exc.strerror or exc}", path=live) from exc
    try:
        os.replace(staged, live)
    except OSError as exc:
        os.replace(aside, live)
        raise FileIOError(f"cannot move the restored {live.name}/ in: {exc.strerror or exc}", path=live) from exc
    os.replace(aside, staged)


def restore_db(world: Path, backup_db: Path, staging: Path) -> list[str]:
    """Make ``<world>/db`` byte for byte the store saved in ``backup_db``.

    Returns the relative paths changed (``db/NAME``).

    Raises:
        FileIOError: copying failed (the live store was left as it was).
    """
    live = Path(world) / DB
    before = {n: live / n for n in db_files(live)}
    want = db_files(backup_db)
    changed = [f"{DB}/{n}" for n in want if n not in before or _differs(backup_db / n, before[n])]
    changed += [f"{DB}/{n}" for n in before if n not in want]
    if staging.exists():
        shutil.rmtree(staging)
    try:
        snapshot(backup_db, staging / DB)
        try:
            commit(live, staging / DB, derived=False)
        except WorldError:  # a number reused since the backup: swap whole folders
            exchange(live, staging / DB)
            if (staging / DB / LOCK).exists():  # the lock mcgen holds goes with the live folder
                with contextlib.suppress(OSError):
                    os.replace(staging / DB / LOCK, live / LOCK)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return changed
