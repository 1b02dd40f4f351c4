"""The batch import: read many structure files, fit and map them, write a dataset folder.

Per build: peek at the header (refuse one over the size limit before loading it), read it,
turn structure voids and other technical blocks into air, trim, map every state onto the
vocabulary, fit into the grid, then drop near-empty builds and exact duplicates. A file that
cannot be read is recorded with its reason and the batch goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mcgen.blocks import AIR, base_name
from mcgen.errors import ConfigError, FormatError, McgenError, UsageError
from mcgen.files import STRUCTURE_SUFFIXES, is_sample_dir, read_structure
from mcgen.grid import VoxelGrid
from mcgen.importing.fit import FIT_MODES, fit, strip_ground, trim
from mcgen.importing.labels import label_from_name
from mcgen.importing.mapping import AIR_LIKE, NATURAL_GROUND, VocabMapper, auto_vocabulary
from mcgen.importing.peek import peek
from mcgen.vocab import DEFAULT_VOCAB

GENERATOR = "mcgen.importing 1"
SIZES = (16, 32)
_BOOKKEEPING = {"manifest.json", "config.json", "report.json", "build_log.json", "metrics.jsonl"}
_CACHE_VOXELS = 64_000_000  # auto:K keeps trimmed builds in memory up to this many voxels, else re-reads

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

    def __post_init__(self) -> None:
        if self.size not in SIZES:
            raise ConfigError(f"--size must be one of {', '.join(map(str, SIZES))}, got {self.size}")
        if self.fit not in FIT_MODES:
            raise ConfigError(f"--fit must be one of {', '.join(FIT_MODES)}, got {self.fit!r}")
        if self.min_blocks < 0:
            raise ConfigError(f"--min-blocks must be >= 0, got {self.min_blocks}")
        if self.max_size < 1:
            raise ConfigError(f"--max-size must be >= 1, got {self.max_size}")
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
class ImportReport:
    """What an import did; ``to_dict()`` is written to ``report.json`` beside the manifest."""

    options: ImportOptions
    vocabulary: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    too_large: list[tuple[str, str]] = field(default_factory=list)
    near_empty: list[tuple[str, int]] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    fell_back: list[str] = field(default_factory=list)
    ground_stripped: list[tuple[str, int]] = field(default_factory=list)
    blocks_total: int = 0
    blocks_remapped: int = 0
    blocks_to_air: int = 0
    remaps: Counter = field(default_factory=Counter)
    block_entities: int = 0
    entities: int = 0
    counts_unknown: int = 0
    labels: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def top_remaps(self, n: int = 10) -> list[tuple[str, str, int]]:
        """The ``n`` most frequent ``(from, to, blocks)`` remappings."""
        return [(a, b, c) for (a, b), c in self.remaps.most_common(n)]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        o = self.options
        return {
            "options": {"size": o.size, "fit": o.fit, "vocab": o.vocab, "min_blocks": o.min_blocks,
                        "max_size": o.max_size, "keep_ground": o.keep_ground},
            "written": len(self.written), "sources": self.written,
            "skipped": [{"source": s, "reason": r} for s, r in self.skipped],
            "too_large": [{"source": s, "reason": r} for s, r in self.too_large],
            "near_empty": [{"source": s, "blocks": n} for s, n in self.near_empty],
            "duplicates": [{"source": s, "duplicate_of": d} for s, d in self.duplicates],
            "fell_back_to_scale": self.fell_back,
            "ground_stripped": [{"source": s, "layers": n} for s, n in self.ground_stripped],
            "blocks": {"total": self.blocks_total, "remapped": self.blocks_remapped, "to_air": self.blocks_to_air},
            "top_remaps": [{"from": a, "to": b, "blocks": c} for a, b, c in self.top_remaps(25)],
            "dropped": {"block_entities": self.block_entities, "entities": self.entities,
                        "files_without_counts": self.counts_unknown},
            "labels": dict(sorted(self.labels.items())), "vocabulary_size": len(self.vocabulary),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Build:
    source: str
    label: str
    blocks: np.ndarray | None  # trimmed source palette indices; None when not cached
    palette: list[str]
    counts: np.ndarray  # blocks per palette entry
    raw_size: tuple[int, int, int]
    ground_layers: int = 0


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


def load_source(src: Path | WorldBox, max_size: int) -> tuple[VoxelGrid, int | None, int | None]:
    """Read one build, refusing it before loading when its header says it is too large.

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
    grid = read_structure(src)
    if max(grid.size, default=0) > max_size:
        raise TooLarge(f"{'x'.join(map(str, grid.size))} is larger than --max-size {max_size}", path=src)
    be = info.block_entities if info is not None else grid.meta.get("block_entities")
    ent = info.entities if info is not None else grid.meta.get("entities")
    return grid, be, ent


def _prepare(grid: VoxelGrid, source: str, label: str, keep: bool, keep_ground: bool) -> _Build:
    """Technical blocks -> air, trim, strip a terrain base; keeps per-state counts for the report."""
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
    return _Build(source, label, core if keep else None, list(grid.palette), counts, grid.size, cut)


def _source_name(src: Path | WorldBox) -> str:
    return str(src) if isinstance(src, WorldBox) else str(src.resolve())


def _label(src: Path | WorldBox, grid: VoxelGrid) -> str:
    """Our own files keep the label they carry; others get one from the file name."""
    if isinstance(src, WorldBox):
        return "build"
    own = src.is_dir() or src.suffix.lower() in (".json", ".npz")
    return str(grid.meta["label"]) if own and grid.meta.get("label") else label_from_name(src.name)


class _Importer:
    def __init__(self, options: ImportOptions, progress: Progress | None) -> None:
        self.o = options
        self.report = ImportReport(options)
        self.say = progress or (lambda *_: None)

    def read(self, src: Path | WorldBox, keep: bool) -> _Build | None:
        name = _source_name(src)
        try:
            grid, be, ent = load_source(src, self.o.max_size)
        except TooLarge as exc:
            self.report.too_large.append((name, str(exc)))
            self.say("skip", name, str(exc))
            return None
        except McgenError as exc:
            self.report.skipped.append((name, str(exc)))
            self.say("skip", name, str(exc))
            return None
        except Exception as exc:  # noqa: BLE001 - a reader bug must not sink a batch of thousands
            reason = f"{name}: internal error ({type(exc).__name__}: {exc}) while reading; please report this file"
            self.report.skipped.append((name, reason))
            self.say("skip", name, reason)
            return None
        if be is None or ent is None:
            self.report.counts_unknown += 1
        self.report.block_entities += be or 0
        self.report.entities += ent or 0
        return _prepare(grid, name, _label(src, grid), keep, self.o.keep_ground)

    def convert(self, b: _Build, mapper: VocabMapper, vocab_index: dict[str, int]) -> np.ndarray:
        targets = [mapper(s) for s in b.palette]
        lut = np.array([vocab_index[t] for t in targets], dtype=np.uint16)
        r = self.report
        for i, n in enumerate(b.counts.tolist()):
            if n and i:
                r.blocks_total += n
                if targets[i] != b.palette[i]:
                    r.blocks_remapped += n
                    r.blocks_to_air += n if targets[i] == AIR else 0
                    r.remaps[(b.palette[i], targets[i])] += n
        assert b.blocks is not None
        return lut[b.blocks]

    def finish(self, b: _Build, mapped: np.ndarray, seen: dict[bytes, str], out: list[VoxelGrid],
               vocab: list[str]) -> None:
        grid, info = fit(mapped, self.o.size, self.o.fit)
        n = int(np.count_nonzero(grid))
        if n < max(1, self.o.min_blocks):
            self.report.near_empty.append((b.source, n))
            self.say("drop", b.source, f"near-empty after fitting ({n} blocks < --min-blocks {self.o.min_blocks})")
            return
        key = hashlib.sha1(grid.tobytes()).digest()
        if key in seen:
            self.report.duplicates.append((b.source, seen[key]))
            self.say("drop", b.source, f"exact duplicate of {seen[key]}")
            return
        seen[key] = b.source
        if info.fell_back:
            self.report.fell_back.append(b.source)
        if b.ground_layers:
            self.report.ground_stripped.append((b.source, b.ground_layers))
        meta = {"label": b.label, "index": len(out), "source": b.source, "source_size": list(b.raw_size),
                "trimmed_size": list(info.trimmed), "fit": info.mode, "ground_layers_removed": b.ground_layers}
        if info.mode == "scale":
            meta["scale"] = round(info.factor, 4)
        out.append(VoxelGrid(grid, vocab, meta))
        self.report.written.append(b.source)
        self.report.labels[b.label] += 1
        note = f"{'x'.join(map(str, info.trimmed))} -> {info.mode}" + (
            f" 1/{info.factor:.2f}" if info.mode == "scale" else "") + (" (pad did not fit)" if info.fell_back else "")
        self.say("ok", b.source, note)


def import_builds(sources: Sequence[Path | WorldBox], options: ImportOptions,
                  progress: Progress | None = None) -> tuple[list[VoxelGrid], ImportReport]:
    """Read, map and fit builds in memory (no files written).

    Returns:
        ``(grids, report)``: ``size``^3 grids over the vocabulary (``report.vocabulary``), with
        meta ``label``, ``index``, ``source``, ``source_size``, ``trimmed_size``, ``fit``.
    """
    t0 = time.perf_counter()
    imp = _Importer(options, progress)
    k = options.auto_k()
    builds: list[tuple[Path | WorldBox, _Build]] = []
    if k is not None:  # pass 1: state frequencies over everything that can be read
        budget = _CACHE_VOXELS
        totals: Counter = Counter()
        for src in sources:
            b = imp.read(src, keep=True)
            if b is None:
                continue
            if b.blocks is not None and b.blocks.size > budget:
                b.blocks = None
            budget -= b.blocks.size if b.blocks is not None else 0
            totals.update({s: int(n) for s, n in zip(b.palette, b.counts.tolist()) if n})
            builds.append((src, b))
        vocab = auto_vocabulary(dict(totals), k)
    else:
        vocab = list(DEFAULT_VOCAB.states)
    mapper, index = VocabMapper(vocab), {s: i for i, s in enumerate(vocab)}
    imp.report.vocabulary = vocab
    grids: list[VoxelGrid] = []
    seen: dict[bytes, str] = {}
    for src, b in builds if k is not None else ((s, None) for s in sources):
        if b is None or b.blocks is None:
            b = _reread(imp, src, b)
            if b is None:
                continue
        imp.finish(b, imp.convert(b, mapper, index), seen, grids, vocab)
    imp.report.seconds = time.perf_counter() - t0
    return grids, imp.report


def _reread(imp: _Importer, src: Path | WorldBox, cached: _Build | None) -> _Build | None:
    if cached is None:
        return imp.read(src, keep=True)
    try:  # it was read in pass 1 but not kept in memory
        grid, _, _ = load_source(src, imp.o.max_size)
    except McgenError as exc:
        imp.report.skipped.append((cached.source, str(exc)))
        imp.say("skip", cached.source, str(exc))
        return None
    return _prepare(grid, cached.source, cached.label, True, imp.o.keep_ground)


def import_dataset(sources: Sequence[Path | WorldBox], out: str | os.PathLike, options: ImportOptions,
                   progress: Progress | None = None) -> ImportReport:
    """Import builds and write ``out/`` (``sample_XXXX/``, ``manifest.json``, ``report.json``).

    Raises:
        FormatError: nothing could be imported (every reason is in the progress events).
        UsageError: ``out`` is a non-empty folder that is not an mcgen dataset.
    """
    from mcgen.dataset import is_dataset, write_dataset  # noqa: PLC0415
    from mcgen.fsutil import atomic_write_text  # noqa: PLC0415

    dest = Path(out)
    if dest.exists() and (not dest.is_dir() or (any(dest.iterdir()) and not is_dataset(dest))):
        raise UsageError("output exists and is not empty and not an mcgen dataset; refusing to overwrite", path=dest)
    grids, report = import_builds(sources, options, progress)
    if not grids:
        raise FormatError(f"no build could be imported from {len(sources)} input(s): {len(report.skipped)} unreadable,"
                          f" {len(report.too_large)} too large, {len(report.near_empty)} near-empty,"
                          f" {len(report.duplicates)} duplicates")
    extra = {"import": {"fit": options.fit, "vocab": options.vocab, "min_blocks": options.min_blocks,
                        "max_size": options.max_size, "keep_ground": options.keep_ground, "sources": len(sources)}}
    write_dataset(out, grids, size=options.size, vocabulary=report.vocabulary, generator=GENERATOR, seed=None,
                  extra=extra)
    atomic_write_text(Path(out) / "report.json", json.dumps(report.to_dict(), indent=1) + "\n")
    return report
