"""Getting a checkpoint ready to sample: the settings every generation path takes, checked once.

:class:`SampleSettings` is the one small frozen object the paths pass through (seed, label,
guidance, sampler, steps, temperature, device); :func:`prepare_sampling` loads the checkpoint,
fills the objective's defaults, checks everything before any work and returns a
:class:`SamplingSetup`, whose :meth:`SamplingSetup.sample` is the one call into the objective's
sampler that :mod:`.sample`, :mod:`.windows` and :mod:`.completion` make.

Seeding: sample ``i`` draws from ``torch.Generator().manual_seed(seed + i)`` on the CPU (the
Gaussian starting noise; every coin of the masked sampler), so it does not depend on the batch size
or on how many samples are asked for; stochastic Gaussian steps (DDPM) draw from one generator per
batch seeded by the batch's first sample index. Same seed, same machine -> same structures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

import mcgen
from mcgen.errors import ConfigError
from mcgen.ml.checkpoint import Checkpoint, load_checkpoint
from mcgen.ml.objectives import Objective

Progress = Callable[[int, int], None]


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


@dataclass(frozen=True)
class SampleSettings:
    """How to sample, for every path from a checkpoint to grids (``None`` = the model's default).

    Attributes:
        seed: base seed (sample ``i`` uses ``seed + i``).
        label: class name for a conditional model, ``"all"`` = every class in turn (sample ``i``
            gets label ``i mod L``), ``None`` = unconditional (the null label).
        guidance: classifier-free guidance scale (``None`` = 1, i.e. none).
        sampler: one of the objective's samplers (``None``: ``ddim`` Gaussian, ``confidence`` masked).
        num_steps: network evaluations (``None``: the objective's default, 50 Gaussian, 25 masked).
        temperature: the masked sampler's sharpening of the occupancy and block choices (``None`` = 1).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... or a ``torch.device``.
    """

    seed: int = 0
    label: str | None = None
    guidance: float | None = None
    sampler: str | None = None
    num_steps: int | None = None
    temperature: float | None = None
    device: str | torch.device = "auto"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(f"seed must be an integer, got {self.seed!r}")


@dataclass(frozen=True)
class SamplingSetup:
    """A checkpoint made ready to sample: its objective, the settings with the objective's defaults
    filled in and checked (``settings.sampler``, ``settings.num_steps`` and ``settings.guidance``
    are never ``None``), the label index and the device."""

    ck: Checkpoint
    objective: Objective
    settings: SampleSettings
    label_idx: int | None
    device: torch.device

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

    def sample(self, model: torch.nn.Module, n: int, *, seed: int, labels: torch.Tensor | None,
               known: torch.Tensor | None = None, progress: Progress | None = None) -> torch.Tensor:
        """``n`` structures (n, X, Y, Z) from the objective's sampler with these settings (sample
        ``i`` seeded ``seed + i``; ``known`` (n, X, Y, Z), -1 = free, voxels held)."""
        s = self.settings
        return self.objective.sample(model, n, sampler=s.sampler, num_steps=s.num_steps, seed=seed, labels=labels,
                                     guidance=s.guidance, temperature=s.temperature, known=known,
                                     device=self.device, progress=progress)

    def meta(self) -> dict[str, Any]:
        """What every generated grid's ``meta`` starts with."""
        s = self.settings
        meta = {"checkpoint": str(self.ck.path), "step": self.ck.step, "objective": self.objective.kind,
                "sampler": s.sampler, "steps": s.num_steps, "mcgen_version": mcgen.__version__}
        if s.temperature is not None:
            meta["temperature"] = float(s.temperature)
        return meta


def prepare_sampling(checkpoint: str | Path | Checkpoint, settings: SampleSettings | None = None) -> SamplingSetup:
    """Load (if needed) and check everything sampling needs, before any work.

    Raises:
        CheckpointError: the checkpoint cannot be loaded.
        ConfigError: bad sampler, step count, label or device.
    """
    s = settings or SampleSettings()
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    dev = s.device if isinstance(s.device, torch.device) else resolve_device(s.device)
    label_idx = label_index(ck, s.label)
    objective = ck.objective()
    rec = ck.sampling_defaults()  # what the model recommends, under what the user said
    s = replace(s, sampler=s.sampler or rec.get("sampler") or objective.default_sampler,
                num_steps=s.num_steps or rec.get("num_steps") or objective.default_steps,
                temperature=s.temperature if s.temperature is not None else rec.get("temperature"),
                guidance=1.0 if s.guidance is None else float(s.guidance))
    objective.check(s.sampler, s.num_steps)
    return SamplingSetup(ck, objective, s, label_idx, dev)
