"""Exponential moving average of the model weights, with warmup.

A fixed decay of 0.9999 keeps ``0.9999**650 = 94%`` of the random initial weights after a
650-step run, so the decay ramps up: ``decay(n) = min(ema_decay, (1 + n) / (10 + n))`` after
``n`` updates. The first update copies the weights (decay 0.1 -> 90% new), and by ~1000 steps
the EMA averages over roughly the last hundred.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def ema_decay_at(updates: int, max_decay: float) -> float:
    """Decay used for update number ``updates`` (0-based)."""
    return min(max_decay, (1.0 + updates) / (10.0 + updates))


class EMA:
    """A frozen copy of a model whose weights trail the trained ones.

    Args:
        model: the raw (unwrapped) model being trained.
        decay: the largest decay (reached after warmup).

    Attributes:
        module: the averaged model (eval mode, no gradients); sample from it.
        updates: how many updates have been applied.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.module = copy.deepcopy(model).eval().requires_grad_(False)
        self._pairs = self._match(model)

    def _match(self, model: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        src = dict(model.named_parameters())
        dst = dict(self.module.named_parameters())
        keys = [k for k in src if src[k].dtype.is_floating_point]
        return [dst[k] for k in keys], [src[k] for k in keys]

    def rebind(self, model: nn.Module) -> None:
        """Point at ``model``'s parameters again (after they were replaced, e.g. by loading)."""
        self._pairs = self._match(model)

    @torch.no_grad()
    def update(self, model: nn.Module | None = None) -> None:
        """Blend the current weights in: ``ema = decay * ema + (1 - decay) * w`` (one fused op)."""
        if model is not None:
            self.rebind(model)
        d = ema_decay_at(self.updates, self.decay)
        ema_params, params = self._pairs
        torch._foreach_lerp_(ema_params, params, 1.0 - d)
        self.updates += 1
        self._copy_buffers(model)

    def _copy_buffers(self, model: nn.Module | None) -> None:
        if model is None:
            return
        for (name, buf), (_, src) in zip(self.module.named_buffers(), model.named_buffers()):
            buf.copy_(src)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The averaged model's state dict (what checkpoints store as ``ema_state``)."""
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor], updates: int) -> None:
        """Restore averaged weights and the update counter."""
        self.module.load_state_dict(state)
        self.updates = int(updates)
