"""Masked (absorbing-state) discrete diffusion over block tokens, and its unmasking samplers.

Forward process (MD4 / MDLM): at level ``t`` in [0, 1] every voxel is independently replaced by
the ``[MASK]`` state (index ``V``) with probability ``m(t)``; ``m(0) = 0``, ``m(1) = 1``.
Schedules: ``cosine`` ``m(t) = sin(pi t / 2)`` (few voxels revealed at first, as in MaskGIT) and
``linear`` ``m(t) = t``. The network sees the states (a learned embedding per state) and ``t`` and
predicts logits over the V blocks; the loss is the cross-entropy on the masked voxels, weighted:

* ``elbo``: the continuous-time bound, ``m'(t) / m(t)`` per masked voxel, averaged over voxels
  (exact, but it explodes as ``t -> 0``);
* ``bounded``: the same weight capped at ``max_weight``;
* ``flat``: the mean cross-entropy over the masked voxels of each sample (MaskGIT).

Data this sparse (about 5% solid) needs care when decoding: the most likely single block of an
uncertain voxel is almost always air even when "some solid block" is more likely, so the sampler
decides **occupancy first** (solid with probability ``1 - p(air)``) and the material second (among
the solid blocks, sharpened by ``temperature``; 0 = the most likely). Which voxels to commit at
each step: ``random`` (uniform among the masked ones: the ancestral sampler of the forward
process) or ``confidence`` (those whose occupancy decision is surest, with Gumbel noise that fades
over the steps, as MaskGIT). After step ``i`` of ``N`` the number still masked is
``floor(m(1 - (i + 1) / N) * free)``, so the last step unmasks everything. Known voxels
(``known >= 0``) are never masked: they are context the model sees from the first step.

Self-conditioning: the previous step's estimate ``softmax @ E`` (E = the codec table) is fed at
the masked voxels; revealed voxels get the exact embedding of their block, in training and
sampling alike.

Randomness: sample ``i`` draws every coin from its own ``Generator().manual_seed(seed + i)``, so
it does not depend on the batch it ran in.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch

from mcgen.config import dataclass_from_dict
from mcgen.errors import ConfigError
from mcgen.ml.denoise import rand_on, self_cond_rows, unwrap
from mcgen.ml.objectives.base import check_sampler, run_sampler
from mcgen.ml.objectives.masked_steps import (
    MASK_SCHEDULES, MASKED_SAMPLERS, T_SCALE, mask_rate, start_states, unmask_steps,
)

WEIGHTINGS = ("flat", "bounded", "elbo")


@dataclass(frozen=True)
class MaskedConfig:
    """Settings of the masked objective (stored in checkpoints).

    Attributes:
        schedule: ``cosine`` or ``linear`` masking rate ``m(t)``.
        weighting: ``flat``, ``bounded`` or ``elbo`` (module docstring).
        max_weight: the cap of ``bounded``.
        self_cond_prob: share of each batch trained with a self-conditioning estimate.
        min_t: smallest training level (``t ~ U(min_t, 1)``, stratified over the batch).
        structured_prob: share of training samples whose masking is confined to a structured region
            (a box, everything above a height, or one half), as `mcgen complete` asks for, instead
            of the whole grid; 0 = plain random masking.
    """

    schedule: str = "cosine"
    weighting: str = "flat"
    max_weight: float = 10.0
    self_cond_prob: float = 0.5
    min_t: float = 1e-3
    structured_prob: float = 0.0

    def __post_init__(self) -> None:
        if self.schedule not in MASK_SCHEDULES:
            raise ConfigError(f"unknown mask schedule {self.schedule!r}; choose one of {', '.join(MASK_SCHEDULES)}")
        if self.weighting not in WEIGHTINGS:
            raise ConfigError(f"unknown loss weighting {self.weighting!r}; choose one of {', '.join(WEIGHTINGS)}")
        if not self.max_weight > 0 or not 0 <= self.self_cond_prob <= 1 or not 0 <= self.min_t < 1:
            raise ConfigError("need max_weight > 0, self_cond_prob in [0, 1] and min_t in [0, 1)")
        if not 0 <= self.structured_prob <= 1:
            raise ConfigError(f"structured_prob must be in [0, 1], got {self.structured_prob}")

    def to_dict(self) -> dict[str, Any]:
        """Plain-value dict (what checkpoints store)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MaskedConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: not a dict, unknown keys, or invalid values.
        """
        return dataclass_from_dict(cls, d, "masked objective config")


def structured_regions(b: int, g: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """``b`` random completion regions (b, g, g, g) bool, a third each: a box (edges g/4 .. 3g/4),
    everything from a height up, or one half of the grid along x or z."""
    r = rand_on(generator, device, torch.rand, (b, 8))
    ar = torch.arange(g, device=device)
    x, y, z = ar.view(1, g, 1, 1), ar.view(1, 1, g, 1), ar.view(1, 1, 1, g)
    lo = (r[:, 1:4] * g * 0.5).long()  # (b, 3)
    hi = (lo + (g * 0.25 + r[:, 4:7] * g * 0.5).long().clamp_min(1)).clamp(max=g)  # (b, 3)

    def inside(c: torch.Tensor, k: int) -> torch.Tensor:
        return (c >= lo[:, k].view(-1, 1, 1, 1)) & (c < hi[:, k].view(-1, 1, 1, 1))

    box = inside(x, 0) & inside(y, 1) & inside(z, 2)  # (b, g, g, g)
    above = (y >= (1 + r[:, 7] * (g - 1)).long().view(-1, 1, 1, 1)).expand(b, g, g, g)
    first = (r[:, 2] < 0.5).view(-1, 1, 1, 1)
    half_x = torch.where(first, x < g // 2, x >= g // 2).expand(b, g, g, g)
    half_z = torch.where(first, z < g // 2, z >= g // 2).expand(b, g, g, g)
    half = torch.where((r[:, 3] < 0.5).view(-1, 1, 1, 1), half_x, half_z)
    kind = (r[:, 0] * 3).long().view(-1, 1, 1, 1)
    return torch.where(kind == 0, box, torch.where(kind == 1, above, half))


def elbo_weight(schedule: str, t: torch.Tensor) -> torch.Tensor:
    """``m'(t) / m(t)`` per masked voxel (the continuous-time bound's weight)."""
    if schedule == "linear":
        return 1.0 / t
    return (math.pi / 2) / torch.tan(t * (math.pi / 2))


class MaskedObjective:
    """Absorbing-state discrete diffusion (module docstring).

    Args:
        cfg: a :class:`MaskedConfig`.
    """

    kind = "masked"
    samplers = MASKED_SAMPLERS
    default_sampler = "confidence"
    default_steps = 25  # benchmarks/quality_study.py: 25 steps matched 10-100 on FID at tiny / CPU

    def __init__(self, cfg: MaskedConfig | None = None) -> None:
        self.cfg = cfg or MaskedConfig()

    def model_options(self) -> dict[str, Any]:
        """Block-state inputs with a ``[MASK]`` state."""
        return {"mask_token": True}

    # --- training -----------------------------------------------------------------------------
    def loss(self, model: torch.nn.Module, blocks: torch.Tensor, labels: torch.Tensor | None, *,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Weighted cross-entropy on the masked voxels of (B, X, Y, Z) block indices (token layout inside)."""
        raw, cfg = unwrap(model), self.cfg
        device, b = blocks.device, blocks.shape[0]
        v = raw.cfg.vocab_size
        x0 = raw.to_tokens(blocks)  # (B, N, P) long
        u = rand_on(generator, device, torch.rand, ())
        t = cfg.min_t + (1 - cfg.min_t) * ((u + torch.arange(b, device=device) / b) % 1.0)  # (B,) stratified
        m = mask_rate(cfg.schedule, t)  # (B,)
        masked = rand_on(generator, device, torch.rand, x0.shape) < m.view(-1, 1, 1)  # (B, N, P)
        if cfg.structured_prob > 0:  # completion-shaped rows: only a region is masked, the rest is context
            use = rand_on(generator, device, torch.rand, (b,)) < cfg.structured_prob
            region = raw.to_tokens(structured_regions(b, raw.cfg.grid_size, generator, device).long()).bool()
            masked = torch.where(use.view(-1, 1, 1), masked & region, masked)
        states = torch.where(masked, torch.full_like(x0, v), x0)
        tt = t * T_SCALE
        self_cond = None
        if raw.cfg.self_condition:
            d = raw.cfg.embed_dim
            wide = masked.repeat_interleave(d, dim=-1)  # (B, N, P d)
            self_cond = raw.codec.embedding()[x0].flatten(2).masked_fill(wide, 0.0)  # exact where revealed
            k = self_cond_rows(b, cfg.self_cond_prob, generator, device)
            if k > 0:
                with torch.no_grad():
                    lab = labels[:k] if labels is not None else None
                    est = raw.expected(raw.features(states[:k], tt[:k], lab, self_cond[:k]))
                self_cond[:k] = torch.where(wide[:k], est.to(self_cond.dtype), self_cond[:k])
        ce = model(states, tt, labels, self_cond, x0)  # (B, N, P): forward is the per-voxel loss
        ce = (ce * masked).flatten(1).sum(1)  # (B,)
        count = masked.flatten(1).sum(1)
        if cfg.weighting == "flat":
            per = ce / count.clamp_min(1)
        else:
            w = elbo_weight(cfg.schedule, t)
            if cfg.weighting == "bounded":
                w = w.clamp(max=cfg.max_weight)
            per = ce * w / x0[0].numel()
        return per.mean()

    # --- sampling -----------------------------------------------------------------------------
    def check(self, sampler: str, num_steps: int) -> None:
        """Known sampler and at least one step."""
        check_sampler(sampler, self.samplers, self.kind)
        if not isinstance(num_steps, int) or num_steps < 1:
            raise ConfigError(f"num_steps must be an integer >= 1, got {num_steps!r}")

    @torch.no_grad()
    def sample(self, model: torch.nn.Module, n: int, *, sampler: str, num_steps: int, seed: int,
               labels: torch.Tensor | None = None, guidance: float = 1.0, temperature: float | None = None,
               known: torch.Tensor | None = None, device: torch.device | None = None,
               progress=None) -> torch.Tensor:
        """``n`` structures (n, X, Y, Z) by iterative unmasking (module docstring).

        Args:
            model: a ``mask_token`` :class:`~mcgen.ml.network.DiT3D`.
            n: how many.
            sampler: ``confidence`` or ``random``.
            num_steps: network evaluations (the last unmasks everything).
            seed: sample ``i`` uses ``seed + i``.
            labels: (n,) label indices or ``None``.
            guidance: classifier-free guidance scale.
            temperature: sharpening of the occupancy and block choices (``None`` = 1; 0 = most likely).
            known: (n, X, Y, Z) blocks to hold, -1 = free.
            device: where to run (default: the model's).
            progress: ``callable(step, num_steps)``.

        Raises:
            ConfigError: bad sampler, steps, temperature or shapes; a Gaussian model.
        """
        self.check(sampler, num_steps)
        raw = unwrap(model)
        if not raw.cfg.mask_token:
            raise ConfigError("this model was trained with the Gaussian objective, not the masked one")
        temp = 1.0 if temperature is None else float(temperature)
        if not temp >= 0:
            raise ConfigError(f"temperature must be >= 0, got {temperature}")
        device = torch.device(device) if device is not None else next(model.parameters()).device
        if labels is not None:
            labels = torch.as_tensor(labels, dtype=torch.long, device=device)
            if labels.shape != (n,):
                raise ConfigError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
        states = start_states(raw, n, known, device)
        steps = unmask_steps(model, states, schedule=self.cfg.schedule, sampler=sampler, num_steps=num_steps,
                             seed=seed, labels=labels, guidance=guidance, temperature=temp)
        return raw.from_tokens(run_sampler(steps, progress, num_steps)).squeeze(-1)  # (n, X, Y, Z)
