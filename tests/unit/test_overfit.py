"""Proof it learns: `tiny` overfits 4 hand-made houses and sampling reproduces them (both objectives)."""

from __future__ import annotations

import copy

import numpy as np
import torch

from mcgen.ml.objectives.gaussian import DiffusionConfig, GaussianDiffusion, training_loss
from mcgen.ml.objectives.masked import MaskedConfig, MaskedObjective
from mcgen.ml.config import ModelConfig
from mcgen.ml.network import build_model
from mcgen.ml.objectives.gaussian_steps import sample
from mcgen.vocab import DEFAULT_VOCAB

G = 16
OVERFIT_STEPS = 1000  # batch 8 (each house twice): 91 s on one quiet core; part of the default (CI) run


def _house(x0: int, z0: int, w: int, d: int, h: int, wall: str, roof: str, floor: str, door_south: bool) -> np.ndarray:
    """A box house on a 16^3 grid: floor, four walls with a door and two windows, stepped roof."""
    v = DEFAULT_VOCAB.index
    g = np.zeros((G, G, G), dtype=np.int64)  # (X, Y, Z)
    x1, z1 = x0 + w - 1, z0 + d - 1
    g[x0:x1 + 1, 0, z0:z1 + 1] = v(floor)
    for y in range(1, h + 1):
        g[x0:x1 + 1, y, [z0, z1]] = v(wall)
        g[[x0, x1], y, z0:z1 + 1] = v(wall)
    a, b, c, e, y = x0, x1, z0, z1, h + 1
    while a <= b and c <= e and y < G:
        g[a:b + 1, y, c:e + 1] = v(roof)
        a, b, c, e, y = a + 1, b - 1, c + 1, e - 1, y + 1
    door_z = z0 if door_south else z1
    g[(x0 + x1) // 2, 1:3, door_z] = 0
    g[[x0, x1], 2, (z0 + z1) // 2] = v("minecraft:glass")
    return g


def toy_houses() -> np.ndarray:
    """Four distinct houses, (4, 16, 16, 16) vocabulary indices of ``DEFAULT_VOCAB``."""
    return np.stack([
        _house(3, 3, 9, 7, 4, "minecraft:oak_planks", "minecraft:bricks", "minecraft:cobblestone", True),
        _house(2, 4, 11, 9, 3, "minecraft:stone_bricks", "minecraft:spruce_planks", "minecraft:stone", False),
        _house(5, 2, 6, 12, 5, "minecraft:white_wool", "minecraft:dark_oak_planks", "minecraft:oak_planks", True),
        _house(1, 1, 14, 14, 2, "minecraft:sandstone", "minecraft:terracotta", "minecraft:sand", False),
    ])


def nearest_match(samples: torch.Tensor, data: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per sample: share of voxels equal to the nearest training structure, and its index."""
    eq = (samples[:, None] == data[None]).float().mean(dim=(2, 3, 4))  # (S, N)
    return eq.max(dim=1)


def _train(steps: int, lr: float, repeat: int, ema_rate: float = 0.02):
    """Train ``tiny`` on the toy houses; returns (model, EMA copy, diffusion, losses)."""
    torch.manual_seed(0)
    data = torch.from_numpy(toy_houses())
    model = build_model(ModelConfig(preset="tiny"))
    ema = copy.deepcopy(model).eval()
    diffusion = GaussianDiffusion(DiffusionConfig(schedule="linear"))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    gen, losses = torch.Generator().manual_seed(0), []
    for _ in range(steps):
        loss = training_loss(model, diffusion, data.repeat(repeat, 1, 1, 1), generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), model.parameters()):
                pe.lerp_(p, ema_rate)
        losses.append(loss.item())
    return model.eval(), ema, diffusion, losses


def test_training_loss_falls_fast_on_toy_houses() -> None:
    torch.set_num_threads(1)
    *_, losses = _train(steps=30, lr=2e-3, repeat=1)
    assert sum(losses[-10:]) / 10 < 0.5 * sum(losses[:5]) / 5


def test_tiny_overfits_four_houses_and_ddim_reproduces_them() -> None:
    # A criterion with a margin, not one CPU's rounding: on a 2-core AMD EPYC box (where the old
    # min >= 0.95 failed, as on another EPYC), sampler seeds 1, 2, 3 gave per-sample matches of
    # 0.935-1.0 (lowest per seed 0.941, 0.935, 0.936; means 0.982, 0.973, 0.985). So: the mean
    # >= 0.95 and every sample >= 0.90 (a house with a wrong roof step or door is still that house).
    torch.set_num_threads(1)
    data = torch.from_numpy(toy_houses())
    _, ema, diffusion, _ = _train(steps=OVERFIT_STEPS, lr=1e-3, repeat=2)
    out = sample(ema, diffusion, 8, num_steps=20, generator=torch.Generator().manual_seed(1))
    acc, idx = nearest_match(out, data)
    assert float(acc.mean()) >= 0.95 and float(acc.min()) >= 0.90, acc.tolist()
    assert len(set(idx.tolist())) >= 2  # not one collapsed answer


MASKED_STEPS = 1000  # batch 8 (each house twice), 1 thread


def _train_masked(cfg: ModelConfig, steps: int, data: torch.Tensor):
    """Train a masked model on the toy houses (batch 8, lr 1e-3, EMA rate 0.02); returns
    (objective, EMA copy, losses)."""
    torch.manual_seed(0)
    obj = MaskedObjective(MaskedConfig())
    model = build_model(cfg)
    ema = copy.deepcopy(model).eval()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    gen, losses = torch.Generator().manual_seed(0), []
    for _ in range(steps):
        loss = obj.loss(model, data.repeat(2, 1, 1, 1), None, generator=gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), model.parameters()):
                pe.lerp_(p, 0.02)
        losses.append(loss.item())
    return obj, ema, losses


def test_tiny_masked_overfits_four_houses_and_unmasking_reproduces_them() -> None:
    """The masked objective on the same task: its samplers rebuild the training houses."""
    torch.set_num_threads(1)
    data = torch.from_numpy(toy_houses())
    obj, ema, losses = _train_masked(ModelConfig(preset="tiny", mask_token=True), MASKED_STEPS, data)
    assert sum(losses[-20:]) / 20 < 0.2 * sum(losses[:5]) / 5
    # 60 steps: at 20 the parallel reveals of the first steps mix houses (0.93-0.95 measured). Both
    # samplers then rebuild a training house (0.96-0.99 of voxels), though unconditionally this
    # small model tends to pick the same house for every seed, so diversity is not asserted here.
    for sampler in ("confidence", "random"):
        out = obj.sample(ema, 4, sampler=sampler, num_steps=60, seed=1)
        acc, _ = nearest_match(out, data)
        assert float(acc.min()) >= 0.95, (sampler, acc.tolist())


VOXEL_STEPS = 800  # batch 8, 1 thread, head width 8: about 135 s (500 steps gave 0.93-0.96; 600 gave 0.93 for one sample on an AMD EPYC box)


def test_tiny_masked_with_the_voxel_head_overfits_four_houses_in_fewer_steps() -> None:
    """The full-resolution head on the same task: 800 training steps instead of the linear head's
    1000, and 20 sampler steps already rebuild a training house (the linear head needs 60: at 20
    its parallel reveals mix houses). Measured: 0.97-0.998 of voxels for both samplers at 20 and 60."""
    torch.set_num_threads(1)
    data = torch.from_numpy(toy_houses())
    cfg = ModelConfig(preset="tiny", mask_token=True, head="voxel", head_width=8)
    obj, ema, losses = _train_masked(cfg, VOXEL_STEPS, data)
    assert sum(losses[-20:]) / 20 < 0.2 * sum(losses[:5]) / 5
    for sampler in ("confidence", "random"):
        out = obj.sample(ema, 4, sampler=sampler, num_steps=20, seed=1)
        acc, _ = nearest_match(out, data)
        assert float(acc.min()) >= 0.95, (sampler, acc.tolist())
