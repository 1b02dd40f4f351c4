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
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import torch

from mcgen.config import dataclass_from_dict
from mcgen.diffusion import rand_on, self_cond_rows, unwrap
from mcgen.errors import ConfigError
from mcgen.sampling import check_sampler, guided_features, run_sampler

MASK_SCHEDULES = ("cosine", "linear")
WEIGHTINGS = ("flat", "bounded", "elbo")
MASKED_SAMPLERS = ("confidence", "random")
T_SCALE = 1000.0  # the network's timestep input is ``T_SCALE * t`` (the Gaussian model sees 0..999)


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


def mask_rate(schedule: str, t: torch.Tensor | float) -> torch.Tensor | float:
    """``m(t)``: probability that a voxel is masked at level ``t``."""
    if schedule == "linear":
        return t
    return torch.sin(t * (math.pi / 2)) if isinstance(t, torch.Tensor) else math.sin(t * math.pi / 2)


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
                    est = model(states[:k], tt[:k], lab, self_cond[:k], tokens=True, expected=True)
                self_cond[:k] = torch.where(wide[:k], est.to(self_cond.dtype), self_cond[:k])
        ce = model(states, tt, labels, self_cond, tokens=True, target=x0)  # (B, N, P)
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
            model: a ``mask_token`` :class:`~mcgen.model.DiT3D`.
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
        states = _start_states(raw, n, known, device)
        steps = self.unmask_steps(model, states, sampler=sampler, num_steps=num_steps, seed=seed, labels=labels,
                                  guidance=guidance, temperature=temp)
        return raw.from_tokens(run_sampler(steps, progress, num_steps)).squeeze(-1)  # (n, X, Y, Z)

    def unmask_steps(self, model: torch.nn.Module, states: torch.Tensor, *, sampler: str, num_steps: int,
                     seed: int, labels: torch.Tensor | None, guidance: float, temperature: float
                     ) -> Iterator[tuple[int, torch.Tensor]]:
        """The stepper behind :meth:`sample`: token-layout states (n, N, P) in 0..V (V = ``[MASK]``,
        anything else is held), yielding ``(i, states)`` after step ``i``; the last has no mask left."""
        raw = unwrap(model)
        n, v = states.shape[0], raw.cfg.vocab_size
        free = (states == v).flatten(1).sum(1)  # (n,)
        gens = [torch.Generator().manual_seed(seed + i) for i in range(n)]
        table = raw.codec.embedding().float()  # (V, d)
        autocast, est = states.device.type == "cuda", None
        for i in range(num_steps):
            t, t_next = 1.0 - i / num_steps, 1.0 - (i + 1) / num_steps
            masked = states == v  # (n, N, P)
            sc = None
            if raw.cfg.self_condition:  # exact embedding where revealed, the last estimate where masked
                sc = table[states.clamp(max=v - 1)]  # (n, N, P, d)
                sc = torch.where(masked.unsqueeze(-1), est if est is not None else 0.0, sc).flatten(2)
            tt = torch.full((n,), t * T_SCALE, device=states.device)
            h = guided_features(model, states, tt, labels, sc, guidance, autocast)  # (n, N, H)
            probs = torch.softmax(raw.head_logits(h).float().view(*states.shape, v), dim=-1)  # (n, N, P, V)
            if raw.cfg.self_condition:
                est = probs @ table  # (n, N, P, d)
            raw_draws = torch.stack([torch.rand(3 * states[0].numel() + 1, generator=gen) for gen in gens])
            raw_draws = raw_draws.to(states.device)
            draws = raw_draws[:, 1:].view(n, 3, *states.shape[1:])  # (n, 3, N, P)
            cand, conf = _candidates(probs, draws[:, 0], draws[:, 1], temperature, masked)
            left = (free.double() * mask_rate(self.cfg.schedule, t_next)).floor().long() if i < num_steps - 1 \
                else torch.zeros_like(free)
            reveal = _choose(masked, left, draws[:, 2], conf, sampler, t, cand > 0, 1.0 - probs[..., 0],
                             raw_draws[:, 0])
            states = torch.where(reveal, cand, states)
            yield i, states


def _start_states(raw: torch.nn.Module, n: int, known: torch.Tensor | None, device: torch.device) -> torch.Tensor:
    """All ``[MASK]`` (n, N, P), with ``known`` (n, X, Y, Z) blocks (>= 0) held in place.

    Raises:
        ConfigError: ``known`` has the wrong shape.
    """
    cfg = raw.cfg
    v, g = cfg.vocab_size, cfg.grid_size
    states = torch.full((n, cfg.tokens, cfg.patch_size**3), v, dtype=torch.long, device=device)
    if known is None:
        return states
    known = torch.as_tensor(known, device=device).long()
    if known.shape != (n, g, g, g):
        raise ConfigError(f"known must have shape ({n}, {g}, {g}, {g}), got {tuple(known.shape)}")
    k_tok = raw.to_tokens(known)  # (n, N, P)
    return torch.where(k_tok >= 0, k_tok.clamp(max=v - 1), states)


def _candidates(probs: torch.Tensor, u_occ: torch.Tensor, u_mat: torch.Tensor, temperature: float,
                masked: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Occupancy first, material second: per voxel a candidate block and the probability of its
    occupancy decision. probs (n, N, P, V), uniforms (n, N, P) -> long (n, N, P), float (n, N, P).

    The block is drawn only where it is needed: solid candidates (of the ``masked`` voxels, when
    given), a few percent of the grid on sparse data; elsewhere the candidate is air (0).
    """
    p_air = probs[..., 0]
    p_solid = 1.0 - p_air
    if temperature != 1:  # sharpen the occupancy odds too: p^(1/T) / (p^(1/T) + (1-p)^(1/T))
        p_solid = _sharpen(p_solid, temperature)
    solid = u_occ < p_solid
    if masked is not None:
        solid &= masked
    mat = probs[solid][:, 1:]  # (S, V - 1): the solid candidates only
    if temperature == 0:
        pick = mat.argmax(dim=-1)
    else:
        w = mat if temperature == 1 else mat.clamp_min(1e-30).pow(1.0 / temperature)
        cdf = w.cumsum(dim=-1)
        target = (u_mat[solid] * cdf[:, -1]).unsqueeze(-1)
        pick = torch.searchsorted(cdf, target, right=True).squeeze(-1).clamp(max=mat.shape[-1] - 1)
    cand = torch.zeros_like(solid, dtype=torch.long)
    cand[solid] = pick + 1
    conf = torch.where(solid, 1.0 - p_air, p_air)
    return cand, conf


def _sharpen(p: torch.Tensor, temperature: float) -> torch.Tensor:
    """Bernoulli probabilities at ``temperature`` (0 = a threshold at 0.5)."""
    if temperature == 0:
        return (p > 0.5).to(p.dtype)
    logit = torch.logit(p.clamp(1e-12, 1 - 1e-12))
    return torch.sigmoid(logit / temperature)


def _choose(masked: torch.Tensor, left: torch.Tensor, u: torch.Tensor, conf: torch.Tensor, sampler: str,
            t: float, solid: torch.Tensor | None = None, p_solid: torch.Tensor | None = None,
            u_round: torch.Tensor | None = None) -> torch.Tensor:
    """Which masked voxels to reveal so that ``left`` (n,) stay masked (all (n, N, P) but ``left``).

    ``random``: a uniform choice. ``confidence``: the top of ``log conf + t * Gumbel``; with
    ``solid`` (the candidates' occupancy) and ``p_solid``, the solid and the air candidates are
    ranked apart and the reveals split between them as the model expects the masked voxels to
    be occupied (``sum p_solid / masked``): air is always the surer call on sparse data, and
    revealing it first would shrink the building step by step. The solid count ``k * share`` is
    rounded up or down at random (``u_round`` (n,) uniforms; 0.5 = nearest), so the few reveals
    of a many-step run are not all rounded to air.
    """
    n = masked.shape[0]
    k = (masked.view(n, -1).sum(1) - left).clamp_min(0)  # how many to reveal per sample
    if sampler == "random":
        return _top(u, masked, k)
    gumbel = -torch.log(-torch.log(u.clamp(1e-12, 1 - 1e-7)))
    score = torch.log(conf.clamp_min(1e-12)) + t * gumbel
    if solid is None:
        return _top(score, masked, k)
    m = masked.view(n, -1).float()
    share = (p_solid.view(n, -1) * m).sum(1) / m.sum(1).clamp_min(1)
    solid_ok, air_ok = masked & solid, masked & ~solid
    if u_round is None:
        u_round = torch.full((n,), 0.5, device=masked.device)
    k_solid = torch.minimum((k.double() * share.double() + u_round.double()).floor().long(),
                            solid_ok.view(n, -1).sum(1))
    k_air = torch.minimum(k - k_solid, air_ok.view(n, -1).sum(1))
    k_solid = k - k_air  # if air ran short, the rest are solid (and the other way round)
    return _top(score, solid_ok, k_solid) | _top(score, air_ok, k_air)


def _top(score: torch.Tensor, allowed: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """The ``k`` (n,) highest-scoring ``allowed`` entries of each sample (n, ...) as a mask
    (``k`` must not exceed the number of allowed entries)."""
    n = score.shape[0]
    kmax = int(k.max()) if k.numel() else 0
    out = torch.zeros(n, score[0].numel(), dtype=torch.bool, device=score.device)
    if kmax == 0:
        return out.view_as(allowed)
    flat = torch.where(allowed, score, torch.full_like(score, -math.inf)).view(n, -1)
    idx = flat.topk(kmax, dim=1).indices  # (n, kmax), best first
    out.scatter_(1, idx, torch.arange(kmax, device=score.device).unsqueeze(0) < k.view(-1, 1))
    return out.view_as(allowed) & allowed
