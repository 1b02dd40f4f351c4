"""The objective seam: what a model is trained to undo, and how samples come back out of it.

Two objectives share the one network (:mod:`mcgen.ml.network`), each in a module of its own:

* ``gaussian``: continuous diffusion over block embeddings (:mod:`.gaussian`, samplers in
  :mod:`.gaussian_steps`: DDIM, DDPM).
* ``masked``: absorbing-state discrete diffusion over block tokens (:mod:`.masked`, samplers in
  :mod:`.masked_steps`: ``confidence`` and ``random``).

Everything that trains or samples (the trainer, its previews, ``generate``, ``sample``, ``build``,
``evaluate``) goes through :class:`Objective`: ``loss`` for a training batch, ``sample`` for
structures (with optional known voxels held fixed), ``check`` for sampler settings. A checkpoint
records the objective's kind and settings (``Checkpoint.objective()`` rebuilds it); checkpoints
written before the masked objective existed are Gaussian.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import torch

from mcgen.errors import ConfigError

Progress = Callable[[int, int], None]


class Objective(Protocol):
    """What training and sampling need from an objective (see the module docstring)."""

    kind: str
    samplers: tuple[str, ...]
    default_sampler: str
    default_steps: int

    @property
    def cfg(self) -> Any:
        """The objective's frozen config dataclass (what the checkpoint stores)."""

    def model_options(self) -> dict[str, Any]:
        """Fields the :class:`~mcgen.ml.config.ModelConfig` needs for this objective."""

    def loss(self, model: torch.nn.Module, blocks: torch.Tensor, labels: torch.Tensor | None, *,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Scalar training loss for (B, X, Y, Z) block indices."""

    def check(self, sampler: str, num_steps: int) -> None:
        """Raise ConfigError for a sampler or step count this objective cannot use."""

    def sample(self, model: torch.nn.Module, n: int, *, sampler: str, num_steps: int, seed: int,
               labels: torch.Tensor | None = None, guidance: float = 1.0, temperature: float | None = None,
               known: torch.Tensor | None = None, device: torch.device | None = None,
               progress: Progress | None = None) -> torch.Tensor:
        """``n`` structures (n, X, Y, Z) long; sample ``i`` depends on ``seed + i`` only."""


def check_sampler(sampler: str, samplers: Sequence[str], kind: str, error: type[Exception] = ConfigError,
                  name: str | None = None) -> None:
    """Refuse a sampler that a ``kind`` model does not have, naming the ones it has.

    ``error`` and ``name`` let the CLI raise its usage error about ``--sampler``; both objectives
    check through here.
    """
    if sampler not in samplers:
        raise error(f"{name or f'sampler {sampler!r}'} does not fit this {kind} model; choose one of "
                    f"{', '.join(samplers)}")


def run_sampler(steps: Iterator[tuple[int, torch.Tensor]], progress: Callable[[int, int], None] | None = None,
                total: int = 0) -> torch.Tensor:
    """Drive a stepper to the end and return the final ``x``; ``progress(done, total)`` per step."""
    x = None
    for i, x in steps:
        if progress is not None:
            progress(i + 1, total)
    if x is None:
        raise ConfigError("sampler made no steps")
    return x
