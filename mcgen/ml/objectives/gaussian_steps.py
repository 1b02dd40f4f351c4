"""Samplers (DDIM, DDPM ancestral) over any denoiser ``(x_t, t) -> x0_hat``.

Notation as in :mod:`.gaussian`. Every sampler reads ``alpha_bar`` from the one
:class:`~.gaussian.GaussianDiffusion`; after the last step ``alpha_bar_prev = 1``, so the
final state is the denoiser's last ``x0_hat``, which :func:`sample` decodes to blocks by argmax
over the model's last logits.

The steppers (:func:`ddim_steps`, :func:`ddpm_steps`) are generators yielding ``(i, x)`` after
each step; :func:`~.base.run_sampler` is their plain twin. Per-step coefficients are Python floats
computed before the loop, so each step costs two or three tensor ops outside the network.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

import numpy as np
import torch

from mcgen.errors import ConfigError
from mcgen.ml.denoise import ModelDenoiser, unwrap
from mcgen.ml.objectives.base import check_sampler, run_sampler

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class Schedule(Protocol):
    """What the samplers read of a noise schedule (:class:`.gaussian.GaussianDiffusion`)."""

    alpha_bar: torch.Tensor  # (T,) float64

    @property
    def num_timesteps(self) -> int:
        """``T``."""
SAMPLERS = ("ddim", "ddpm")
SPACINGS = ("trailing", "leading")


def make_timesteps(T: int, num_steps: int, spacing: str = "trailing") -> list[int]:
    """Descending timesteps to visit, as diffusers computes them for each spacing.

    ``leading``: ``k * (T // n)`` for k = n-1..0 (ends at 0). ``trailing``: ``round(T - k T/n) - 1``
    for k = 0..n-1 (starts at T-1, which with zero-SNR is pure noise).

    Raises:
        ConfigError: ``num_steps`` outside 1..T or unknown spacing.
    """
    if not isinstance(num_steps, int) or not 1 <= num_steps <= T:
        raise ConfigError(f"num_steps must be an integer in 1..{T}, got {num_steps!r}")
    if spacing == "leading":
        ts = np.arange(num_steps) * (T // num_steps)
        ts = ts[::-1]
    elif spacing == "trailing":
        ts = np.round(np.arange(T, 0, -T / num_steps)).astype(np.int64) - 1
    else:
        raise ConfigError(f"unknown spacing {spacing!r}; choose one of {', '.join(SPACINGS)}")
    return [int(t) for t in ts]


def _pairs(alpha_bar: torch.Tensor, ts: Sequence[int]) -> list[tuple[float, float]]:
    """``(alpha_bar_t, alpha_bar_prev)`` per step; after the last step ``alpha_bar_prev = 1``."""
    ab = alpha_bar.to(torch.float32).tolist()
    return [(ab[t], ab[ts[i + 1]] if i + 1 < len(ts) else 1.0) for i, t in enumerate(ts)]


def _noise_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    gdev = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=gdev, dtype=x.dtype).to(x.device)


def _t_vectors(ts: Sequence[int], batch: int, device: torch.device) -> list[torch.Tensor]:
    return list(torch.tensor(ts, device=device).view(-1, 1).expand(-1, batch).unbind(0))


def ddim_steps(
    denoise: Denoiser,
    x_T: torch.Tensor,
    alpha_bar: torch.Tensor,
    timesteps: Sequence[int],
    *,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[int, torch.Tensor]]:
    """DDIM (Song et al.): ``x_prev = sqrt(ab_prev) x0 + sqrt(1 - ab_prev - sigma^2) eps + sigma z``.

    Args:
        denoise: ``(x_t (B, ...), t (B,) long) -> x0_hat (B, ...)``.
        x_T: starting noise (B, ...).
        alpha_bar: the schedule's ``(T,)`` table.
        timesteps: descending timesteps (:func:`make_timesteps`).
        eta: 0 = deterministic DDIM, 1 = DDPM-like variance.
        generator: RNG for the ``z`` draws when ``eta > 0``.

    Yields:
        ``(i, x)`` after step ``i``; the last ``x`` is the sample.
    """
    x = x_T
    tvecs = _t_vectors(timesteps, x.shape[0], x.device)
    for i, (ab_t, ab_prev) in enumerate(_pairs(alpha_bar, timesteps)):
        x = ddim_update(x, denoise(x, tvecs[i]), ab_t, ab_prev, eta, generator)
        yield i, x


def ddim_update(x: torch.Tensor, x0: torch.Tensor, ab_t: float, ab_prev: float, eta: float = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One DDIM step from level ``ab_t`` to ``ab_prev`` given the model's ``x0`` (a new tensor)."""
    sigma = eta * math.sqrt(max((1 - ab_prev) / (1 - ab_t) * (1 - ab_t / ab_prev), 0.0))
    # eps = (x - sqrt(ab_t) x0) / sqrt(1 - ab_t), folded into x_prev = a * x0 + b * x
    b = math.sqrt(max(1 - ab_prev - sigma**2, 0.0)) / math.sqrt(1 - ab_t)
    a = math.sqrt(ab_prev) - b * math.sqrt(ab_t)
    x = torch.add(x * b, x0, alpha=a)
    if sigma > 0:
        x = x.add_(_noise_like(x, generator), alpha=sigma)
    return x


def ddpm_steps(
    denoise: Denoiser,
    x_T: torch.Tensor,
    alpha_bar: torch.Tensor,
    timesteps: Sequence[int],
    *,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[int, torch.Tensor]]:
    """DDPM ancestral sampling from the posterior ``q(x_prev | x_t, x0_hat)`` (respaced if strided).

    With ``alpha = ab_t / ab_prev``, ``beta = 1 - alpha``: mean
    ``sqrt(ab_prev) beta / (1 - ab_t) x0 + sqrt(alpha) (1 - ab_prev) / (1 - ab_t) x_t``, variance
    ``beta (1 - ab_prev) / (1 - ab_t)``. Arguments and yields as :func:`ddim_steps`.
    """
    x = x_T
    tvecs = _t_vectors(timesteps, x.shape[0], x.device)
    for i, (ab_t, ab_prev) in enumerate(_pairs(alpha_bar, timesteps)):
        x = ddpm_update(x, denoise(x, tvecs[i]), ab_t, ab_prev, generator)
        yield i, x


def ddpm_update(x: torch.Tensor, x0: torch.Tensor, ab_t: float, ab_prev: float,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """One ancestral DDPM step (see :func:`ddpm_steps`) from ``ab_t`` to ``ab_prev`` (a new tensor)."""
    alpha = ab_t / ab_prev
    beta = 1 - alpha
    a = math.sqrt(ab_prev) * beta / (1 - ab_t)
    b = math.sqrt(alpha) * (1 - ab_prev) / (1 - ab_t)
    var = beta * (1 - ab_prev) / (1 - ab_t)
    x = torch.add(x * b, x0, alpha=a)
    if var > 0:
        x = x.add_(_noise_like(x, generator), alpha=math.sqrt(var))
    return x


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def sample(
    model: torch.nn.Module,
    diffusion: Schedule,
    n: int,
    *,
    sampler: str = "ddim",
    num_steps: int = 50,
    eta: float = 0.0,
    spacing: str = "trailing",
    labels: torch.Tensor | None = None,
    guidance: float = 1.0,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    noise: torch.Tensor | None = None,
    progress: Callable[[int, int], None] | None = None,
    known: torch.Tensor | None = None,
    resample: int = 0,
) -> torch.Tensor:
    """Generate ``n`` structures as vocabulary indices.

    Args:
        model: the denoiser network (:class:`mcgen.model.DiT3D`).
        diffusion: the schedule it was trained with.
        n: number of samples.
        sampler: ``"ddim"`` or ``"ddpm"``.
        num_steps: network evaluations.
        eta: DDIM stochasticity.
        spacing: ``"trailing"`` or ``"leading"``.
        labels: (n,) label indices (``num_labels`` = null) or ``None``.
        guidance: classifier-free guidance scale (used when labels are given).
        generator: RNG for the starting noise and stochastic steps (a CPU generator is fine).
        device: where to run; default the model's device.
        noise: optional starting noise (n, X, Y, Z, d) instead of drawing it.
        progress: optional ``callable(step, num_steps)``.
        known: optional (n, X, Y, Z) block indices to keep, -1 = free: after every step the known
            voxels are set to their clean embedding noised to the next step's level (replacement
            inpainting), and the result holds them exactly.
        resample: with ``known``: resampling rounds per step (RePaint; each costs one more
            network evaluation per step), see :func:`_inpaint_steps`.

    Returns:
        LongTensor (n, X, Y, Z) on ``device``.

    Raises:
        ConfigError: unknown sampler/spacing, bad step count or label shape.
    """
    check_sampler(sampler, SAMPLERS, "gaussian")
    cfg = unwrap(model).cfg
    device = torch.device(device) if device is not None else _model_device(model)
    ts = make_timesteps(diffusion.num_timesteps, num_steps, spacing)
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.long, device=device)
        if labels.shape != (n,):
            raise ConfigError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
    g = cfg.grid_size
    shape = (n, g, g, g, cfg.embed_dim)
    if noise is None:
        gdev = generator.device if generator is not None else device
        noise = torch.randn(shape, generator=generator, device=gdev)
    # The chain runs in token layout (noise and every update are per voxel, so order is free).
    x_T = unwrap(model).to_tokens(noise.to(device=device, dtype=torch.float32))  # (n, N, p^3 d)
    den = ModelDenoiser(model, labels, guidance, autocast=device.type == "cuda", tokens=True)
    if known is None:
        if sampler == "ddim":
            steps = ddim_steps(den, x_T, diffusion.alpha_bar, ts, eta=eta, generator=generator)
        else:
            steps = ddpm_steps(den, x_T, diffusion.alpha_bar, ts, generator=generator)
        run_sampler(steps, progress, len(ts))
        return den.blocks()  # (n, X, Y, Z)
    if resample < 0:
        raise ConfigError(f"resample must be >= 0, got {resample}")
    known = torch.as_tensor(known, device=device).long()
    if known.shape != (n, g, g, g):
        raise ConfigError(f"known must have shape ({n}, {g}, {g}, {g}), got {tuple(known.shape)}")
    update = (lambda x, x0, ab_t, ab_prev: ddim_update(x, x0, ab_t, ab_prev, eta, generator)) if sampler == "ddim" \
        else (lambda x, x0, ab_t, ab_prev: ddpm_update(x, x0, ab_t, ab_prev, generator))  # noqa: E731
    run_sampler(_inpaint_steps(den, x_T, unwrap(model), known, diffusion.alpha_bar, ts, update, resample, generator),
                progress, len(ts))
    return torch.where(known >= 0, known, den.blocks())


def _inpaint_steps(den: Callable, x_T: torch.Tensor, raw: torch.nn.Module, known: torch.Tensor,
                   alpha_bar: torch.Tensor, ts: Sequence[int], update: Callable, resample: int,
                   generator: torch.Generator | None) -> Iterator[tuple[int, torch.Tensor]]:
    """Replacement inpainting with resampling (RePaint, Lugmayr et al. 2022): after each step the
    known voxels get ``q(x_prev | x0 = known)``; then, ``resample`` times, the whole state is
    noised back to the step's level (``q(x_t | x_prev)``) and the step is taken again, so the free
    voxels can agree with the known ones instead of only being overwritten next to them."""
    k_tok = raw.to_tokens(known)  # (n, N, p^3)
    held = (k_tok >= 0).repeat_interleave(raw.cfg.embed_dim, dim=-1)  # (n, N, p^3 d)
    x0_known = raw.codec.encode(k_tok.clamp_min(0)).flatten(2)  # (n, N, p^3 d)
    tvecs = _t_vectors(ts, x_T.shape[0], x_T.device)
    x = x_T
    for i, (ab_t, ab_prev) in enumerate(_pairs(alpha_bar, ts)):
        rounds = resample if ab_prev < 1.0 else 0  # the last step lands on the data: nothing to redo
        for r in range(rounds + 1):
            x_prev = update(x, den(x, tvecs[i]), ab_t, ab_prev)
            noisy = x0_known * math.sqrt(ab_prev)
            if ab_prev < 1.0:
                noisy = noisy.add_(_noise_like(x0_known, generator), alpha=math.sqrt(1.0 - ab_prev))
            x_prev[held] = noisy[held].to(x_prev.dtype)
            if r < rounds:  # back up one step: x_t ~ N(sqrt(ab_t / ab_prev) x_prev, 1 - ab_t / ab_prev)
                back = ab_t / ab_prev
                x = (x_prev * math.sqrt(back)).add_(_noise_like(x_prev, generator), alpha=math.sqrt(1.0 - back))
        x = x_prev
        yield i, x
