"""Pasting grids into a save without ever leaving it damaged (Bedrock saves: :mod:`mcgen.world.bedrock_paste`).

Java steps: refuse if the game holds ``session.lock`` (and hold it ourselves while writing); copy
``level.dat`` and the touched region files into a staging folder inside the save; let amulet
open and write *that*; back up the live files; then swap each staged region file in with an
atomic rename. A failure before the swap leaves the live world untouched; a failure during it
puts back the files already swapped. ``level.dat`` itself is never modified.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from mcgen.errors import FileIOError, McgenError, WorldError
from mcgen.world import bedrock_paste
from mcgen.world import level as lv
from mcgen.world.backup import BACKUP_DIR, Backup, copy_file, create_backup
from mcgen.world.edition import BEDROCK, LevelInfo
from mcgen.world.leveldat import read_level_info
from mcgen.world.lock import check_unlocked, hold_lock
from mcgen.world.locate import region_dir
from mcgen.world.log import append_log
from mcgen.world.placing import (PasteReport, PlacedBox, Placement, ProgressHook, chunks_of, normalise,
                                 write_placements)
from mcgen.world.relight import add_relight

STAGING = bedrock_paste.STAGING


def _regions_of(world: Path, chunks: list[tuple[int, int]]) -> list[Path]:
    rdir = region_dir(world)
    return [rdir / f"r.{rx}.{rz}.mca" for rx, rz in sorted({(cx >> 5, cz >> 5) for cx, cz in chunks})]


def _refuse_external_chunks(world: Path, chunks: list[tuple[int, int]]) -> None:
    """Chunks over 1 MiB live in ``c.<x>.<z>.mcc`` beside the region; we do not rewrite those."""
    rdir = world / region_dir(world)
    big = [(cx, cz) for cx, cz in chunks if (rdir / f"c.{cx}.{cz}.mcc").exists()]
    if big:
        raise WorldError(f"chunk(s) {big[:5]} are stored in external .mcc files, which mcgen does not rewrite;"
                         " paste somewhere else", path=world)


def _stage(world: Path, staging: Path, regions: list[Path]) -> None:
    """Fresh staging save: ``level.dat`` plus the touched region files."""
    if staging.exists():
        shutil.rmtree(staging)
    (staging / regions[0].parent if regions else staging).mkdir(parents=True, exist_ok=True)
    copy_file(world / "level.dat", staging / "level.dat")
    for rel in regions:
        if (world / rel).is_file():
            copy_file(world / rel, staging / rel)


class RollbackFailed(WorldError):
    """The swap failed and so did putting the originals back; they are kept in a backup folder."""


def _swap_in(world: Path, staging: Path, regions: list[Path], rollback: Path, hook: ProgressHook | None) -> None:
    """Rename each staged region over the live one; on any failure put the originals back."""
    done: list[Path] = []
    try:
        for n, rel in enumerate(regions):
            os.replace(staging / rel, world / rel)
            done.append(rel)
            if hook:
                hook("swap", n + 1, len(regions))
    except BaseException as exc:
        try:
            for rel in done:
                if (rollback / rel).is_file():
                    copy_file(rollback / rel, world / rel)
                else:
                    (world / rel).unlink(missing_ok=True)
        except OSError as again:
            raise RollbackFailed(
                f"writing failed ({exc!r}) and so did undoing it ({again}); the original files are in {rollback}"
            ) from again
        raise


def _keep_originals(world: Path, regions: list[Path], dest: Path) -> None:
    """Hard-link (or copy) the live region files into ``dest`` for a rollback without a backup."""
    for rel in regions:
        if (world / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(world / rel, dest / rel)
            except OSError:
                copy_file(world / rel, dest / rel)


def paste(world_path: str | os.PathLike, placements: list[Placement | tuple], *, backup: bool = True,
          dry_run: bool = False, create_chunks: bool = False, reason: str = "paste",
          hook: ProgressHook | None = None) -> PasteReport:
    """Paste ``placements`` into the save at ``world_path`` (Java or Bedrock, found from its files).

    Args:
        world_path: the save folder (see :func:`mcgen.world.resolve_world`).
        placements: :class:`Placement` objects or ``(grid, (x, y, z))`` pairs; ``y=None`` rests
            the grid on the terrain surface.
        backup: keep a backup in ``<save>/mcgen_backups/<ID>`` (for ``world restore``).
        dry_run: plan only; nothing in the save is written.
        create_chunks: allow writing into chunks that do not exist or are not fully generated.
        reason: recorded in the backup and the log.
        hook: ``hook(stage, done, total)`` after each chunk written ("write"), saved ("save")
            and region file swapped in ("swap"); it may raise to abort (tests inject failures).

    Raises:
        WorldError: the game holds the world, missing chunks, out of the height range, a save of
            neither edition or a Bedrock version mcgen does not write, or I/O.
    """
    t0 = time.perf_counter()
    world = Path(world_path)
    placements = normalise(placements)
    info = read_level_info(world)
    if info.edition == BEDROCK:
        return bedrock_paste.paste_bedrock(world, placements, info, backup=backup, dry_run=dry_run,
                                           create_chunks=create_chunks, reason=reason, hook=hook)
    chunks = chunks_of(placements)
    regions = _regions_of(world, chunks)
    _refuse_external_chunks(world, chunks)
    if dry_run:
        check_unlocked(world)
        with tempfile.TemporaryDirectory(prefix="mcgen-dry-") as tmp:
            report = _run(world, Path(tmp) / "w", placements, regions, chunks, info, hook=hook,
                          dry_run=True, create_chunks=create_chunks, backup=False, reason=reason)
    else:
        with hold_lock(world):
            report = _run(world, world / STAGING, placements, regions, chunks, info, hook=hook,
                          dry_run=False, create_chunks=create_chunks, backup=backup, reason=reason)
    report.seconds = time.perf_counter() - t0
    return report


def _run(world: Path, staging: Path, placements: list[Placement], regions: list[Path],
         chunks: list[tuple[int, int]], info: LevelInfo, *, hook: ProgressHook | None, dry_run: bool,
         create_chunks: bool, backup: bool, reason: str) -> PasteReport:
    try:
        _stage(world, staging, regions)
        level = lv.open_level(staging)
        try:
            report = write_placements(level, placements, world, [r.as_posix() for r in regions], chunks, info,
                                      hook=hook, dry_run=dry_run, create_chunks=create_chunks)
            if dry_run:
                return report
            lv.save_level(level, hook)
        finally:
            level.close()
        report.backup_id = _commit(world, staging, regions, backup, reason, hook)
        _after_commit(world, info, report, reason)
        return report
    except OSError as exc:
        raise FileIOError(f"writing the world failed, it was left as it was: {exc.strerror or exc}", path=world) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _after_commit(world: Path, info: LevelInfo, report: PasteReport, reason: str) -> None:
    """Relight data pack and log; the blocks are already in, so problems here are only warnings."""
    try:
        report.relight_function = add_relight(world, info.data_version, report.relight_lines)
    except (OSError, McgenError) as exc:
        report.warnings.append(f"relight data pack not written: {exc}")
    try:
        append_log(world, {"action": reason.split(" ", 1)[0], "reason": reason, "backup": report.backup_id,
                           "boxes": [b.to_dict() for b in report.boxes]})
    except (OSError, McgenError) as exc:
        report.warnings.append(f"{world / 'mcgen_log.json'} not updated: {exc}")


def _commit(world: Path, staging: Path, regions: list[Path], backup: bool, reason: str,
            hook: ProgressHook | None) -> str | None:
    """Back up the live files, then swap the staged regions in. Returns the backup id."""
    kept: Backup | None = None
    if backup:
        kept = create_backup(world, regions, reason=reason)
        rollback = kept.path
    else:  # no backup wanted: keep the originals beside the save until the swap is done
        kept = None
        rollback = world / BACKUP_DIR / f".rollback-{os.getpid()}-{int(time.time())}"
        _keep_originals(world, regions, rollback)
    try:
        _swap_in(world, staging, regions, rollback, hook)
    except RollbackFailed:
        raise  # keep the files the user now needs
    except BaseException:
        shutil.rmtree(rollback, ignore_errors=True)
        raise
    if kept is None:
        shutil.rmtree(rollback, ignore_errors=True)
    return kept.id if kept else None


def surface_y(world_path: str | os.PathLike, x0: int, z0: int, x1: int, z1: int) -> int | None:
    """Highest ground block (solid, not leaves, not fluid) over ``[x0, x1) x [z0, z1)``.

    Reads a temporary copy of the touched regions, so the save is not opened or locked.
    Returns None where the area has no ground (void or missing chunks).

    Raises:
        WorldError: the game holds the world, or it cannot be read.
    """
    world = Path(world_path)
    check_unlocked(world)
    if read_level_info(world).edition == BEDROCK:
        return bedrock_paste.surface_y_bedrock(world, x0, z0, x1, z1)
    chunks = [(cx, cz) for cx in lv.chunk_span(x0, x1) for cz in lv.chunk_span(z0, z1)]
    with tempfile.TemporaryDirectory(prefix="mcgen-read-") as tmp:
        staging = Path(tmp) / "w"
        _stage(world, staging, _regions_of(world, chunks))
        return lv.surface_top(staging, x0, z0, x1, z1)


__all__ = ["PasteReport", "PlacedBox", "Placement", "paste", "surface_y"]
