"""Detecting and holding the lock a running game holds on a save.

Java: the game (``FileChannel.tryLock``) holds an exclusive lock on ``<save>/session.lock`` while
the world is open. Bedrock: the game's (or a dedicated server's) LevelDB holds ``<save>/db/LOCK``.
On Linux and macOS both are POSIX ``fcntl`` record locks, which ``flock`` (what amulet-core's
portalocker uses) does not see; so we probe and hold both kinds ourselves. While mcgen writes, it
holds the lock, so a game started meanwhile refuses to open the world. A Bedrock ``db/LOCK`` that
mcgen had to create is removed again before the lock is let go (LevelDB recreates it on open).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from mcgen.errors import WorldError
from mcgen.world.edition import is_bedrock

LOCK_NAME = "session.lock"
BEDROCK_LOCK = Path("db") / "LOCK"
_HELD_MSG = ("the world is open in Minecraft or another program ({name} is locked);"
             " close the world (or stop the server) and try again")


def lock_file(world: Path) -> Path:
    """The save's lock file, relative to it: ``session.lock`` (Java) or ``db/LOCK`` (Bedrock)."""
    return BEDROCK_LOCK if is_bedrock(Path(world)) else Path(LOCK_NAME)


def _held(world: Path) -> WorldError:
    return WorldError(_HELD_MSG.format(name=lock_file(world).as_posix()), path=world)


def _try_lock(fd: int) -> bool:
    """Take an exclusive non-blocking lock on ``fd``; False if someone else holds one."""
    if sys.platform.startswith("win"):
        import msvcrt  # noqa: PLC0415

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl  # noqa: PLC0415

    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what Java's FileChannel.tryLock uses
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what amulet/portalocker uses
    except OSError as exc:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        if exc.errno in (errno.EACCES, errno.EAGAIN, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _unlock(fd: int) -> None:
    if sys.platform.startswith("win"):
        import msvcrt  # noqa: PLC0415

        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl  # noqa: PLC0415

    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        fcntl.lockf(fd, fcntl.LOCK_UN)


def is_locked(world: Path) -> bool:
    """True when another process holds the save's lock file (a missing file counts as free).

    Only reads: the file is opened without truncating and released at once.
    """
    rel = lock_file(world)
    path = Path(world) / rel
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except PermissionError:
        fd = None
    except OSError as exc:
        raise WorldError(f"cannot open {rel.as_posix()}: {exc.strerror}", path=world) from exc
    if fd is None:  # read-only file: we could not write the world anyway
        raise WorldError(f"{rel.as_posix()} is not writable; the save folder is read-only?", path=world)
    try:
        free = _try_lock(fd)
        if free:
            _unlock(fd)
        return not free
    finally:
        os.close(fd)


@contextlib.contextmanager
def hold_lock(world: Path) -> Iterator[None]:
    """Hold the save's lock file for the body, so the game cannot open the world meanwhile.

    Creates the file if it is missing (a Bedrock ``db/LOCK`` created here is deleted again while
    still held). Its contents are left alone.

    Raises:
        WorldError: the lock is held by another process (the game is running).
    """
    rel = lock_file(world)
    path = Path(world) / rel
    created = rel == BEDROCK_LOCK and not path.exists()
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WorldError(f"cannot open {rel.as_posix()}: {exc.strerror}", path=world) from exc
    try:
        if not _try_lock(fd):
            raise _held(world)
        try:
            yield
        finally:
            if created:  # nobody can take it while we hold it; a game opening later makes a new one
                with contextlib.suppress(OSError):
                    path.unlink()
            _unlock(fd)
    finally:
        os.close(fd)


def check_unlocked(world: Path) -> None:
    """Raise if the game holds the world.

    Raises:
        WorldError: the save's lock file is held by another process.
    """
    if is_locked(world):
        raise _held(world)
