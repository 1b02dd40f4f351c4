"""The entry functions of an import: builds in memory, or a dataset folder put in place atomically.

Both run :func:`mcgen.importing.engine.run_import`; :func:`import_dataset` has the workers write
into a staging folder, then writes the manifest and report, syncs once and swaps it in.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from mcgen.errors import FileIOError, FormatError
from mcgen.grid import VoxelGrid
from mcgen.importing.engine import run_import
from mcgen.importing.options import ImportOptions, Progress, WorldBox
from mcgen.importing.report import ImportReport

GENERATOR = "mcgen.importing 1"


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
