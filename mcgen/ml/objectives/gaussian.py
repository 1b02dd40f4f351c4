"""The Gaussian objective: the single noise schedule, the training loss that uses it, and the
objective (:class:`GaussianObjective`) whose samplers live in :mod:`.gaussian_steps`.

Notation (DDPM / DDIM papers): ``beta_t`` per-step noise, ``alpha_t = 1 - beta_t``,
``alpha_bar_t = prod_{s<=t} alpha_s``; forward process
``x_t = sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * eps`` with ``eps ~ N(0, I)``,
timesteps ``t = 0 .. T-1``. The network predicts ``x0`` (as logits over blocks).

Training and every sampler read ``alpha_bar`` from the same :class:`GaussianDiffusion`; nothing
else in mcgen computes a schedule.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch

from mcgen.config import dataclass_from_dict
from mcgen.errors import ConfigError
from mcgen.ml.denoise import rand_on, self_cond_rows, unwrap
from mcgen.ml.objectives.base import check_sampler
from mcgen.ml.objectives.gaussian_steps import SAMPLERS, make_timesteps, sample

SCHEDULES = ("linear", "cosine")
_REMOVED = {"likelihood_logits": False, "mse_weight": 0.0}  # removed setting -> its (only loadable) off value


@dataclass(frozen=True)
class DiffusionConfig:
    """Noise schedule and loss settings.

    Attributes:
        schedule: ``"linear"`` (betas from ``beta_start`` to ``beta_end``) or ``"cosine"``
            (Nichol & Dhariwal, s = 0.008, betas capped at 0.999).
        timesteps: ``T``.
        beta_start, beta_end: linear schedule ends.
        logsnr_shift: added to ``log(alpha_bar / (1 - alpha_bar))`` at every t (negative = noisier;
            ``2 ln b`` is the same as scaling the input by ``b``, Chen 2023 / Hoogeboom 2023).
        zero_snr: rescale so ``alpha_bar_{T-1} = 0`` (Lin et al. 2023), after the shift.
        self_cond_prob: share of each batch trained with a self-conditioning estimate.

    Two ablation switches of earlier versions are gone (no command could reach them):
    ``likelihood_logits`` (adding the exact per-voxel likelihood of ``x_t`` to the logits: 0/8
    overfit houses against 2/8 without it) and ``mse_weight`` (an x0 MSE term). Checkpoints that
    stored them switched off still load.

    Defaults: ``linear`` because on the same task (H200, 2000 steps) DDIM-20 samples matched
    a training house in 16/16 cases with it against 12/16 with ``cosine``, whose few steps at
    low SNR are where the layout is decided.
    """

    schedule: str = "linear"
    timesteps: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02
    logsnr_shift: float = 0.0
    zero_snr: bool = False
    self_cond_prob: float = 0.5

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ConfigError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}")
        if not isinstance(self.timesteps, int) or self.timesteps < 2:
            raise ConfigError(f"timesteps must be an integer >= 2, got {self.timesteps!r}")
        if not 0 < self.beta_start < self.beta_end < 1:
            raise ConfigError(f"need 0 < beta_start < beta_end < 1, got {self.beta_start}, {self.beta_end}")
        if not 0 <= self.self_cond_prob <= 1:
            raise ConfigError(f"self_cond_prob must be in [0, 1], got {self.self_cond_prob}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-value dict (what checkpoints store)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DiffusionConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: not a dict, unknown keys, or invalid values.
        """
        if isinstance(d, dict):
            d = dict(d)
            for key, off in _REMOVED.items():  # stored by format 1-2 checkpoints
                if key in d and d.pop(key) != off:
                    raise ConfigError(f"this checkpoint was trained with {key}, an ablation switch this "
                                      f"mcgen no longer has; use mcgen 0.1 from before format 3 to sample it")
        return dataclass_from_dict(cls, d, "diffusion config")


def make_betas(cfg: DiffusionConfig) -> torch.Tensor:
    """``(T,)`` float64 betas for ``cfg`` (before any zero-SNR rescale)."""
    T = cfg.timesteps
    if cfg.schedule == "linear":
        return torch.linspace(cfg.beta_start, cfg.beta_end, T, dtype=torch.float64)
    s = 0.008

    def f(i: int) -> float:
        return math.cos((i / T + s) / (1 + s) * math.pi / 2) ** 2

    return torch.tensor([min(1 - f(i + 1) / f(i), 0.999) for i in range(T)], dtype=torch.float64)


def shift_logsnr(betas: torch.Tensor, shift: float) -> torch.Tensor:
    """Betas whose ``alpha_bar`` is ``sigmoid(logit(alpha_bar) + shift)``."""
    ab = torch.cumprod(1.0 - betas, dim=0)
    ab = torch.sigmoid(torch.logit(ab) + shift)
    alphas = torch.cat([ab[:1], ab[1:] / ab[:-1]])
    return 1.0 - alphas


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Shift and scale ``sqrt(alpha_bar)`` so the last step is pure noise, keeping the first."""
    sqrt_ab = torch.cumprod(1.0 - betas, dim=0).sqrt()
    first, last = sqrt_ab[0].clone(), sqrt_ab[-1].clone()
    sqrt_ab = (sqrt_ab - last) * first / (first - last)
    ab = sqrt_ab**2
    alphas = torch.cat([ab[:1], ab[1:] / ab[:-1]])
    return 1.0 - alphas


class GaussianDiffusion:
    """Holds the one ``alpha_bar`` table (float64) that training and sampling share.

    Args:
        cfg: a :class:`DiffusionConfig`.
    """

    def __init__(self, cfg: DiffusionConfig) -> None:
        self.cfg = cfg
        betas = make_betas(cfg)
        if cfg.logsnr_shift:
            betas = shift_logsnr(betas, cfg.logsnr_shift)
        if cfg.zero_snr:
            betas = rescale_zero_terminal_snr(betas)
        self.betas = betas  # (T,) float64
        self.alpha_bar = torch.cumprod(1.0 - betas, dim=0)  # (T,) float64
        self._cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    @property
    def num_timesteps(self) -> int:
        """``T``."""
        return self.cfg.timesteps

    def _coefs(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if device not in self._cache:
            ab = self.alpha_bar.to(device=device, dtype=torch.float32)
            self._cache[device] = (ab.sqrt(), (1.0 - ab).sqrt())
        return self._cache[device]

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Forward process: ``x_t`` (B, ...) from ``x0`` (B, ...), timesteps ``t`` (B,) and ``eps``."""
        sa, s1a = self._coefs(x0.device)
        shape = (-1,) + (1,) * (x0.dim() - 1)
        return sa[t].view(shape) * x0 + s1a[t].view(shape) * noise


def training_loss(
    model: torch.nn.Module,
    diffusion: GaussianDiffusion,
    x0_blocks: torch.Tensor,
    labels: torch.Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One-call training objective: cross-entropy on block logits.

    Draws ``t ~ U{0..T-1}`` and ``eps``, noises the block embeddings with the shared schedule,
    and, for a ``self_cond_prob`` share of the batch (:func:`self_cond_rows`), first runs the
    model without gradient to get the self-conditioning estimate ``softmax(logits) @ E``.
    Everything runs in the model's token layout (per-voxel work does not care about voxel
    order), so only the block indices are reordered; on CPU the model's fused head computes the
    cross-entropy without materialising more than one logits tensor.

    Args:
        model: a :class:`mcgen.ml.network.DiT3D`, or a DDP / ``torch.compile`` wrapper of one.
        diffusion: the schedule.
        x0_blocks: (B, X, Y, Z) long vocabulary indices.
        labels: (B,) long label indices (null = ``num_labels``) or ``None``.
        generator: optional RNG for ``t``, ``eps`` and the self-conditioning count.

    Returns:
        Scalar loss tensor.
    """
    raw = unwrap(model)
    device, b = x0_blocks.device, x0_blocks.shape[0]
    blocks = raw.to_tokens(x0_blocks)  # (B, N, p^3) long
    x0 = raw.codec.encode(blocks).flatten(2)  # (B, N, p^3 d)
    t = rand_on(generator, device, torch.randint, 0, diffusion.num_timesteps, (b,))
    eps = rand_on(generator, device, torch.randn, x0.shape, dtype=x0.dtype)
    x_t = diffusion.q_sample(x0, t, eps)
    self_cond = None
    if raw.cfg.self_condition:
        k = self_cond_rows(b, diffusion.cfg.self_cond_prob, generator, device)
        self_cond = torch.zeros_like(x0)
        if k > 0:
            with torch.no_grad():
                lab = labels[:k] if labels is not None else None
                est = raw.expected(raw.features(x_t[:k], t[:k], lab, None))  # (k, N, p^3 d)
                self_cond[:k] = est.to(x0.dtype)
    return model(x_t, t, labels, self_cond, blocks).mean()  # forward: the per-voxel training loss


class GaussianObjective:
    """Continuous diffusion over block embeddings (DDIM / DDPM), predicting x0 as logits.

    Args:
        cfg: the :class:`DiffusionConfig`.
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
        """:func:`training_loss`."""
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
