"""The masked objective's sampler: iterative unmasking, one stepper and the choices inside a step.

:func:`unmask_steps` yields the token-layout states after each step (the plain twin is
:func:`~.base.run_sampler`); per step it asks the network for logits at every voxel
(:func:`mcgen.ml.denoise.predict`), draws a candidate block per masked voxel, occupancy
first and material second (:func:`candidates`), and commits a share of them
(:func:`choose_reveals`), so that after step ``i`` of ``N`` ``floor(m(1 - (i + 1) / N) * free)``
voxels stay masked. :func:`mask_rate` is the forward process's schedule, shared with the loss.
The ``remask`` sampler is ``confidence`` with a corrector: each step (but the last) also puts a few
of the generated solid voxels back under the mask, those committed with the least confidence, so
an early parallel decision that the context around it no longer supports can be taken again
(:func:`remask_choice`; the count still ends at zero masked). The ``support`` sampler is ``confidence``
that builds from the ground up (as Craftpilot grows outward from placed blocks): a solid candidate
is revealed only where it is joined, through solid candidates and committed blocks, to the ground
(y = 0) or to a given block, and a revealed block whose support was not revealed with it goes back
under the mask (BrickGPT rolls back to the last stable state); at the last step a floating
candidate becomes air (:func:`supported`), so no generated block floats. See :mod:`.masked` for the method.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from mcgen.errors import ConfigError
from mcgen.ml.denoise import predict, unwrap

MASK_SCHEDULES = ("cosine", "linear")
MASKED_SAMPLERS = ("confidence", "random", "remask", "support")
# ``remask``: share of the generated solid voxels put back under the mask at step i of N, times
# (1 - (i + 1) / N), the least confident first (a ReMDM-style corrector, no extra network calls)
REMASK_RATE = 0.1
T_SCALE = 1000.0  # the network's timestep input is ``T_SCALE * t`` (the Gaussian model sees 0..999)


def mask_rate(schedule: str, t: torch.Tensor | float) -> torch.Tensor | float:
    """``m(t)``: probability that a voxel is masked at level ``t``."""
    if schedule == "linear":
        return t
    return torch.sin(t * (math.pi / 2)) if isinstance(t, torch.Tensor) else math.sin(t * math.pi / 2)


def unmask_steps(model: torch.nn.Module, states: torch.Tensor, *, schedule: str, sampler: str, num_steps: int,
                 seed: int, labels: torch.Tensor | None, guidance: float, temperature: float
                 ) -> Iterator[tuple[int, torch.Tensor]]:
    """The stepper behind :meth:`.masked.MaskedObjective.sample`: token-layout states (n, N, P) in 0..V (V = ``[MASK]``,
    anything else is held), yielding ``(i, states)`` after step ``i``; the last has no mask left."""
    raw = unwrap(model)
    n, v = states.shape[0], raw.cfg.vocab_size
    free = (states == v).flatten(1).sum(1)  # (n,)
    gens = [torch.Generator().manual_seed(seed + i) for i in range(n)]
    table = raw.codec.embedding().float()  # (V, d)
    autocast, est = states.device.type == "cuda", None
    held = states != v  # given voxels: never re-masked
    committed = torch.ones(states.shape, device=states.device)  # the confidence each voxel was revealed with
    for i in range(num_steps):
        t, t_next = 1.0 - i / num_steps, 1.0 - (i + 1) / num_steps
        masked = states == v  # (n, N, P)
        sc = None
        if raw.cfg.self_condition:  # exact embedding where revealed, the last estimate where masked
            sc = table[states.clamp(max=v - 1)]  # (n, N, P, d)
            sc = torch.where(masked.unsqueeze(-1), est if est is not None else 0.0, sc).flatten(2)
        tt = torch.full((n,), t * T_SCALE, device=states.device)
        pred = predict(model, states, tt, labels, sc, guidance, autocast)
        probs = torch.softmax(pred.logits().view(*states.shape, v), dim=-1)  # (n, N, P, V)
        if raw.cfg.self_condition:
            est = probs @ table  # (n, N, P, d)
        raw_draws = torch.stack([torch.rand(3 * states[0].numel() + 1, generator=gen) for gen in gens])
        raw_draws = raw_draws.to(states.device)
        draws = raw_draws[:, 1:].view(n, 3, *states.shape[1:])  # (n, 3, N, P)
        cand, conf = candidates(probs, draws[:, 0], draws[:, 1], temperature, masked)
        allowed = None
        if sampler == "support":
            allowed = supported(raw, states, cand, masked, held)
            if i == num_steps - 1:  # nothing may stay masked: a floating candidate becomes air
                cand = torch.where(allowed, cand, torch.zeros_like(cand))
        left = (free.double() * mask_rate(schedule, t_next)).floor().long() if i < num_steps - 1 \
            else torch.zeros_like(free)
        again = remask_choice(states, masked, held, committed, left, (i + 1) / num_steps) if sampler == "remask" \
            else None
        extra = again.flatten(1).sum(1) if again is not None else 0
        reveal = choose_reveals(masked, left - extra, draws[:, 2], conf, "random" if sampler == "random" else
                                "confidence", t, cand > 0, 1.0 - probs[..., 0], raw_draws[:, 0], allowed)
        if sampler == "support":  # a revealed block that would float (its support not revealed) goes back
            after = torch.where(reveal, cand, states)
            kept = supported(raw, after, torch.zeros_like(cand), after == v, held)
            reveal &= ~((cand > 0) & ~kept)
        states = torch.where(reveal, cand, states)
        if again is not None:
            committed = torch.where(reveal, conf, committed)
            states = torch.where(again, torch.full_like(states, v), states)
        yield i, states


def remask_choice(states: torch.Tensor, masked: torch.Tensor, held: torch.Tensor, committed: torch.Tensor,
                  left: torch.Tensor, done: float) -> torch.Tensor:
    """The ``remask`` corrector: which generated solid voxels (n, N, P) go back under the mask.

    ``floor(REMASK_RATE * generated solid * (1 - done))`` per sample, at most ``left`` (the mask
    left after this step), those revealed with the lowest confidence ``committed`` first; never a
    held voxel, so completions keep every given block.
    """
    generated = ~masked & ~held & (states > 0)
    r = (generated.flatten(1).sum(1).double() * (REMASK_RATE * (1.0 - done))).floor().long()
    return top_mask(-committed, generated, torch.minimum(r, left))


def start_states(raw: torch.nn.Module, n: int, known: torch.Tensor | None, device: torch.device) -> torch.Tensor:
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


def candidates(probs: torch.Tensor, u_occ: torch.Tensor, u_mat: torch.Tensor, temperature: float,
               masked: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Occupancy first, material second: per voxel a candidate block and the probability of its
    occupancy decision. probs (n, N, P, V), uniforms (n, N, P) -> long (n, N, P), float (n, N, P).

    The block is drawn only where it is needed: solid candidates (of the ``masked`` voxels, when
    given), a few percent of the grid on sparse data; elsewhere the candidate is air (0).
    """
    p_air = probs[..., 0]
    p_solid = 1.0 - p_air
    if temperature != 1:  # sharpen the occupancy odds too: p^(1/T) / (p^(1/T) + (1-p)^(1/T))
        p_solid = sharpen(p_solid, temperature)
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


def sharpen(p: torch.Tensor, temperature: float) -> torch.Tensor:
    """Bernoulli probabilities at ``temperature`` (0 = a threshold at 0.5)."""
    if temperature == 0:
        return (p > 0.5).to(p.dtype)
    logit = torch.logit(p.clamp(1e-12, 1 - 1e-12))
    return torch.sigmoid(logit / temperature)


def choose_reveals(masked: torch.Tensor, left: torch.Tensor, u: torch.Tensor, conf: torch.Tensor, sampler: str,
                   t: float, solid: torch.Tensor | None = None, p_solid: torch.Tensor | None = None,
                   u_round: torch.Tensor | None = None, solid_allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Which masked voxels to reveal so that ``left`` (n,) stay masked (all (n, N, P) but ``left``).

    ``random``: a uniform choice. ``confidence``: the top of ``log conf + t * Gumbel``; with
    ``solid`` (the candidates' occupancy) and ``p_solid``, the solid and the air candidates are
    ranked apart and the reveals split between them as the model expects the masked voxels to
    be occupied (``sum p_solid / masked``): air is always the surer call on sparse data, and
    revealing it first would shrink the building step by step. The solid count ``k * share`` is
    rounded up or down at random (``u_round`` (n,) uniforms; 0.5 = nearest), so the few reveals
    of a many-step run are not all rounded to air. ``solid_allowed`` (the ``support`` sampler)
    limits which solid candidates may be revealed; fewer than ``k`` reveals are then possible.
    """
    n = masked.shape[0]
    k = (masked.view(n, -1).sum(1) - left).clamp_min(0)  # how many to reveal per sample
    if sampler == "random":
        return top_mask(u, masked, k)
    gumbel = -torch.log(-torch.log(u.clamp(1e-12, 1 - 1e-7)))
    score = torch.log(conf.clamp_min(1e-12)) + t * gumbel
    if solid is None:
        return top_mask(score, masked, k)
    m = masked.view(n, -1).float()
    share = (p_solid.view(n, -1) * m).sum(1) / m.sum(1).clamp_min(1)
    solid_ok, air_ok = masked & solid, masked & ~solid
    if solid_allowed is not None:
        solid_ok = solid_ok & solid_allowed
    if u_round is None:
        u_round = torch.full((n,), 0.5, device=masked.device)
    n_solid = solid_ok.view(n, -1).sum(1)
    k_solid = torch.minimum((k.double() * share.double() + u_round.double()).floor().long(), n_solid)
    k_air = torch.minimum(k - k_solid, air_ok.view(n, -1).sum(1))
    k_solid = k - k_air  # if air ran short, the rest are solid (and the other way round)
    if solid_allowed is not None:
        k_solid = torch.minimum(k_solid, n_solid)
    return top_mask(score, solid_ok, k_solid) | top_mask(score, air_ok, k_air)


def top_mask(score: torch.Tensor, allowed: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
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


def supported(raw: torch.nn.Module, states: torch.Tensor, cand: torch.Tensor, masked: torch.Tensor,
              held: torch.Tensor) -> torch.Tensor:
    """The ``support`` sampler's rule: which positions (n, N, P) are joined to the ground (y = 0) or to
    a held block through solid positions (committed blocks and this step's solid candidates).

    Everything is in token layout; the 6-neighbour flood fill runs in grid layout.
    """
    v = raw.cfg.vocab_size
    solid = torch.where(masked, cand > 0, (states > 0) & (states < v))  # (n, N, P)
    grid = raw.from_tokens(solid.to(torch.uint8)).squeeze(-1).bool()  # (n, X, Y, Z)
    seeds = grid.clone()
    seeds[:, :, 1:, :] = False
    seeds |= raw.from_tokens((held & solid).to(torch.uint8)).squeeze(-1).bool()
    reached = seeds
    for _ in range(grid[0].numel()):
        grow = reached.clone()
        for d in (1, 2, 3):
            n_ = grow.shape[d]
            grow.narrow(d, 1, n_ - 1).logical_or_(reached.narrow(d, 0, n_ - 1))
            grow.narrow(d, 0, n_ - 1).logical_or_(reached.narrow(d, 1, n_ - 1))
        grow &= grid
        if torch.equal(grow, reached):
            break
        reached = grow
    return raw.to_tokens(reached.to(torch.uint8)).bool()  # (n, N, P)
