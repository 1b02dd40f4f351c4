"""Pasting grids into a save without ever leaving it damaged.

Steps: refuse if the game holds ``session.lock`` (and hold it ourselves while writing); copy
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mcgen.errors import FileIOError, McgenError, WorldError
from mcgen.grid import VoxelGrid
from mcgen.world import level as lv
from mcgen.world.backup import BACKUP_DIR, Backup, copy_file, create_backup
from mcgen.world.blockinfo import emits_light
from mcgen.world.leveldat import LevelInfo, read_level_info
from mcgen.world.lock import check_unlocked, hold_lock
from mcgen.world.locate import region_dir
from mcgen.world.log import append_log
from mcgen.world.relight import add_relight, light_commands

STAGING = ".mcgen_staging"
ProgressHook = Callable[[str, int, int], None]


@dataclass
class Placement:
    """A grid to paste with its ``[0, 0, 0]`` at ``(x, y, z)``; ``y=None`` = rest on the surface.

    ``no_air`` keeps the world's block where the grid has air; ``keep`` (a bool array of the grid's
    size) keeps it wherever True (a completion pastes only the cells it generated).
    """

    grid: VoxelGrid
    x: int
    y: int | None
    z: int
    name: str = ""
    no_air: bool = False
    keep: np.ndarray | None = field(default=None, compare=False, repr=False)

    def written(self) -> np.ndarray:
        """(X, Y, Z) bool: the cells this placement writes."""
        mask = self.grid.blocks != 0 if self.no_air else np.ones(self.grid.size, dtype=bool)
        return mask if self.keep is None else mask & ~self.keep


@dataclass
class PlacedBox:
    """Where a grid went: inclusive ``min``/``max`` corners."""

    name: str
    min: tuple[int, int, int]
    max: tuple[int, int, int]
    blocks: int
    light_sources: int
    surface_y: int | None = None

    def tp_command(self) -> str:
        """A ``/tp`` that puts the player south of the box, looking north at it."""
        cx = (self.min[0] + self.max[0]) // 2
        return f"/tp @s {cx} {self.min[1] + 1} {self.max[2] + 6} 180 10"

    def to_dict(self) -> dict:
        """JSON-friendly form (for logs)."""
        return {"name": self.name, "min": list(self.min), "max": list(self.max), "blocks": self.blocks,
                "light_sources": self.light_sources}


@dataclass
class PasteReport:
    """What a paste did (or, with ``dry_run``, would do)."""

    world: Path
    version: str
    data_version: int
    boxes: list[PlacedBox]
    chunks: list[tuple[int, int]]
    regions: list[str]
    missing_chunks: list[tuple[int, int]] = field(default_factory=list)
    unknown_states: list[str] = field(default_factory=list)
    backup_id: str | None = None
    dry_run: bool = False
    seconds: float = 0.0
    relight_function: Path | None = None
    relight_lines: list[str] = field(default_factory=list, repr=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def blocks(self) -> int:
        """Blocks written over all boxes."""
        return sum(b.blocks for b in self.boxes)

    @property
    def light_sources(self) -> int:
        """Light-emitting blocks pasted."""
        return sum(b.light_sources for b in self.boxes)


def _chunks_of(placements: Iterable[Placement]) -> list[tuple[int, int]]:
    out = set()
    for p in placements:
        sx, _, sz = p.grid.size
        out.update((cx, cz) for cx in lv.chunk_span(p.x, p.x + sx) for cz in lv.chunk_span(p.z, p.z + sz))
    return sorted(out)


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


def _resolve_y(level, tr: lv.Translator, p: Placement) -> tuple[int, int | None]:
    """Grid origin y and the surface it rests on (None when ``p.y`` was given or no ground)."""
    if p.y is not None:
        return int(p.y), None
    sx, _, sz = p.grid.size
    tops = lv.surface_heights(level, tr, p.x, p.z, p.x + sx, p.z + sz)
    min_y, _ = lv.height_range(level)
    surface = int(tops.max())
    if surface < min_y:
        raise WorldError(f"no ground under {p.name or 'the building'} at x={p.x}, z={p.z} (empty or missing chunks)")
    solid_layers = np.nonzero(p.grid.blocks.any(axis=(0, 2)))[0]
    floor = int(solid_layers[0]) if solid_layers.size else 0
    return surface + 1 - floor, surface


def _plan(level, tr: lv.Translator, placements: list[Placement]) -> list[tuple[Placement, int, PlacedBox]]:
    min_y, max_y = lv.height_range(level)
    out = []
    for i, p in enumerate(placements):
        y, surface = _resolve_y(level, tr, p)
        sx, sy, sz = p.grid.size
        if y < min_y or y + sy > max_y:
            raise WorldError(f"{p.name or f'structure {i}'} spans y={y}..{y + sy - 1}, outside the world's {min_y}..{max_y - 1}")
        written = p.written()
        lights = sum(int(np.count_nonzero((p.grid.blocks == k) & written))
                     for k, s in enumerate(p.grid.palette) if k and emits_light(s))
        count = int(written.sum())
        box = PlacedBox(p.name or f"structure_{i}", (p.x, y, p.z), (p.x + sx - 1, y + sy - 1, p.z + sz - 1), count, lights, surface)
        out.append((p, y, box))
    return out


def _missing(level, chunks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [c for c in chunks if not lv.chunk_is_full(level, *c)]


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


def _normalise(placements: list[Placement | tuple]) -> list[Placement]:
    out = [p if isinstance(p, Placement) else Placement(p[0], *p[1]) for p in placements]
    if not out:
        raise WorldError("nothing to paste")
    for p in out:
        if 0 in p.grid.size:
            raise WorldError(f"{p.name or 'structure'} is empty (size {p.grid.size})")
        if p.keep is not None and tuple(p.keep.shape) != tuple(p.grid.size):
            raise WorldError(f"{p.name or 'structure'}: keep mask {tuple(p.keep.shape)} does not match "
                             f"size {p.grid.size}")
    return out


def paste(world_path: str | os.PathLike, placements: list[Placement | tuple], *, backup: bool = True,
          dry_run: bool = False, create_chunks: bool = False, reason: str = "paste",
          hook: ProgressHook | None = None) -> PasteReport:
    """Paste ``placements`` into the save at ``world_path``.

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
        WorldError: the game holds the world, missing chunks, out of the height range, or I/O.
    """
    t0 = time.perf_counter()
    world = Path(world_path)
    placements = _normalise(placements)
    info = read_level_info(world)
    chunks = _chunks_of(placements)
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
            report = _write(level, placements, world, regions, chunks, info, hook, dry_run, create_chunks)
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


def _write(level, placements, world, regions, chunks, info, hook, dry_run, create_chunks) -> PasteReport:
    tr = lv.Translator(level)
    plan = _plan(level, tr, placements)
    missing = _missing(level, chunks)
    report = PasteReport(world, info.version_name, info.data_version, [b for _, _, b in plan], chunks,
                         [r.as_posix() for r in regions], missing, dry_run=dry_run)
    if missing and not create_chunks and not dry_run:
        shown = ", ".join(f"({cx}, {cz})" for cx, cz in missing[:12]) + (" ..." if len(missing) > 12 else "")
        raise WorldError(
            f"{len(missing)} chunk(s) are not generated yet: {shown}; the game would leave holes there."
            " Visit the area in game first, paste elsewhere, or pass --create-chunks"
        )
    unknown: set[str] = set()
    for p, y, _ in plan:
        report.relight_lines += light_commands(p.grid, (p.x, y, p.z))
        if dry_run:
            unknown.update(tr.palette_lut(p.grid)[2])
            continue
        _, bad = lv.write_grid(level, tr, p.grid, (p.x, y, p.z), no_air=p.no_air, keep=p.keep, hook=hook)
        unknown.update(bad)
    report.unknown_states = sorted(unknown)
    return report


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
    chunks = [(cx, cz) for cx in lv.chunk_span(x0, x1) for cz in lv.chunk_span(z0, z1)]
    with tempfile.TemporaryDirectory(prefix="mcgen-read-") as tmp:
        staging = Path(tmp) / "w"
        _stage(world, staging, _regions_of(world, chunks))
        level = lv.open_level(staging)
        try:
            min_y, _ = lv.height_range(level)
            top = int(lv.surface_heights(level, lv.Translator(level), x0, z0, x1, z1).max())
        finally:
            level.close()
    return top if top >= min_y else None


__all__ = ["PasteReport", "PlacedBox", "Placement", "paste", "surface_y"]
