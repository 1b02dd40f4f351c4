"""Output heads: the part of the network that maps the trunk's features to per-voxel block logits.

The trunk (:class:`mcgen.ml.network.DiT3D`) turns a grid into ``N`` tokens of ``H`` features
(:class:`Features`, with the conditioning and the per-voxel inputs beside them); a head turns
those into ``p^3 V`` logits per token (``p^3`` voxels, ``V`` blocks) and answers the three
questions training and sampling ask of them, so no caller touches the logits' layout:

* :meth:`Head.logits` -> (B, N, p^3 V);
* :meth:`Head.cross_entropy` against target blocks (B, N, p^3) -> per-voxel losses (B, N, p^3);
* :meth:`Head.expected` the clean-sample estimate ``softmax(logits) @ E`` -> (B, N, p^3 d).

``mixes_linearly`` says whether the logits are a linear map of the token features, so that
classifier-free guidance may mix the (much smaller) features instead of the logits.

Heads (:data:`HEAD_CLASSES`, named by :attr:`mcgen.ml.config.ModelConfig.head`):

* ``linear``: one linear layer per token; every voxel of a patch reads the same ``H`` numbers.
* ``voxel``: the linear head plus a full-resolution path (:class:`VoxelHead`): the token features
  un-patched to ``head_width`` channels per voxel, added to a 3x3x3 convolution of the input
  states, refined by ``head_blocks`` cheap depthwise-separable residual blocks with
  timestep/label modulation, then per-voxel logits added to the linear head's, so the patch
  still carries the material of a region and the voxels decide the detail.
* ``voxel_occupancy``: the same path, but it writes only the air logit: the full-resolution
  layers decide where blocks go, the linear head which block (a factorised occupancy + material
  head, cheaper at the output).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from mcgen.ml.config import ModelConfig
from mcgen.ml.fused import fused_ok, head_cross_entropy, head_expected
from mcgen.ml.layout import from_tokens, to_tokens


class Features(NamedTuple):
    """What the trunk hands a head.

    Attributes:
        tokens: (B, N, H) final normalised, modulated token features.
        cond: (B, H) the activated timestep + label conditioning.
        voxels: (B, N, p^3 C) the network's per-voxel inputs in token layout (the embedded state
            or noisy embedding, with the self-conditioning estimate when the model has it).
    """

    tokens: torch.Tensor
    cond: torch.Tensor
    voxels: torch.Tensor


class Head(Protocol):
    """What the trunk, the objectives and the samplers need from an output head."""

    mixes_linearly: bool

    def logits(self, f: Features) -> torch.Tensor:
        """Features -> (B, N, p^3 V) logits."""

    def cross_entropy(self, f: Features, target: torch.Tensor) -> torch.Tensor:
        """Features, (B, N, p^3) long targets -> (B, N, p^3) per-voxel cross-entropy."""

    def expected(self, f: Features, table: torch.Tensor) -> torch.Tensor:
        """Features, (V, d) block table -> (B, N, p^3 d) expected embedding."""

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

    def logits(self, f: Features) -> torch.Tensor:
        """(B, N, p^3 V) from the token features alone."""
        return self.linear(f.tokens)

    def cross_entropy(self, f: Features, target: torch.Tensor) -> torch.Tensor:
        """Per-voxel cross-entropy (B, N, p^3) of the logits against ``target`` (B, N, p^3)."""
        h = f.tokens
        b, n = h.shape[:2]
        lin, v = self.linear, self.vocab
        if self._fused(h):
            loss = head_cross_entropy(h.reshape(b * n, -1), lin.weight, lin.bias, target.reshape(b * n, -1), v)
        else:
            y = self.linear(h).float()  # (B, N, p^3 V)
            loss = F.cross_entropy(y.reshape(-1, v), target.reshape(-1), reduction="none")
        return loss.view(b, n, -1)  # (B, N, p^3)

    def expected(self, f: Features, table: torch.Tensor) -> torch.Tensor:
        """``softmax(logits) @ table`` per voxel (B, N, p^3 d); fused on CPU without gradient."""
        h = f.tokens
        b, n = h.shape[:2]
        lin = self.linear
        if self._fused(h) and not torch.is_grad_enabled():
            return head_expected(h.reshape(b * n, -1), lin.weight, lin.bias, table).view(b, n, -1)
        return expected_from_logits(self.linear(h), table, self.vocab)

    def init_output(self) -> None:
        """Zero weight and bias: the first logits are all zero."""
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)


def expected_from_logits(logits: torch.Tensor, table: torch.Tensor, vocab: int) -> torch.Tensor:
    """(B, N, p^3 V) logits, (V, d) table -> (B, N, p^3 d) ``softmax @ table`` per voxel."""
    b, n = logits.shape[:2]
    probs = torch.softmax(logits.float().view(b, n, -1, vocab), dim=-1)  # (B, N, p^3, V)
    return (probs @ table.float()).view(b, n, -1)  # (B, N, p^3 d)


def _conv_cl(conv: nn.Conv3d, x: torch.Tensor) -> torch.Tensor:
    """A 3-D convolution over channels-last grids: (B, X, Y, Z, C) -> (B, X, Y, Z, C').

    The permuted view already has channels-last-3d strides, so the convolution reads it in place
    (oneDNN's channels-last kernels on CPU) and its output permutes back without a copy.
    """
    return conv(x.permute(0, 4, 1, 2, 3)).permute(0, 2, 3, 4, 1)


class VoxelBlock(nn.Module):
    """A cheap full-resolution residual block: depthwise 3x3x3 convolution, layer norm, FiLM from
    the conditioning, SiLU, pointwise (per-voxel) linear layer; the residual branch starts at zero.

    Args:
        width: channels per voxel ``C``.
        hidden: the trunk's conditioning width ``H``.
    """

    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv3d(width, width, 3, padding=1, groups=width)
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.film = nn.Linear(hidden, 2 * width)
        self.pointwise = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """``x`` (B, X, Y, Z, C), ``cond`` (B, H) -> (B, X, Y, Z, C)."""
        shift, scale = self.film(cond).chunk(2, dim=1)  # (B, C) each
        y = self.norm(_conv_cl(self.depthwise, x))
        y = torch.addcmul(shift[:, None, None, None], y, 1 + scale[:, None, None, None])
        return x + self.pointwise(F.silu(y))


class VoxelHead(nn.Module):
    """The linear head plus a full-resolution path (module docstring: ``voxel``, ``voxel_occupancy``).

    Args:
        cfg: the model's config (``head_width``, ``head_blocks``, grid, patch, vocabulary).
        occupancy_only: the full-resolution path writes only the air logit.
    """

    mixes_linearly = False

    def __init__(self, cfg: ModelConfig, occupancy_only: bool = False) -> None:
        super().__init__()
        c, h, p = cfg.head_width, cfg.hidden_size, cfg.patch_size
        self.vocab, self.grid, self.patch = cfg.vocab_size, cfg.grid_size, p
        self.occupancy_only = occupancy_only
        in_channels = cfg.embed_dim * (2 if cfg.self_condition else 1)
        self.linear = nn.Linear(h, p**3 * cfg.vocab_size)  # per-patch logits: the region's material
        self.unpatch = nn.Linear(h, p**3 * c)  # token features at voxel resolution
        self.stem = nn.Conv3d(in_channels, c, 3, padding=1)  # the input states, with their neighbours
        self.blocks = nn.ModuleList(VoxelBlock(c, h) for _ in range(cfg.head_blocks))
        self.out = nn.Linear(c, 1 if occupancy_only else cfg.vocab_size)

    def _voxel_logits(self, f: Features) -> torch.Tensor:
        """The full-resolution path: (B, N, p^3 K), K = 1 (air logit) or V."""
        g, p = self.grid, self.patch
        x = from_tokens(self.unpatch(f.tokens), g, p)  # (B, X, Y, Z, C)
        x = x + _conv_cl(self.stem, from_tokens(f.voxels, g, p))
        for block in self.blocks:
            x = block(x, f.cond)
        return to_tokens(self.out(F.silu(x)), g, p)  # (B, N, p^3 K)

    def logits(self, f: Features) -> torch.Tensor:
        """(B, N, p^3 V): the linear head's logits plus the full-resolution path's."""
        base = self.linear(f.tokens)  # (B, N, p^3 V)
        fine = self._voxel_logits(f)
        if not self.occupancy_only:
            return base + fine
        b, n = base.shape[:2]
        air = F.pad(fine.view(b, n, -1, 1), (0, self.vocab - 1))  # (B, N, p^3, V): only column 0
        return (base.view(b, n, -1, self.vocab) + air).view(b, n, -1)

    def cross_entropy(self, f: Features, target: torch.Tensor) -> torch.Tensor:
        """Per-voxel cross-entropy (B, N, p^3) against ``target`` (B, N, p^3)."""
        b, n = target.shape[:2]
        y = self.logits(f).float().reshape(-1, self.vocab)
        return F.cross_entropy(y, target.reshape(-1), reduction="none").view(b, n, -1)

    def expected(self, f: Features, table: torch.Tensor) -> torch.Tensor:
        """``softmax(logits) @ table`` per voxel (B, N, p^3 d)."""
        return expected_from_logits(self.logits(f), table, self.vocab)

    def init_output(self) -> None:
        """Zero both output layers: the first logits are all zero, and the full-resolution path
        starts as no correction."""
        for lin in (self.linear, self.out):
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)


class VoxelOccupancyHead(VoxelHead):
    """:class:`VoxelHead` whose full-resolution path writes only the air logit (``voxel_occupancy``)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__(cfg, occupancy_only=True)


HEAD_CLASSES: dict[str, type[nn.Module]] = {"linear": LinearHead, "voxel": VoxelHead,
                                            "voxel_occupancy": VoxelOccupancyHead}


def make_head(cfg: ModelConfig) -> nn.Module:
    """The output head ``cfg.head`` names."""
    return HEAD_CLASSES[cfg.head](cfg)


# Parameter names of earlier layouts -> today's (checkpoint format <= 3 kept the head's linear
# layer on the network itself).
RENAMED_PARAMETERS = {"final_linear.": "head.linear."}
