"""Find what a path holds (one structure, a folder of samples, a dataset, a training run) and
collect it into the plain dict the viewer page embeds.

Training output layout (written by the trainer)::

    outputs/inference_samples/step_000005_sample_0.json   voxel JSON per sample
    outputs/metrics.jsonl                                one JSON object per line
    outputs/config.json                                  the run's configuration
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import mcgen
from mcgen.errors import FormatError, McgenError
from mcgen.files import iter_structure_paths, read_structure
from mcgen.view.encode import encode_grid

STEP_SAMPLE_RE = re.compile(r"^step_(\d+)_sample_(\d+)\.json$")
MAX_CURVE_POINTS = 4000
MAX_EVAL_POINTS = 1000


def detect_kind(path: Path) -> str:
    """``"training"``, ``"dataset"``, ``"samples"`` or ``"structure"`` for ``path``.

    Raises:
        FormatError: ``path`` does not exist.
    """
    if not path.exists():
        raise FormatError("no such file or folder", path=path)
    if path.is_dir():
        if (path / "inference_samples").is_dir() or (path / "metrics.jsonl").is_file():
            return "training"
        if any(STEP_SAMPLE_RE.match(p.name) for p in path.iterdir()):
            return "training"
        if (path / "manifest.json").is_file():
            return "dataset"
        if not (path / "data.json").is_file() and not (path / "voxels.npz").is_file():
            return "samples"
    return "structure"


def gather(path: str | Path, *, limit: int = 400) -> dict[str, Any]:
    """Collect everything the page shows for ``path``.

    Args:
        path: a structure file, a sample folder, a folder of structures, a dataset folder, or a
            training output folder (or its ``inference_samples/``).
        limit: most structures to embed; training runs keep evenly spaced steps (always the
            first and the last), folders keep the first ``limit``.

    Returns:
        ``{"kind", "title", "source", "structures": [...], "notes": [...], "training"?: {...},
        "dataset"?: {...}}``; each structure as :func:`mcgen.view.encode.encode_grid` makes it.

    Raises:
        FormatError: missing path, unreadable structure, or nothing to show.
    """
    path = Path(path)
    if limit < 1:
        raise FormatError(f"limit must be at least 1, got {limit}")
    kind = detect_kind(path)
    data: dict[str, Any] = {
        "kind": kind, "title": path.resolve().name or str(path), "source": str(path),
        "mcgen_version": mcgen.__version__, "notes": [], "structures": [],
    }
    if kind == "training":
        _gather_training(path, limit, data)
    else:
        _gather_folder(path, limit, data)
        if kind == "dataset":
            data["dataset"] = _read_manifest(path / "manifest.json")
    if not data["structures"] and not (kind == "training" and data["training"]["metrics"]["step"]):
        raise FormatError("nothing to show: no structures found", path=path)
    return data


def _gather_folder(path: Path, limit: int, data: dict[str, Any]) -> None:
    paths = iter_structure_paths(path)
    if len(paths) > limit:
        data["notes"].append(f"showing the first {limit} of {len(paths)} structures (raise --limit to see more)")
        paths = paths[:limit]
    skipped = []
    for p in paths:
        try:
            grid = read_structure(p)
        except McgenError as exc:
            if len(paths) == 1:
                raise
            skipped.append(str(exc))
            continue
        data["structures"].append(encode_grid(grid, p.stem if p.is_file() else p.name))
    if skipped:
        data["notes"].append(f"skipped {len(skipped)} unreadable file(s): " + "; ".join(skipped[:5]))


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"cannot read dataset manifest: {exc}", path=path) from exc
    if not isinstance(m, dict):
        raise FormatError("dataset manifest is not a JSON object", path=path)
    keep = ("count", "size", "labels", "generator", "seed", "mcgen_version")
    out = {k: m[k] for k in keep if k in m}
    if isinstance(m.get("vocabulary"), list):
        out["vocabulary_size"] = len(m["vocabulary"])
    return out


def _gather_training(path: Path, limit: int, data: dict[str, Any]) -> None:
    root = path.parent if (path.name == "inference_samples" and not (path / "inference_samples").is_dir()) else path
    sample_dir = root / "inference_samples" if (root / "inference_samples").is_dir() else path
    by_step = _sample_files(sample_dir)
    steps = sorted(by_step)
    per_step = max((len(v) for v in by_step.values()), default=1)
    kept = _even_subset(steps, max(1, limit // per_step))
    if len(kept) < len(steps):
        data["notes"].append(f"showing {len(kept)} of {len(steps)} sample steps (raise --limit to see more)")
    table: list[list[int]] = []
    bad: list[str] = []
    for step in kept:
        row = []
        for k, p in sorted(by_step[step].items()):
            try:  # a running trainer may be writing this very file
                grid = read_structure(p)
            except McgenError as exc:
                bad.append(str(exc))
                continue
            row.append(len(data["structures"]))
            data["structures"].append(encode_grid(grid, p.stem, extra={"step": step, "sample": k}))
        if row:
            table.append(row)
    kept = [data["structures"][row[0]]["step"] for row in table]
    if bad:
        data["notes"].append(f"skipped {len(bad)} unreadable sample(s): " + "; ".join(bad[:3]))
    data["title"] = root.resolve().name
    data["training"] = {
        "steps": kept, "samples": table,
        "metrics": read_metrics(root / "metrics.jsonl"),
        "config": _read_config(root / "config.json"),
    }


def _sample_files(folder: Path) -> dict[int, dict[int, Path]]:
    out: dict[int, dict[int, Path]] = {}
    if folder.is_dir():
        for p in folder.iterdir():
            m = STEP_SAMPLE_RE.match(p.name)
            if m and p.is_file():
                out.setdefault(int(m.group(1)), {})[int(m.group(2))] = p
    return out


def _even_subset(items: list[int], n: int) -> list[int]:
    """At most ``n`` evenly spaced items, always keeping the first and the last."""
    if len(items) <= n:
        return list(items)
    if n == 1:
        return [items[-1]]
    idx = sorted({round(i * (len(items) - 1) / (n - 1)) for i in range(n)})
    return [items[i] for i in idx]


def read_metrics(path: Path) -> dict[str, Any]:
    """Loss curve and eval points from ``metrics.jsonl`` (a half-written last line is skipped).

    Returns:
        ``{"step": [...], "loss": [...], "lr": [...], "eval": [{"step": s, ...numbers}]}``, the
        curve thinned to at most ``MAX_CURVE_POINTS`` points (the last point always kept).
    """
    steps: list[int] = []
    loss: list[float] = []
    lr: list[float | None] = []
    evals: list[dict[str, Any]] = []
    for rec in _jsonl(path):
        step = rec.get("step")
        if not isinstance(step, int) or isinstance(step, bool):
            continue
        if _finite(rec.get("loss")):
            steps.append(step)
            loss.append(float(rec["loss"]))
            lr.append(float(rec["lr"]) if _finite(rec.get("lr")) else None)
        if isinstance(rec.get("eval"), dict):
            nums = {k: float(v) for k, v in rec["eval"].items() if _finite(v)}
            if nums:
                evals.append({"step": step, **nums})
    keep = _even_subset(list(range(len(steps))), MAX_CURVE_POINTS)
    return {
        "step": [steps[i] for i in keep], "loss": [loss[i] for i in keep], "lr": [lr[i] for i in keep],
        "eval": [evals[i] for i in _even_subset(list(range(len(evals))), MAX_EVAL_POINTS)],
    }


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise FormatError(f"cannot read metrics: {exc}", path=path) from exc
    out = []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line the trainer is still writing, or a stray one
        if isinstance(rec, dict):
            out.append(rec)
    return out


def _finite(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _read_config(path: Path) -> dict[str, Any]:
    """Top-level and one nested level of scalar settings from ``config.json`` (empty if absent)."""
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(cfg, dict):
        return {}
    out: dict[str, Any] = {}
    for k, v in cfg.items():
        if isinstance(v, dict):
            out.update({f"{k}.{k2}": v2 for k2, v2 in v.items() if _scalar(v2)})
        elif _scalar(v):
            out[k] = v
    return dict(list(out.items())[:80])


def _scalar(v: object) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))
