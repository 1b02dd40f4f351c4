"""The batch import engine: per-build work in worker processes, bookkeeping in order in the parent.

Per build a worker reads, cleans, maps onto the vocabulary and fits (:func:`convert_job`); with
``--vocab auto:K`` a first pass (:func:`read_job`) counts states over everything first, keeping
trimmed builds in memory up to :data:`CACHE_VOXELS` and re-reading the rest. Results come back
in source order through a bounded window, so memory stays bounded and the output does not depend
on the number of workers. The parent drops near-empty builds and exact duplicates, numbers the
samples, assigns the series split and hands each grid to a sink, or has the workers write sample
folders (:func:`mcgen.importing.run.import_dataset` gives them a staging folder, swapped in at
the end).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcgen.blocks import AIR
from mcgen.errors import FileIOError, McgenError
from mcgen.grid import VoxelGrid
from mcgen.importing.fit import FitInfo, fit
from mcgen.importing.labels import label_from_name
from mcgen.importing.mapping import VocabMapper, auto_vocabulary
from mcgen.importing.options import ImportOptions, Progress, TooLarge, WorldBox
from mcgen.importing.pipeline import PreparedBuild, build_label, load_source, prepare_build, source_name
from mcgen.importing.report import ImportReport
from mcgen.importing.series import folder_label, held_out_series, relative_parts, series_key
from mcgen.vocab import DEFAULT_VOCAB

CACHE_VOXELS = 64_000_000  # auto:K keeps trimmed builds in memory up to this many voxels, else re-reads
WINDOW = 16  # jobs in flight per worker
_STATE: dict[str, Any] = {}  # per process: options, roots, vocabulary and its mapper


@dataclass
class Outcome:
    """What one job did with one source (sent back from a worker)."""

    source: str
    kind: str  # ok, skip (unreadable), too_large
    reason: str = ""
    build: PreparedBuild | None = None
    grid: np.ndarray | None = None
    info: FitInfo | None = None
    remaps: Counter = field(default_factory=Counter)
    block_entities: int | None = None
    entities: int | None = None


def _init(options: ImportOptions, roots: Sequence[Path], vocab: list[str] | None) -> None:
    """Worker set-up: the options, and the mapper for ``vocab`` (built once per process)."""
    _STATE.update(options=options, roots=tuple(roots), vocab=vocab,
                  mapper=VocabMapper(vocab) if vocab is not None else None,
                  index={s: i for i, s in enumerate(vocab)} if vocab is not None else None)


def _read(src: Path | WorldBox, keep: bool) -> Outcome:
    """Read and prepare one source; reader failures become ``skip``/``too_large`` outcomes."""
    o: ImportOptions = _STATE["options"]
    name = source_name(src)
    try:
        grid, be, ent = load_source(src, o.max_size, o.solid_fill)
    except TooLarge as exc:
        return Outcome(name, "too_large", str(exc))
    except McgenError as exc:
        return Outcome(name, "skip", str(exc))
    except Exception as exc:  # noqa: BLE001 - a reader bug must not sink a batch of thousands
        return Outcome(name, "skip", f"{name}: internal error ({type(exc).__name__}: {exc}) while reading; "
                                     "please report this file")
    build = prepare_build(grid, name, build_label(src, grid, o.label_from, _STATE["roots"]), keep, o.keep_ground)
    return Outcome(name, "ok", build=build, block_entities=be, entities=ent)


def read_job(src: Path | WorldBox) -> Outcome:
    """First pass of ``auto:K``: read and prepare, keeping the trimmed blocks."""
    return _read(src, keep=True)


def convert_job(job: tuple[Path | WorldBox, PreparedBuild | None]) -> Outcome:
    """Read (unless the build comes along), map onto the vocabulary and fit one build."""
    src, build = job
    if build is None or build.blocks is None:
        fresh = _read(src, keep=True)
        if fresh.kind != "ok":
            return fresh
        if build is None:
            out = fresh
        else:  # read in the first pass, not kept: its counts were already reported
            out = Outcome(build.source, "ok", build=fresh.build)
    else:
        out = Outcome(build.source, "ok", build=build)
    b = out.build
    assert b is not None and b.blocks is not None
    mapper: VocabMapper = _STATE["mapper"]
    targets = [mapper(s) for s in b.palette]
    lut = np.array([_STATE["index"][t] for t in targets], dtype=np.uint16)
    for i, n in enumerate(b.counts.tolist()):
        if n and i:
            out.remaps[(b.palette[i], targets[i])] += n
    o: ImportOptions = _STATE["options"]
    out.grid, out.info = fit(lut[b.blocks], o.size, o.fit)
    b.blocks = None  # not needed any more: keep the message back small
    return out


def write_job(job: tuple[Path, VoxelGrid]) -> None:
    """Write one sample folder (``data.json`` + ``voxels.npz``) inside the staging folder.

    Plain writes, no fsync per file: the staging folder is invisible until
    :func:`mcgen.importing.run.import_dataset` syncs once and renames it into place, which is
    what keeps a crash from leaving half a dataset.
    """
    folder, grid = job
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "data.json").write_bytes(grid.to_json().encode("utf-8"))
        (folder / "voxels.npz").write_bytes(grid.to_npz_bytes())
    except OSError as exc:
        raise FileIOError(f"cannot write: {exc.strerror or exc}", path=folder) from exc


class _Runner:
    """Runs jobs inline (one worker) or in a process pool, giving results back in order."""

    def __init__(self, workers: int, init_args: tuple) -> None:
        """``init_args`` go to :func:`_init` in every worker (and in this process)."""
        self.workers = workers
        self.init_args = init_args
        self.pool = None
        self.writes: deque = deque()

    def __enter__(self) -> _Runner:
        """Set this process up like a worker, and start the pool when there is more than one worker."""
        _init(*self.init_args)
        if self.workers > 1:
            # Not "fork": a fork of a process whose threads hold locks (torch's / OpenMP's pools, once torch
            # was imported, as in the test suite) can hang the worker forever (seen: a world-box import in
            # the full test run). A fork server starts clean, once.
            methods = multiprocessing.get_all_start_methods()
            ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            self.pool = ctx.Pool(self.workers, initializer=_init, initargs=self.init_args)
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the pool (terminate it when leaving on an error, e.g. Ctrl-C)."""
        if self.pool is not None:
            if exc[0] is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()

    def ordered(self, fn: Callable, jobs: Iterable) -> Iterator[Any]:
        """``fn(job)`` for every job, in order, at most ``WINDOW * workers`` in flight."""
        if self.pool is None:
            yield from map(fn, jobs)
            return
        pending: deque = deque()
        it = iter(jobs)
        for job in it:
            pending.append(self.pool.apply_async(fn, (job,)))
            if len(pending) >= WINDOW * self.workers:
                break
        while pending:
            result = pending.popleft().get()
            job = next(it, None)
            if job is not None:
                pending.append(self.pool.apply_async(fn, (job,)))
            yield result

    def submit_write(self, job: tuple[Path, VoxelGrid]) -> None:
        """Write a sample in a worker (inline with one worker), bounding the writes in flight."""
        if self.pool is None:
            write_job(job)
            return
        self.writes.append(self.pool.apply_async(write_job, (job,)))
        while len(self.writes) > WINDOW * self.workers:
            self.writes.popleft().get()

    def drain(self) -> None:
        """Wait for every write (re-raising a failed one)."""
        while self.writes:
            self.writes.popleft().get()


class _Books:
    """The parent's bookkeeping: report, dedup, numbering, split."""

    def __init__(self, options: ImportOptions, progress: Progress | None, vocab: list[str],
                 held_out: set[str] | None, series: dict[str, str]) -> None:
        """``held_out``: the held-out series (None without a split); ``series``: source -> series."""
        self.o = options
        self.report = ImportReport(options, vocabulary=list(vocab), workers=options.workers)
        self.say = progress or (lambda *_: None)
        self.seen: dict[bytes, str] = {}
        self.held_out, self.series = held_out, series
        self.splits: dict[str, list[int]] = {"train": [], "held_out": []}
        self.count = 0

    def read_result(self, o: Outcome) -> bool:
        """Book the reading side of an outcome (once per source); False when it failed."""
        r = self.report
        if o.kind == "too_large":
            r.too_large.append((o.source, o.reason))
        elif o.kind == "skip":
            r.skipped.append((o.source, o.reason))
        if o.kind != "ok":
            self.say("skip", o.source, o.reason)
            return False
        b = o.build
        assert b is not None
        r.builds_read += 1
        if o.block_entities is None or o.entities is None:
            r.counts_unknown += 1
        r.block_entities += o.block_entities or 0
        r.entities += o.entities or 0
        r.source_remaps.update(b.source_remaps or {})
        r.fits.update(s for s in (16, 32) if max(b.trimmed, default=0) <= s)
        return True

    def finish(self, o: Outcome, sink: Callable[[VoxelGrid], None], vocab: list[str]) -> None:
        """Book a converted build and pass it to ``sink`` unless it is near-empty or a duplicate."""
        r, b, info, grid = self.report, o.build, o.info, o.grid
        assert b is not None and info is not None and grid is not None
        for (a, t), n in o.remaps.items():
            r.blocks_total += n
            if a != t:
                r.blocks_remapped += n
                r.blocks_to_air += n if t == AIR else 0
                r.remaps[(a, t)] += n
        if info.mode == "skip":
            r.did_not_fit.append((b.source, list(info.trimmed)))
            self.say("drop", b.source, f"does not fit {self.o.size}^3 ({'x'.join(map(str, info.trimmed))}; --fit skip)")
            return
        n = int(np.count_nonzero(grid))
        if n < max(1, self.o.min_blocks):
            r.near_empty.append((b.source, n))
            self.say("drop", b.source, f"near-empty after fitting ({n} blocks < --min-blocks {self.o.min_blocks})")
            return
        key = hashlib.sha1(grid.tobytes()).digest()
        if key in self.seen:
            r.duplicates.append((b.source, self.seen[key]))
            self.say("drop", b.source, f"exact duplicate of {self.seen[key]}")
            return
        self.seen[key] = b.source
        r.fit_modes[info.mode] += 1
        if info.mode == "scale":
            r.scale_factors.append(round(info.factor, 4))
        if info.fell_back:
            r.fell_back.append(b.source)
        if b.ground_layers:
            r.ground_stripped.append((b.source, b.ground_layers))
        meta = {"label": b.label, "index": self.count, "source": b.source, "source_size": list(b.raw_size),
                "trimmed_size": list(info.trimmed), "fit": info.mode, "ground_layers_removed": b.ground_layers}
        if info.mode == "scale":
            meta["scale"] = round(info.factor, 4)
        if self.held_out is not None:
            key_s = self.series.get(b.source, b.source)
            part = "held_out" if key_s in self.held_out else "train"
            meta.update(series=key_s, split=part)
            self.splits[part].append(self.count)
        sink(VoxelGrid(grid, vocab, meta))
        self.count += 1
        r.written.append(b.source)
        r.labels[b.label] += 1
        note = f"{'x'.join(map(str, info.trimmed))} -> {info.mode}" + (
            f" 1/{info.factor:.2f}" if info.mode == "scale" else "") + (" (pad did not fit)" if info.fell_back else "")
        self.say("ok", b.source, note)


def _series_of(src: Path | WorldBox, roots: Sequence[Path]) -> str:
    """The series a source belongs to, named below its import root (so the split is machine-independent)."""
    if isinstance(src, WorldBox):
        return str(src)
    parts = relative_parts(src, roots)
    return series_key("/".join(parts) if parts else src.resolve().as_posix())


def _split_label(src: Path | WorldBox, options: ImportOptions, roots: Sequence[Path]) -> str:
    """The label a series is stratified by (from its path, so it is known before anything is read)."""
    if isinstance(src, WorldBox):
        return "build"
    label = folder_label(src, roots, options.label_from) if options.label_from != "name" else None
    return label or label_from_name(src.name)


def _series_plan(sources: Sequence[Path | WorldBox], options: ImportOptions,
                 roots: Sequence[Path]) -> tuple[set[str] | None, dict[str, str]]:
    """Series key of every source and the held-out series (None without ``--split-by series``)."""
    if options.split_by == "none":
        return None, {}
    keys: dict[str, str] = {}
    labels: dict[str, str] = {}
    for src in sources:
        key = keys[source_name(src)] = _series_of(src, roots)
        labels.setdefault(key, _split_label(src, options, roots))
    return held_out_series(labels, options.held_out, options.seed), keys


def _count_pass(sources: Sequence[Path | WorldBox], options: ImportOptions, roots: Sequence[Path], books: _Books,
                tick: Callable[[], None]) -> tuple[list, Counter]:
    """First pass of ``auto:K``: state counts over everything readable, and the convert jobs.

    Trimmed builds stay in the jobs while they fit in :data:`CACHE_VOXELS`; the rest are re-read.
    """
    budget, totals, jobs = CACHE_VOXELS, Counter(), []
    with _Runner(options.workers, (options, roots, None)) as run:
        for src, o in zip(sources, run.ordered(read_job, sources)):
            tick()
            if not books.read_result(o):
                continue
            b = o.build
            assert b is not None and b.blocks is not None
            if b.blocks.size > budget:
                b.blocks = None
            budget -= b.blocks.size if b.blocks is not None else 0
            totals.update({s: int(n) for s, n in zip(b.palette, b.counts.tolist()) if n})
            jobs.append((src, b))
    return jobs, totals


def run_import(sources: Sequence[Path | WorldBox], options: ImportOptions,
               sink: Callable[[VoxelGrid], None] | None = None, *, write_to: Path | None = None,
               progress: Progress | None = None, tick: Callable[[int, int], None] | None = None,
               roots: Sequence[Path] = ()) -> ImportReport:
    """Import ``sources``, handing every kept grid (in source order, numbered) to ``sink``.

    Args:
        sink: called in the parent with each grid; or
        write_to: a folder the workers write ``sample_XXXX/`` folders into instead.
        tick: called with ``(done, total)`` after each job (two per source with ``auto:K``).

    Returns:
        The report; ``report.split`` says which sample indices are held out.
    """
    t0 = time.perf_counter()
    held_out, series = _series_plan(sources, options, roots)
    k = options.auto_k()
    total, done = len(sources) * (2 if k is not None else 1), [0]

    def step() -> None:
        done[0] += 1
        if tick:
            tick(done[0], total)

    books = _Books(options, progress, list(DEFAULT_VOCAB.states), held_out, series)
    jobs: list = [(src, None) for src in sources]
    if k is not None:
        jobs, totals = _count_pass(sources, options, roots, books, step)
        done[0] += len(sources) - len(jobs)  # unreadable ones have no second pass
        books.report.vocabulary = auto_vocabulary(dict(totals), k)
    vocab = books.report.vocabulary
    with _Runner(options.workers, (options, roots, vocab)) as run:
        if write_to is not None:
            from mcgen.dataset import sample_dir_name  # noqa: PLC0415

            def sink(grid: VoxelGrid) -> None:  # noqa: F811 - writing replaces the caller's sink
                run.submit_write((write_to / sample_dir_name(grid.meta["index"], len(sources)), grid))
        assert sink is not None
        for o in run.ordered(convert_job, jobs):
            step()
            if k is None and not books.read_result(o):
                continue
            if o.kind != "ok":  # the re-read of a build not kept in memory failed
                books.report.skipped.append((o.source, o.reason))
                books.say("skip", o.source, o.reason)
                continue
            books.finish(o, sink, vocab)
        run.drain()
    r = books.report
    if held_out is not None:
        r.split = {"by": "series", "held_out_fraction": options.held_out, "seed": options.seed,
                   "series": len(set(series.values())), "held_out_series": len(held_out),
                   "train": books.splits["train"], "held_out": books.splits["held_out"]}
    r.seconds = time.perf_counter() - t0
    return r
