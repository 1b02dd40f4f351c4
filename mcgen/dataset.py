"""Dataset folders: ``manifest.json`` plus one ``sample_NNNN/`` (data.json + voxels.npz) per build.

Layout (the contract in notes/INTERFACES.md)::

    dataset/manifest.json  {"format": "mcgen.dataset", "version": 1, "count", "size",
                            "vocabulary", "labels", "generator", "seed", "mcgen_version"}
    dataset/sample_0000/data.json    voxel JSON with meta {"label", "seed", "index", ...}
    dataset/sample_0000/voxels.npz   blocks + the sample's own compact palette
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

import mcgen
from mcgen.errors import FileIOError, FormatError, UsageError
from mcgen.files import read_structure
from mcgen.fsutil import atomic_write_text
from mcgen.grid import VoxelGrid, save_json, save_npz

DATASET_FORMAT = "mcgen.dataset"
DATASET_VERSION = 1
MANIFEST = "manifest.json"
PREVIEW = "preview.png"


def sample_dir_name(index: int, count: int) -> str:
    """``sample_0000``; wider numbers when ``count`` needs them, so names sort in order."""
    return f"sample_{index:0{max(4, len(str(max(0, count - 1))))}d}"


def is_dataset(path: str | os.PathLike) -> bool:
    """True when ``path`` holds an mcgen ``manifest.json``."""
    try:
        return load_manifest(path)["format"] == DATASET_FORMAT
    except (FormatError, FileIOError):
        return False


def load_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check ``path/manifest.json``.

    Raises:
        FileIOError: no manifest there.
        FormatError: not an mcgen dataset manifest, or a version this mcgen cannot read.
    """
    mf = Path(path) / MANIFEST
    try:
        d = json.loads(mf.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileIOError("not a dataset folder (no manifest.json)", path=path) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"cannot read manifest: {exc}", path=mf) from exc
    if not isinstance(d, dict) or d.get("format") != DATASET_FORMAT:
        raise FormatError(f"not an mcgen dataset manifest (format {d.get('format')!r})"
                          if isinstance(d, dict) else "not an mcgen dataset manifest", path=mf)
    if d.get("version") != DATASET_VERSION:
        raise FormatError(f"unsupported dataset version {d.get('version')!r}", path=mf)
    return d


def check_output(path: str | os.PathLike, overwrite: bool = True) -> bool:
    """Check that a dataset may be written to ``path``; True when an old dataset is there.

    Raises:
        UsageError: ``path`` is a file, or a non-empty folder that is not an mcgen dataset,
            or a dataset and ``overwrite`` is False.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError("output exists and is not a folder", path=out)
    if not (out.is_dir() and any(out.iterdir())):
        return False
    if not is_dataset(out):
        raise UsageError("output folder is not empty and is not an mcgen dataset; refusing to overwrite", path=out)
    if not overwrite:
        raise UsageError("output folder already holds a dataset", path=out)
    return True


def prepare_output(path: str | os.PathLike, overwrite: bool = True) -> Path:
    """Make ``path`` ready for a new dataset: create it, or clear an old mcgen dataset in it.

    Raises:
        UsageError: see :func:`check_output`.
        FileIOError: the folder cannot be created.
    """
    out = Path(path)
    if check_output(out, overwrite):
        for p in out.iterdir():
            if p.is_dir() and p.name.startswith("sample_"):
                shutil.rmtree(p)
            elif p.name in (MANIFEST, PREVIEW):
                p.unlink()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FileIOError(f"cannot create folder: {exc.strerror or exc}", path=out) from exc
    return out


def write_dataset(path: str | os.PathLike, grids: Sequence[VoxelGrid], *, size: int,
                  vocabulary: Sequence[str], generator: str, seed: int | None,
                  progress: Callable[[int, int], None] | None = None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write samples and then the manifest (written last, so a dataset with one is complete).

    Returns:
        The manifest dict.
    """
    out = prepare_output(path)

    def write_one(i: int) -> None:
        d = out / sample_dir_name(i, len(grids))
        save_json(grids[i], d / "data.json")
        save_npz(grids[i], d / "voxels.npz")

    # Threads overlap the fsync of each atomic write; the files do not depend on the order.
    with ThreadPoolExecutor(max_workers=8) as pool:
        for done, _ in enumerate(pool.map(write_one, range(len(grids))), 1):
            if progress:
                progress(done, len(grids))
    labels = Counter(str(g.meta.get("label", "")) for g in grids)
    return write_manifest(out, count=len(grids), labels=dict(labels), size=size, vocabulary=vocabulary,
                          generator=generator, seed=seed, extra=extra)


def write_manifest(path: str | os.PathLike, *, count: int, labels: dict[str, int], size: int,
                   vocabulary: Sequence[str], generator: str, seed: int | None,
                   extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``manifest.json`` for samples already written (last, so a dataset with one is complete).

    Returns:
        The manifest dict.
    """
    manifest = {
        "format": DATASET_FORMAT, "version": DATASET_VERSION, "count": count, "size": size,
        "vocabulary": list(vocabulary), "labels": dict(sorted(labels.items())),
        "generator": generator, "seed": seed, "mcgen_version": mcgen.__version__,
    }
    manifest.update(extra or {})
    atomic_write_text(Path(path) / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return manifest


def sample_dirs(path: str | os.PathLike) -> list[Path]:
    """The ``sample_*`` folders of a dataset, in order."""
    return sorted(p for p in Path(path).iterdir() if p.is_dir() and p.name.startswith("sample_"))


def dataset_stats(path: str | os.PathLike) -> dict[str, Any]:
    """Count, label and block histograms, and mean fill of a dataset folder.

    Raises:
        FileIOError, FormatError: not a readable dataset.
    """
    manifest = load_manifest(path)
    labels: Counter[str] = Counter()
    blocks: Counter[str] = Counter()
    fills = []
    dirs = sample_dirs(path)
    for d in dirs:
        g = read_structure(d)
        labels[str(g.meta.get("label", "?"))] += 1
        blocks.update(g.histogram())
        fills.append(g.count() / max(1, int(np.prod(g.size))))
    return {
        "count": len(dirs), "manifest_count": manifest.get("count"), "size": manifest.get("size"),
        "generator": manifest.get("generator"), "vocabulary_size": len(manifest.get("vocabulary", [])),
        "labels": dict(labels.most_common()), "blocks": dict(blocks.most_common()),
        "mean_fill": float(np.mean(fills)) if fills else 0.0,
    }


def synthesize(path: str | os.PathLike, *, count: int, size: int = 16, seed: int = 0, workers: int = 1,
               preview: bool = True, draw_progress: Callable[[int, int], None] | None = None,
               write_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Draw ``count`` synthetic buildings (:mod:`mcgen.synth`) and write them as a dataset folder.

    What ``mcgen dataset synth`` and ``mcgen demo`` run. ``preview`` also writes ``preview.png``, a
    contact sheet of the first 40.

    Returns:
        The manifest written.

    Raises:
        UsageError: ``size`` is not a synthesiser size, or ``path`` holds something that is not an
            mcgen dataset (checked before any work).
        FileIOError: the folder cannot be written.
    """
    from mcgen.synth import GENERATOR, SIZES, generate_dataset  # noqa: PLC0415 - the synthesiser is large
    from mcgen.vocab import DEFAULT_VOCAB  # noqa: PLC0415

    if size not in SIZES:
        raise UsageError(f"--size must be one of {', '.join(map(str, SIZES))}, got {size}")
    check_output(path)  # refuse early, before minutes of work
    grids = generate_dataset(count, size, seed, workers=min(workers, os.cpu_count() or 1), progress=draw_progress)
    manifest = write_dataset(path, grids, size=size, vocabulary=DEFAULT_VOCAB.states, generator=GENERATOR,
                             seed=seed, progress=write_progress)
    if preview:
        from mcgen.render import contact_sheet  # noqa: PLC0415

        shown = grids[:40]
        contact_sheet([(f"{i} {g.meta['label']}", g) for i, g in enumerate(shown)], Path(path) / PREVIEW,
                      cols=min(10, len(shown)), cell=160)
    return manifest
