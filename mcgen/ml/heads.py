"""Output heads: the part of the network that maps token features to per-voxel block logits.

The trunk (:class:`mcgen.ml.network.DiT3D`) turns a grid into ``N`` tokens of ``H`` features; a
head turns those into ``p^3 V`` logits per token (``p^3`` voxels, ``V`` blocks) and answers the
three questions training and sampling ask of them, so no caller touches the logits' layout:

* :meth:`Head.logits` (B, N, H) -> (B, N, p^3 V);
* :meth:`Head.cross_entropy` against target blocks (B, N, p^3) -> per-voxel losses (B, N, p^3);
* :meth:`Head.expected` the clean-sample estimate ``softmax(logits) @ E`` -> (B, N, p^3 d).

``mixes_linearly`` says whether the logits are a linear map of the features, so that
classifier-free guidance may mix the (much smaller) features instead of the logits.

A head is picked by :attr:`mcgen.ml.config.ModelConfig.head` through :data:`HEAD_CLASSES`; adding
one is a class here and a name in :data:`mcgen.ml.config.HEADS`.
"""

from __future__ import annotations

from typing import Protocol

import torch
import torch.nn.functional as F
from torch import nn

from mcgen.ml.config import ModelConfig
from mcgen.ml.fused import fused_ok, head_cross_entropy, head_expected


class Head(Protocol):
    """What the trunk, the objectives and the samplers need from an output head."""

    mixes_linearly: bool

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """(B, N, H) features -> (B, N, p^3 V) logits."""

    def cross_entropy(self, h: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """(B, N, H) features, (B, N, p^3) long targets -> (B, N, p^3) per-voxel cross-entropy."""

    def expected(self, h: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """(B, N, H) features, (V, d) block table -> (B, N, p^3 d) expected embedding."""

    def init_output(self) -> None:
        """Zero the layer that writes the logits (adaLN-Zero: the first logits are uniform)."""


class LinearHead(nn.Module):
    """One linear layer per token, ``H -> p^3 V``: every voxel of a patch reads the same ``H`` features.

    On CPU in float32 the loss and the expected embedding go through :mod:`mcgen.ml.fused`, which
    never stores the whole logits tensor; elsewhere (CUDA, autocast, ``torch.compile``) the plain
    ``F.linear`` + ``F.cross_entropy`` / softmax path, which equals it to float rounding.

    Args:
        cfg: the model's config (hidden size, patch, vocabulary).
    """

    mixes_linearly = True

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.vocab = cfg.vocab_size
        self.linear = nn.Linear(cfg.hidden_size, cfg.patch_size**3 * cfg.vocab_size)

    def _fused(self, h: torch.Tensor) -> bool:
        return fused_ok(h, self.linear.weight)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """(B, N, H) -> (B, N, p^3 V)."""
        return self.linear(h)

    def cross_entropy(self, h: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-voxel cross-entropy (B, N, p^3) of the logits of ``h`` against ``target`` (B, N, p^3)."""
        b, n = h.shape[:2]
        lin, v = self.linear, self.vocab
        if self._fused(h):
            loss = head_cross_entropy(h.reshape(b * n, -1), lin.weight, lin.bias, target.reshape(b * n, -1), v)
        else:
            y = self.logits(h).float()  # (B, N, p^3 V)
            loss = F.cross_entropy(y.reshape(-1, v), target.reshape(-1), reduction="none")
        return loss.view(b, n, -1)  # (B, N, p^3)

    def expected(self, h: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        """``softmax(logits) @ table`` per voxel (B, N, p^3 d); fused on CPU without gradient."""
        b, n = h.shape[:2]
        lin = self.linear
        if self._fused(h) and not torch.is_grad_enabled():
            return head_expected(h.reshape(b * n, -1), lin.weight, lin.bias, table).view(b, n, -1)
        logits = self.logits(h)  # (B, N, p^3 V)
        probs = torch.softmax(logits.float().view(b, n, -1, self.vocab), dim=-1)  # (B, N, p^3, V)
        return (probs @ table.float()).view(b, n, -1)  # (B, N, p^3 d)

    def init_output(self) -> None:
        """Zero weight and bias: the first logits are all zero."""
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)


HEAD_CLASSES: dict[str, type[nn.Module]] = {"linear": LinearHead}


def make_head(cfg: ModelConfig) -> nn.Module:
    """The output head ``cfg.head`` names."""
    return HEAD_CLASSES[cfg.head](cfg)


# Parameter names of earlier layouts -> today's (checkpoint format <= 3 kept the head's linear
# layer on the network itself).
RENAMED_PARAMETERS = {"final_linear.": "head.linear."}
