"""``generate``: checkpoint in, structures (``VoxelGrid``) out, without touching disk.

Sampling goes through the checkpoint's objective (:mod:`mcgen.objectives`). Seeding: sample ``i``
draws from ``torch.Generator().manual_seed(seed + i)`` on the CPU (the Gaussian starting noise; every
coin of the masked sampler), so it does not depend on the batch size or on how many samples are
asked for; stochastic Gaussian steps (DDPM) draw from one generator per batch seeded by the batch's
first sample index. Same seed, same machine -> same structures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

import mcgen
from mcgen.checkpoint import Checkpoint, load_checkpoint
from mcgen.cleanup import CLEANUPS, DEFAULT_CLEANUP, cleanup
from mcgen.errors import ConfigError
from mcgen.grid import VoxelGrid
from mcgen.objectives import Objective


def resolve_device(name: str = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available, else Apple MPS, else CPU; other names are checked.

    Raises:
        ConfigError: unknown device name, or a device that is not available here.
    """
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise ConfigError(f"unknown device {name!r} (use auto, cpu, cuda, cuda:N or mps)") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} requested but CUDA is not available on this machine")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s)")
    elif dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ConfigError("device 'mps' requested but it is not available on this machine")
    elif dev.type != "cpu":
        raise ConfigError(f"unsupported device {name!r} (use auto, cpu, cuda, cuda:N or mps)")
    return dev


ALL_LABELS = "all"  # ``label="all"``: sample i gets label i mod L (a mix of every class)


def label_index(ck: Checkpoint, label: str | None) -> int | None:
    """Index of ``label`` in the checkpoint's label names (``None`` stays ``None``, ``"all"`` gives -1).

    Raises:
        ConfigError: the model is unconditional or does not know ``label``.
    """
    if label is None:
        return None
    if ck.model_cfg.num_labels == 0:
        raise ConfigError(f"label {label!r} given but this model is unconditional (trained without labels)")
    if label not in ck.label_names:
        if label == ALL_LABELS:
            return -1
        raise ConfigError(f"unknown label {label!r}; this model knows: {', '.join(ck.label_names)} (or 'all')")
    return ck.label_names.index(label)


def evaluation_label(ck: Checkpoint, label: str | None) -> str | None:
    """The label to evaluate a model with: as given, else ``"all"`` for a conditional model (its
    reference set mixes every class) and ``None`` for an unconditional one."""
    if label is None and ck.model_cfg.num_labels > 0:
        return ALL_LABELS
    return label


@dataclass
class SamplingSetup:
    """A checkpoint made ready to sample: its objective, the sampler and step count (the
    objective's defaults filled in and checked), the label index, device and guidance scale.
    ``generate``, ``complete`` and ``generate_large`` all start from one."""

    ck: Checkpoint
    objective: Objective
    sampler: str
    num_steps: int
    label_idx: int | None
    device: torch.device
    guidance: float

    def labels(self, first: int, count: int) -> torch.Tensor | None:
        """Per-sample label ids for samples ``first .. first+count-1`` (independent of batching)."""
        if self.label_idx is None:
            return None
        if self.label_idx == -1:
            return torch.arange(first, first + count, dtype=torch.long) % len(self.ck.label_names)
        return torch.full((count,), self.label_idx, dtype=torch.long)

    def label_name(self, labels: torch.Tensor | None, i: int) -> str | None:
        """The name of sample ``i``'s label in ``labels`` (``None`` when unconditional)."""
        return self.ck.label_names[int(labels[i])] if labels is not None else None

    def meta(self) -> dict[str, Any]:
        """What every generated grid's ``meta`` starts with."""
        return {"checkpoint": str(self.ck.path), "step": self.ck.step, "objective": self.objective.kind,
                "sampler": self.sampler, "steps": self.num_steps, "mcgen_version": mcgen.__version__}


def prepare_sampling(checkpoint: str | Path | Checkpoint, *, sampler: str | None = None, num_steps: int | None = None,
                     label: str | None = None, guidance: float | None = None,
                     device: str | torch.device = "auto") -> SamplingSetup:
    """Load (if needed) and check everything sampling needs, before any work.

    Raises:
        CheckpointError: the checkpoint cannot be loaded.
        ConfigError: bad sampler, step count, label or device.
    """
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    label_idx = label_index(ck, label)
    objective = ck.objective()
    sampler = sampler or objective.default_sampler
    num_steps = num_steps or objective.default_steps
    objective.check(sampler, num_steps)
    scale = 1.0 if guidance is None else float(guidance)
    return SamplingSetup(ck, objective, sampler, num_steps, label_idx, dev, scale)


def generate(
    checkpoint: str | Path | Checkpoint,
    num_samples: int,
    *,
    sampler: str | None = None,
    num_steps: int | None = None,
    seed: int = 0,
    label: str | None = None,
    guidance: float | None = None,
    batch_size: int = 16,
    device: str | torch.device = "auto",
    progress: Callable[[int, int], None] | None = None,
    clean: str = DEFAULT_CLEANUP,
    temperature: float | None = None,
) -> list[VoxelGrid]:
    """Sample structures from a checkpoint's EMA model.

    Args:
        checkpoint: a path or a loaded :class:`~mcgen.checkpoint.Checkpoint`.
        num_samples: how many structures.
        sampler: one of the objective's samplers (``None`` = its default: ``ddim`` for a
            Gaussian model, ``confidence`` for a masked one).
        num_steps: network evaluations (``None`` = the objective's default: 50 Gaussian, 25 masked).
        seed: base seed (sample ``i`` starts from seed ``seed + i``).
        label: class name for a conditional model, ``"all"`` = every class in turn (sample ``i``
            gets label ``i mod L``), ``None`` = unconditional (the null label).
        guidance: classifier-free guidance scale (``None`` = 1, i.e. none).
        batch_size: structures per network batch.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... or a ``torch.device``.
        progress: optional ``callable(done, total)`` called after each batch.
        clean: post-sampling clean-up, one of :data:`mcgen.cleanup.CLEANUPS` (``"none"`` = the
            model's raw output).
        temperature: the masked sampler's temperature for the occupancy and block choices (``None`` = 1).

    Returns:
        ``num_samples`` grids (vocabulary palette, compacted) with ``meta``: checkpoint, step,
        objective, sampler, steps, seed, label, mcgen_version, cleanup, cleanup_removed.

    Raises:
        CheckpointError: the checkpoint cannot be loaded.
        ConfigError: bad counts, sampler, label or device.
    """
    if num_samples < 1 or batch_size < 1:
        raise ConfigError(f"num_samples and batch_size must be >= 1, got {num_samples}, {batch_size}")
    if clean not in CLEANUPS:
        raise ConfigError(f"unknown clean-up {clean!r}; choose one of {', '.join(CLEANUPS)}")
    run = prepare_sampling(checkpoint, sampler=sampler, num_steps=num_steps, label=label, guidance=guidance,
                           device=device)
    ck = run.ck
    model = ck.build_model(run.device)
    meta = {**run.meta(), "seed": seed, "label": label}
    if temperature is not None:
        meta["temperature"] = float(temperature)
    grids: list[VoxelGrid] = []
    for first in range(0, num_samples, batch_size):
        count = min(batch_size, num_samples - first)
        labels = run.labels(first, count)
        blocks = run.objective.sample(model, count, sampler=run.sampler, num_steps=run.num_steps, seed=seed + first,
                                      labels=labels, guidance=run.guidance, temperature=temperature,
                                      device=run.device)
        for i, arr in enumerate(blocks.cpu().numpy()):
            item = dict(meta)
            if labels is not None:
                item["label"] = run.label_name(labels, i)
            grid, removed = cleanup(VoxelGrid(arr, ck.vocabulary, item), clean)
            grid.meta.update(cleanup=clean, cleanup_removed=removed)
            grids.append(grid.compact())
        if progress is not None:
            progress(len(grids), num_samples)
    return grids
