"""Resume state: RNG capture/restore, the train-state dict, checkpoint files and pruning.

Everything stored is a tensor or a plain value so checkpoints load with ``weights_only=True``.
The data order and the per-step random draws are pure functions of ``(seed, step)``, so the
counters are enough to continue exactly; the global RNG states are saved anyway for anything
(dropout, a library) that draws from them.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mcgen.errors import CheckpointError, FileIOError
from mcgen.fsutil import atomic_write_bytes

STEP_RE = re.compile(r"^step_(\d{6,})\.pt$")
LATEST = "latest.pt"
TRAIN_STATE_VERSION = 1


def capture_rng() -> dict[str, Any]:
    """Python, numpy, torch CPU and (when present) CUDA generator states, as plain values."""
    py_version, py_state, py_gauss = random.getstate()
    np_state = np.random.get_state()
    out: dict[str, Any] = {
        "python": [py_version, list(py_state), py_gauss],
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def restore_rng(state: dict[str, Any]) -> None:
    """Inverse of :func:`capture_rng` (a missing CUDA entry is left alone)."""
    version, py_state, gauss = state["python"]
    random.setstate((version, tuple(py_state), gauss))
    npd = state["numpy"]
    np.random.set_state(("MT19937", npd["keys"].numpy().astype(np.uint32), npd["pos"],
                         npd["has_gauss"], npd["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda_states = state["cuda"][: torch.cuda.device_count()]
        torch.cuda.set_rng_state_all(cuda_states)


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def step_path(ckpt_dir: Path, step: int) -> Path:
    """``checkpoints/step_000050.pt``."""
    return ckpt_dir / f"step_{step:06d}.pt"


def list_step_checkpoints(ckpt_dir: Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every ``step_*.pt``, oldest first."""
    if not ckpt_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in ckpt_dir.iterdir() if (m := STEP_RE.match(p.name))]
    return sorted(found)


def prune(ckpt_dir: Path, keep_last: int, protect: Path | None = None) -> list[Path]:
    """Delete all but the newest ``keep_last`` ``step_*.pt`` (0 keeps all); returns what went."""
    if keep_last <= 0:
        return []
    gone = []
    for _, path in list_step_checkpoints(ckpt_dir)[:-keep_last]:
        if protect is not None and path.resolve() == protect.resolve():
            continue
        try:
            path.unlink()
        except OSError as exc:
            raise FileIOError(f"cannot delete old checkpoint: {exc.strerror or exc}", path=path) from exc
        gone.append(path)
    return gone


def resolve_resume(resume: str | None, out_dir: Path) -> Path | None:
    """Turn ``--resume`` into a checkpoint path.

    ``None`` -> no resume. ``"auto"`` -> ``out/checkpoints/latest.pt`` when it exists, else start
    fresh. ``"latest"`` or ``"latest.pt"`` -> that file in ``out/checkpoints`` (must exist).
    Anything else is a path.

    Raises:
        CheckpointError: an explicitly named checkpoint does not exist.
    """
    if resume is None:
        return None
    latest = out_dir / "checkpoints" / LATEST
    if resume == "auto":
        return latest if latest.is_file() else None
    path = Path(resume)
    if resume in ("latest", LATEST) and not path.is_file():
        path = latest
    elif not path.is_file() and (out_dir / "checkpoints" / resume).is_file():
        path = out_dir / "checkpoints" / resume
    if not path.is_file():
        raise CheckpointError("checkpoint to resume from not found", path=path)
    return path


def pack_train_state(*, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scaler: Any,
                     ema_updates: int, step: int, epoch: int, samples_seen: int, elapsed: float,
                     config: dict, world_size: int, schedule: dict, window: dict) -> dict[str, Any]:
    """The trainer-owned part of a checkpoint: everything needed to continue bit for bit."""
    return {
        "version": TRAIN_STATE_VERSION,
        "model": to_cpu(model.state_dict()),
        "optimizer": to_cpu(optimizer.state_dict()),
        "scheduler": dict(schedule),
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
        "rng": capture_rng(),
        "data": {"step": step, "epoch": epoch, "seed": config["seed"], "batch_size": config["batch_size"]},
        "counters": {"step": step, "epoch": epoch, "samples_seen": samples_seen, "elapsed": elapsed,
                     "ema_updates": ema_updates, "world_size": world_size},
        "log_window": to_cpu(window),
        "config": dict(config),
    }


def check_compatible(train_state: dict[str, Any], config: dict) -> None:
    """Refuse to resume when the data order would differ (seed or global batch changed).

    Raises:
        CheckpointError: no train state, a newer version, or a mismatching setting.
    """
    if not train_state:
        raise CheckpointError("checkpoint has no training state (an export or EMA-only file): cannot resume")
    if int(train_state.get("version", 0)) > TRAIN_STATE_VERSION:
        raise CheckpointError(f"training state version {train_state.get('version')} is newer than this mcgen")
    saved = train_state["data"]
    for key in ("seed", "batch_size"):
        if saved[key] != config[key]:
            raise CheckpointError(
                f"cannot resume: {key} was {saved[key]} in the checkpoint but is {config[key]} now")


def to_cpu(obj: Any) -> Any:
    """A copy of nested dicts/lists/tuples with every tensor moved to the CPU."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


def publish_latest(step_file: Path) -> Path:
    """Make ``latest.pt`` the same bytes as ``step_file``, atomically.

    A hard link to a temp name renamed over ``latest.pt`` costs nothing and is atomic; where
    the file system has no hard links the bytes are copied through an atomic write.
    """
    latest = step_file.parent / LATEST
    tmp = step_file.parent / f".{LATEST}.{os.getpid()}.tmp"
    try:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.link(step_file, tmp)
        os.replace(tmp, latest)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        atomic_write_bytes(latest, step_file.read_bytes())
    return latest
