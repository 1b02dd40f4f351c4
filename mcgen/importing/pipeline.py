"""The batch import: read many structure files, fit and map them, write a dataset folder.

Per build: peek at the header (refuse one over the size limit before loading it), read it,
turn structure voids and other technical blocks into air, trim, map every state onto the
vocabulary, fit into the grid, then drop near-empty builds and exact duplicates. A file that
cannot be read is recorded with its reason and the batch goes on. The per-build work runs in
worker processes (:mod:`mcgen.importing.engine`); this module holds the options and the steps.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mcgen.blocks import base_name
from mcgen.errors import ConfigError, FileIOError, FormatError, UsageError
from mcgen.export.modblocks import SOLID_FILLS
from mcgen.files import STRUCTURE_SUFFIXES, is_sample_dir, read_structure
from mcgen.grid import VoxelGrid
from mcgen.importing.fit import FIT_MODES, strip_ground, trim
from mcgen.importing.labels import label_from_name
from mcgen.importing.mapping import AIR_LIKE, NATURAL_GROUND
from mcgen.importing.peek import peek
from mcgen.importing.report import ImportReport
from mcgen.importing.series import LABEL_SOURCES, SPLITS, folder_label

GENERATOR = "mcgen.importing 1"
SIZES = (16, 32)
# Our bookkeeping, and Structurize's style-pack descriptor (pack.json beside .blueprint files).
_BOOKKEEPING = {"manifest.json", "config.json", "report.json", "build_log.json", "metrics.jsonl", "pack.json"}

Progress = Callable[[str, str, str], None]  # (event, source, detail); events: ok, skip, drop


class TooLarge(FormatError):
    """A build over the per-axis size limit (refused before loading when the header tells)."""


@dataclass(frozen=True)
class WorldBox:
    """A region of a Java world save to import as one build (corners inclusive)."""

    world: Path
    box: tuple[int, int, int, int, int, int]

    def __str__(self) -> str:
        return f"{self.world} box {' '.join(map(str, self.box))}"


@dataclass(frozen=True)
class ImportOptions:
    """Settings of one import (see ``mcgen dataset import --help``).

    Raises:
        ConfigError: a value out of range or an unknown mode.
    """

    size: int = 32
    fit: str = "scale"
    vocab: str = "default"
    min_blocks: int = 20
    max_size: int = 256
    keep_ground: bool = False
    label_from: str = "name"
    split_by: str = "none"
    held_out: float = 0.0
    solid_fill: str = "ground"
    workers: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ConfigError(f"--size must be one of {', '.join(map(str, SIZES))}, got {self.size}")
        if self.fit not in FIT_MODES:
            raise ConfigError(f"--fit must be one of {', '.join(FIT_MODES)}, got {self.fit!r}")
        if self.min_blocks < 0:
            raise ConfigError(f"--min-blocks must be >= 0, got {self.min_blocks}")
        if self.max_size < 1:
            raise ConfigError(f"--max-size must be >= 1, got {self.max_size}")
        if self.label_from not in LABEL_SOURCES:
            raise ConfigError(f"--label-from must be one of {', '.join(LABEL_SOURCES)}, got {self.label_from!r}")
        if self.split_by not in SPLITS:
            raise ConfigError(f"--split-by must be one of {', '.join(SPLITS)}, got {self.split_by!r}")
        if not 0.0 <= self.held_out < 1.0:
            raise ConfigError(f"--held-out must be in [0, 1), got {self.held_out}")
        if self.held_out > 0 and self.split_by == "none":
            raise ConfigError("--held-out needs --split-by series")
        if self.solid_fill not in SOLID_FILLS:
            raise ConfigError(f"--solid-fill must be one of {', '.join(SOLID_FILLS)}, got {self.solid_fill!r}")
        if self.workers < 1:
            raise ConfigError(f"--workers must be >= 1, got {self.workers}")
        self.auto_k()  # validates the spec

    def auto_k(self) -> int | None:
        """K of ``auto:K``; ``None`` for the default vocabulary."""
        if self.vocab == "default":
            return None
        head, _, k = self.vocab.partition(":")
        if head != "auto" or not k.isdigit() or int(k) < 2 or int(k) > 4096:
            raise ConfigError(f"--vocab must be 'default' or 'auto:K' with 2 <= K <= 4096, got {self.vocab!r}")
        return int(k)


@dataclass
class PreparedBuild:
    """One build read, cleaned and trimmed, still in its own palette.

    Attributes:
        blocks: trimmed ``(X, Y, Z)`` source palette indices; ``None`` when not kept in memory.
        counts: blocks per palette entry (after the clean-up).
        raw_size: the size as stored in the file.
        ground_layers: terrain layers removed from the bottom.
        source_remaps: the reader's own remappings (``.blueprint`` mod blocks), ``"from -> to" -> blocks``.
        trimmed: the size after cleaning and trimming.
    """

    source: str
    label: str
    blocks: np.ndarray | None  # trimmed source palette indices; None when not cached
    palette: list[str]
    counts: np.ndarray  # blocks per palette entry
    raw_size: tuple[int, int, int]
    ground_layers: int = 0
    source_remaps: dict[str, int] | None = None
    trimmed: tuple[int, int, int] = (0, 0, 0)


def expand_sources(sources: Sequence[str | os.PathLike], exclude: Path | None = None) -> list[Path]:
    """Files and sample folders under ``sources`` (folders searched recursively), sorted per source.

    Raises:
        UsageError: a source does not exist.
    """
    out: list[Path] = []
    skip = exclude.resolve() if exclude is not None else None
    for src in sources:
        p = Path(src)
        if not p.exists():
            raise UsageError("no such file or folder", path=p)
        if p.is_file() or is_sample_dir(p):
            out.append(p)
            continue
        found: list[Path] = []
        for root, dirs, files in os.walk(p):
            r = Path(root)
            if skip is not None and r.resolve() == skip:
                dirs[:] = []
                continue
            if is_sample_dir(r) and r != p:
                found.append(r)
                dirs[:] = []
                continue
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [r / f for f in files if Path(f).suffix.lower() in STRUCTURE_SUFFIXES
                      and f not in _BOOKKEEPING and not f.startswith(".")]
        out += sorted(found)
    return out


def load_source(src: Path | WorldBox, max_size: int,
                solid_fill: str = "ground") -> tuple[VoxelGrid, int | None, int | None]:
    """Read one build, refusing it before loading when its header says it is too large.

    Args:
        solid_fill: what ``.blueprint`` "fill with ground" placeholders become (``ground`` or ``air``).

    Returns:
        ``(grid, block_entities, entities)``; a count is ``None`` when the format does not say.

    Raises:
        TooLarge: over ``max_size`` on some axis.
        FormatError: unreadable (the reader's one-line reason).
    """
    if isinstance(src, WorldBox):
        from mcgen.importing.world import read_world_box  # noqa: PLC0415 - amulet only here

        grid = read_world_box(src.world, src.box, max_size=max_size)
        return grid, grid.meta.get("block_entities"), None
    info = peek(src, max_size=max_size)
    if info is not None and max(info.size) > max_size:
        raise TooLarge(f"{'x'.join(map(str, info.size))} is larger than --max-size {max_size}; not loaded",
                       path=src)
    grid = read_structure(src) if solid_fill == "ground" else read_structure(src, solid_fill=solid_fill)
    if max(grid.size, default=0) > max_size:
        raise TooLarge(f"{'x'.join(map(str, grid.size))} is larger than --max-size {max_size}", path=src)
    be = info.block_entities if info is not None and info.block_entities is not None else grid.meta.get("block_entities")
    ent = info.entities if info is not None and info.entities is not None else grid.meta.get("entities")
    return grid, be, ent


def prepare_build(grid: VoxelGrid, source: str, label: str, keep: bool, keep_ground: bool) -> PreparedBuild:
    """Technical blocks -> air, trim, strip a terrain base; keeps per-state counts for the report.

    Args:
        keep: keep the trimmed blocks (else only the counts, for a first pass over many builds).
    """
    air_like = np.array([s in AIR_LIKE for s in grid.palette], dtype=bool)
    blocks = grid.blocks
    if air_like[1:].any():
        lut = np.arange(len(grid.palette), dtype=np.int64)
        lut[air_like] = 0
        blocks = lut[blocks].astype(grid.blocks.dtype)
    core = trim(blocks)
    cut = 0
    if not keep_ground and core.size:
        ground = np.array([base_name(s) in NATURAL_GROUND for s in grid.palette], dtype=bool)
        core, cut = strip_ground(core, ground)
        core = trim(core)
    counts = np.bincount(core.ravel(), minlength=len(grid.palette)) if core.size else np.zeros(len(grid.palette), int)
    counts[0] = 0
    remapped = grid.meta.get("remapped")
    return PreparedBuild(source, label, core if keep else None, list(grid.palette), counts, grid.size, cut,
                         dict(remapped) if isinstance(remapped, dict) else None,
                         tuple(int(v) for v in core.shape))  # type: ignore[arg-type]


def source_name(src: Path | WorldBox) -> str:
    """The name a build is reported under: the resolved path, or the world box."""
    return str(src) if isinstance(src, WorldBox) else str(src.resolve())


def build_label(src: Path | WorldBox, grid: VoxelGrid, label_from: str = "name", roots: Sequence[Path] = ()) -> str:
    """The label of a build.

    ``name``: our own files keep the label they carry, others get one from the file name.
    ``style``/``category``/``folder``: from the folders under the import root (see
    :func:`mcgen.importing.series.folder_label`), falling back to ``name`` when there is none.
    """
    if isinstance(src, WorldBox):
        return "build"
    if label_from != "name":
        label = folder_label(src, roots, label_from)
        if label:
            return label
    own = src.is_dir() or src.suffix.lower() in (".json", ".npz")
    return str(grid.meta["label"]) if own and grid.meta.get("label") else label_from_name(src.name)


def import_builds(sources: Sequence[Path | WorldBox], options: ImportOptions,
                  progress: Progress | None = None, *, roots: Sequence[Path] = (),
                  tick: Callable[[int, int], None] | None = None) -> tuple[list[VoxelGrid], ImportReport]:
    """Read, map and fit builds in memory (no files written).

    Args:
        roots: the folders the sources were found under (for ``label_from`` and series names).
        tick: called with ``(done, total)`` after each build.

    Returns:
        ``(grids, report)``: ``size``^3 grids over the vocabulary (``report.vocabulary``), with
        meta ``label``, ``index``, ``source``, ``source_size``, ``trimmed_size``, ``fit``
        (and ``series``, ``split`` with ``--split-by series``).
    """
    from mcgen.importing.engine import run_import  # noqa: PLC0415 - the engine imports this module

    grids: list[VoxelGrid] = []
    report = run_import(sources, options, grids.append, progress=progress, tick=tick, roots=roots)
    return grids, report


def import_dataset(sources: Sequence[Path | WorldBox], out: str | os.PathLike, options: ImportOptions,
                   progress: Progress | None = None, *, roots: Sequence[Path] = (),
                   tick: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import builds and write ``out/`` (``sample_XXXX/``, ``manifest.json``, ``report.json``).

    The workers write into a staging folder beside ``out``; it is synced once and swapped in at
    the end, so a failed or interrupted import leaves ``out`` as it was.

    Raises:
        FormatError: nothing could be imported (every reason is in the progress events).
        UsageError: ``out`` is a non-empty folder that is not an mcgen dataset.
        FileIOError: the dataset cannot be written or put in place.
    """
    from mcgen.dataset import check_output, write_manifest  # noqa: PLC0415
    from mcgen.fsutil import atomic_write_text  # noqa: PLC0415
    from mcgen.importing.engine import run_import  # noqa: PLC0415 - the engine imports this module

    out = Path(out)
    check_output(out)
    staging = out.parent / f".{out.name}.importing-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir(parents=True)
        report = run_import(sources, options, write_to=staging, progress=progress, tick=tick, roots=roots)
        if not report.written:
            raise FormatError(f"no build could be imported from {len(sources)} input(s): {len(report.skipped)} "
                              f"unreadable, {len(report.too_large)} too large, {len(report.near_empty)} near-empty, "
                              f"{len(report.duplicates)} duplicates")
        extra: dict = {"import": {"fit": options.fit, "vocab": options.vocab, "min_blocks": options.min_blocks,
                                  "max_size": options.max_size, "keep_ground": options.keep_ground,
                                  "label_from": options.label_from, "solid_fill": options.solid_fill,
                                  "sources": len(sources)}}
        if report.split:
            extra["split"] = report.split
        write_manifest(staging, count=len(report.written), labels=dict(report.labels), size=options.size,
                       vocabulary=report.vocabulary, generator=GENERATOR, seed=None, extra=extra)
        atomic_write_text(staging / "report.json", json.dumps(report.to_dict(), indent=1) + "\n")
        if hasattr(os, "sync"):  # one flush for every sample file before the dataset becomes visible (POSIX)
            os.sync()
        _swap_in(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _swap_in(staging: Path, out: Path) -> None:
    """Replace ``out`` (absent, empty or an old dataset) by ``staging`` with two renames.

    Raises:
        FileIOError: a rename failed (``out`` is put back when it can be).
    """
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    try:
        if out.exists():
            os.replace(out, old)
        os.replace(staging, out)
    except OSError as exc:
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise FileIOError(f"cannot put the new dataset in place: {exc.strerror or exc}", path=out) from exc
    shutil.rmtree(old, ignore_errors=True)
