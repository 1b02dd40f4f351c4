"""The objective seam: what a model is trained to undo, and how samples come back out of it.

Two objectives share the one DiT (:mod:`mcgen.model`):

* ``gaussian``: continuous diffusion over block embeddings (:mod:`mcgen.diffusion`, samplers in
  :mod:`mcgen.sampling`: DDIM, DDPM).
* ``masked``: absorbing-state discrete diffusion over block tokens (:mod:`mcgen.masked`: samplers
  ``confidence`` and ``random``).

Everything that trains or samples (the trainer, its previews, ``generate``, ``sample``, ``build``,
``evaluate``) goes through :class:`Objective`: ``loss`` for a training batch, ``sample`` for
structures (with optional known voxels held fixed), ``check`` for sampler settings. A checkpoint
records the objective's kind and settings (``Checkpoint.objective()`` rebuilds it); checkpoints
written before the masked objective existed are Gaussian.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch

from mcgen.diffusion import DiffusionConfig, GaussianDiffusion, training_loss, unwrap
from mcgen.errors import ConfigError
from mcgen.masked import MaskedConfig, MaskedObjective
from mcgen.sampling import SAMPLERS, check_sampler, make_timesteps, sample

OBJECTIVES = ("gaussian", "masked")
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
        """Fields the :class:`~mcgen.model.ModelConfig` needs for this objective."""

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


class GaussianObjective:
    """Continuous diffusion over block embeddings (DDIM / DDPM), predicting x0 as logits.

    Args:
        cfg: the :class:`~mcgen.diffusion.DiffusionConfig`.
    """

    kind = "gaussian"
    samplers = SAMPLERS
    default_sampler = "ddim"
    default_steps = 50
    # resampling rounds per step when completing (known voxels held); benchmarks/complete_bench.py
    # measures 0 against this
    inpaint_resample = 2

    def __init__(self, cfg: DiffusionConfig | None = None) -> None:
        self.cfg = cfg or DiffusionConfig()
        self.diffusion = GaussianDiffusion(self.cfg)

    def model_options(self) -> dict[str, Any]:
        """Continuous inputs: no ``[MASK]`` state."""
        return {"mask_token": False}

    def loss(self, model, blocks, labels, *, generator=None):
        """:func:`mcgen.diffusion.training_loss`."""
        return training_loss(model, self.diffusion, blocks, labels, generator=generator)

    def check(self, sampler: str, num_steps: int) -> None:
        """Known sampler and a step count within ``1..T``."""
        check_sampler(sampler, self.samplers, self.kind)
        make_timesteps(self.diffusion.num_timesteps, num_steps)

    def start_noise(self, model: torch.nn.Module, seed: int, count: int) -> torch.Tensor:
        """Starting noise (count, X, Y, Z, d): sample ``i`` from ``Generator().manual_seed(seed + i)``."""
        cfg = unwrap(model).cfg
        g = cfg.grid_size
        shape = (g, g, g, cfg.embed_dim)
        return torch.stack([torch.randn(shape, generator=torch.Generator().manual_seed(seed + i))
                            for i in range(count)])

    def sample(self, model, n, *, sampler, num_steps, seed, labels=None, guidance=1.0, temperature=None,
               known=None, device=None, progress=None):
        """DDIM / DDPM from per-sample noise; stochastic steps draw from one generator seeded ``seed``.

        ``known`` (n, X, Y, Z), -1 = free: known voxels are re-noised to each step's level
        (replacement inpainting, with :attr:`inpaint_resample` resampling rounds per step) and
        come out unchanged.
        """
        if temperature is not None:
            raise ConfigError("--temperature applies to the masked objective; this model is Gaussian")
        self.check(sampler, num_steps)
        return sample(model, self.diffusion, n, sampler=sampler, num_steps=num_steps, labels=labels,
                      guidance=guidance, generator=torch.Generator().manual_seed(seed), device=device,
                      noise=self.start_noise(model, seed, n), known=known, progress=progress,
                      resample=self.inpaint_resample if known is not None else 0)


def make_objective(cfg: DiffusionConfig | MaskedConfig) -> Objective:
    """The objective for a config (its class says which)."""
    if isinstance(cfg, MaskedConfig):
        return MaskedObjective(cfg)
    return GaussianObjective(cfg)


def objective_config(kind: str, d: dict[str, Any]) -> DiffusionConfig | MaskedConfig:
    """Config of objective ``kind`` from a plain dict (``{}`` = the defaults).

    Raises:
        ConfigError: unknown kind, unknown keys or bad values.
    """
    if kind not in OBJECTIVES:
        raise ConfigError(f"unknown objective {kind!r}; choose one of {', '.join(OBJECTIVES)}")
    cls = MaskedConfig if kind == "masked" else DiffusionConfig
    return cls.from_dict(d)


def objective_kind(cfg: DiffusionConfig | MaskedConfig) -> str:
    """``"masked"`` or ``"gaussian"``."""
    return "masked" if isinstance(cfg, MaskedConfig) else "gaussian"
