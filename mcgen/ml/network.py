"""The network: a diffusion transformer (DiT) trunk over 3-D voxel grids, and its output head.

Input: the noisy embedding ``x_t`` (B, X, Y, Z, d) concatenated with the self-conditioning
estimate (B, X, Y, Z, d) (channels last throughout), cut into p^3 patches (tokens), plus a fixed
3-D sin-cos position embedding. Conditioning: sinusoidal timestep embedding through an MLP, plus
a class-label embedding whose last row is the null label (classifier-free guidance). Blocks are
adaLN-Zero: their modulation and the head's output layer start at zero, so each block starts as
the identity and the first logits are uniform.

Everything runs in token layout (B, N, p^3 C) (:meth:`DiT3D.to_tokens`): every per-voxel
operation (noise, cross-entropy, softmax) is the same in either layout, so callers reorder only
the block indices, once. The interface is split by purpose; each caller says what it wants:

* :meth:`DiT3D.features` tokens in, :class:`~mcgen.ml.heads.Features` out (the trunk: (B, N, H)
  token features, the conditioning, and the per-voxel inputs a full-resolution head reads);
* :meth:`DiT3D.logits`, :meth:`DiT3D.expected`, :meth:`DiT3D.loss` from those features, through
  the output head (:mod:`mcgen.ml.heads`);
* ``forward`` is the training computation, features then per-voxel loss, so that wrappers
  (DDP, ``torch.compile``) wrap exactly what gets a gradient.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mcgen.errors import ConfigError
from mcgen.ml.codec import BlockCodec
from mcgen.ml.config import ACTIVATIONS, ModelConfig
from mcgen.ml.heads import Features, make_head
from mcgen.ml.layout import from_tokens, to_tokens


def _sincos_1d(dim: int, pos: torch.Tensor) -> torch.Tensor:
    """``(N,)`` positions -> ``(N, dim)`` sin/cos features (dim even)."""
    freqs = torch.exp(-math.log(10000.0) * torch.arange(dim // 2, dtype=torch.float64) / max(dim // 2, 1))
    ang = pos.double().unsqueeze(1) * freqs.unsqueeze(0)  # (N, dim/2)
    return torch.cat([ang.sin(), ang.cos()], dim=1)


def sincos_pos_embed_3d(hidden: int, n: int) -> torch.Tensor:
    """Fixed ``(n^3, hidden)`` position embedding: a third of the channels per axis, x-major order."""
    per_axis = (hidden // 6) * 2
    g = torch.arange(n)
    gx, gy, gz = torch.meshgrid(g, g, g, indexing="ij")  # each (n, n, n)
    parts = [_sincos_1d(per_axis, a.reshape(-1)) for a in (gx, gy, gz)]  # 3 x (N, per_axis)
    emb = torch.cat(parts, dim=1)  # (N, 3 * per_axis)
    pad = hidden - emb.shape[1]
    return F.pad(emb, (0, pad)).float()  # (N, hidden)


def timestep_features(t: torch.Tensor, dim: int = 256) -> torch.Tensor:
    """``(B,)`` timesteps -> ``(B, dim)`` sinusoidal features (as in DDPM / DiT)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    ang = t.float().unsqueeze(1) * freqs.unsqueeze(0)  # (B, half)
    return torch.cat([ang.cos(), ang.sin()], dim=1)


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``x * (1 + scale) + shift`` per sample, as one fused op."""
    return torch.addcmul(shift.unsqueeze(1), x, 1 + scale.unsqueeze(1))


class DiTBlock(nn.Module):
    """Pre-norm transformer block with adaLN-Zero modulation (shift, scale, gate) x 2."""

    def __init__(self, hidden: int, heads: int, mlp_ratio: float, activation: str = "gelu") -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        inner = int(hidden * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(hidden, inner), nn.GELU(approximate=ACTIVATIONS[activation]),
                                 nn.Linear(inner, hidden))
        self.ada = nn.Linear(hidden, 6 * hidden)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``x`` (B, N, H) tokens, ``c`` (B, H) activated conditioning -> (B, N, H)."""
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c).chunk(6, dim=1)  # each (B, H)
        b, n, h = x.shape
        qkv = self.qkv(_modulate(self.norm1(x), sh1, sc1))  # (B, N, 3H)
        q, k, v = qkv.view(b, n, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)  # 3 x (B, heads, N, hd)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, heads, N, hd)
        a = a.transpose(1, 2).reshape(b, n, h)  # (B, N, H)
        x = torch.addcmul(x, g1.unsqueeze(1), self.proj(a))
        return torch.addcmul(x, g2.unsqueeze(1), self.mlp(_modulate(self.norm2(x), sh2, sc2)))


class DiT3D(nn.Module):
    """The denoiser: a transformer trunk over patches and an output head (module docstring).

    Args:
        cfg: a :class:`~mcgen.ml.config.ModelConfig`.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h, p, v = cfg.hidden_size, cfg.patch_size, cfg.vocab_size
        self.codec = BlockCodec(v, cfg.embed_dim, cfg.encoding)
        # Masked objective: states 0..V-1 are blocks, V is [MASK]; the Gaussian input is continuous.
        self.state_embed = nn.Embedding(v + 1, cfg.embed_dim) if cfg.mask_token else None
        self.in_channels = cfg.embed_dim * (2 if cfg.self_condition else 1)
        self.patch_embed = nn.Linear(self.in_channels * p**3, h)
        self.register_buffer("pos_embed", sincos_pos_embed_3d(h, cfg.grid_size // p), persistent=False)
        self.t_mlp = nn.Sequential(nn.Linear(256, h), nn.SiLU(), nn.Linear(h, h))
        self.label_embed = nn.Embedding(cfg.num_labels + 1, h) if cfg.num_labels > 0 else None
        self.blocks = nn.ModuleList(DiTBlock(h, cfg.num_heads, cfg.mlp_ratio, cfg.activation) for _ in range(cfg.depth))
        self.final_norm = nn.LayerNorm(h, elementwise_affine=False, eps=1e-6)
        self.final_ada = nn.Linear(h, 2 * h)
        # Registered last, where the output layer always was: the parameter order (initial
        # weights, optimizer state) is the same as before the head had a module of its own.
        self.head = make_head(cfg)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        for m in self.t_mlp:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
        if self.label_embed is not None:
            nn.init.normal_(self.label_embed.weight, std=0.02)
        if self.state_embed is not None:
            nn.init.normal_(self.state_embed.weight, std=1.0)  # unit variance, like the codec's rows
        # adaLN-Zero: every block starts as the identity, the first logits are all zero.
        for lin in [b.ada for b in self.blocks] + [self.final_ada]:
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)
        self.head.init_output()

    def embed_states(self, states: torch.Tensor) -> torch.Tensor:
        """Masked objective's input: (B, N, p^3) states in 0..V (V = [MASK]) -> (B, N, p^3 d)."""
        if self.state_embed is None:
            raise ConfigError("this model takes continuous inputs (Gaussian objective), not block states")
        b, n = states.shape[:2]
        return self.state_embed(states).view(b, n, -1)

    def null_label(self) -> int:
        """The label index meaning "no label" (classifier-free guidance)."""
        return self.cfg.num_labels

    def to_tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Grid layout -> token layout: (B, X, Y, Z, C) -> (B, N, p^3 C); (B, X, Y, Z) -> (B, N, p^3)."""
        return to_tokens(x, self.cfg.grid_size, self.cfg.patch_size)

    def from_tokens(self, y: torch.Tensor) -> torch.Tensor:
        """Token layout -> grid layout: (B, N, p^3 C) -> (B, X, Y, Z, C) (inverse of :meth:`to_tokens`)."""
        return from_tokens(y, self.cfg.grid_size, self.cfg.patch_size)

    def forward(self, x_tok: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
                self_cond: torch.Tensor | None, target: torch.Tensor) -> torch.Tensor:
        """The training computation: per-voxel cross-entropy (B, N, p^3) against ``target`` (B, N, p^3).

        Arguments as :meth:`features`; ``target`` holds block indices in token layout.
        """
        return self.loss(self.features(x_tok, t, labels, self_cond), target)

    def features(self, x_tok: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None,
                 self_cond: torch.Tensor | None = None) -> Features:
        """The trunk: token inputs -> :class:`~mcgen.ml.heads.Features` (final normalised, modulated
        token features (B, N, H), the conditioning (B, H) and the per-voxel inputs).

        Args:
            x_tok: noisy embeddings (B, N, p^3 d), or for a ``mask_token`` model integer block
                states (B, N, p^3) in 0..V (V = ``[MASK]``), which :meth:`embed_states` embeds.
            t: timesteps (B,) in [0, T) (the masked objective passes ``1000 * mask level``).
            labels: (B,) label indices, ``num_labels`` = null; ``None`` = all null.
            self_cond: previous x0 estimate (B, N, p^3 d); ``None`` = zeros.
        """
        if not torch.is_floating_point(x_tok):
            x_tok = self.embed_states(x_tok)
        if self.cfg.self_condition:
            b, n = x_tok.shape[:2]
            d = self.cfg.embed_dim
            if self_cond is None:
                self_cond = torch.zeros_like(x_tok)
            # per voxel [x_t, self_cond], the channel order of the grid-layout concatenation
            x_tok = torch.cat([x_tok.view(b, n, -1, d), self_cond.to(x_tok.dtype).view(b, n, -1, d)], dim=-1)
            x_tok = x_tok.view(b, n, -1)  # (B, N, p^3 2d)
        x = self.patch_embed(x_tok) + self.pos_embed  # (B, N, H)
        c = self.t_mlp(timestep_features(t))  # (B, H)
        if self.label_embed is not None:
            if labels is None:
                labels = torch.full(t.shape, self.cfg.num_labels, dtype=torch.long, device=t.device)
            c = c + self.label_embed(labels)
        c = F.silu(c)
        for block in self.blocks:
            x = block(x, c)
        shift, scale = self.final_ada(c).chunk(2, dim=1)  # (B, H) each
        return Features(_modulate(self.final_norm(x), shift, scale), c, x_tok)  # (B, N, H), (B, H), inputs

    def logits(self, f: Features) -> torch.Tensor:
        """Features -> (B, N, p^3 V) logits."""
        return self.head.logits(f)

    def loss(self, f: Features, target: torch.Tensor) -> torch.Tensor:
        """Features, (B, N, p^3) target blocks -> (B, N, p^3) per-voxel cross-entropy."""
        return self.head.cross_entropy(f, target)

    def expected(self, f: Features) -> torch.Tensor:
        """Features -> (B, N, p^3 d) expected embedding ``softmax(logits) @ E``."""
        return self.head.expected(f, self.codec.embedding())


def build_model(cfg: ModelConfig) -> DiT3D:
    """A freshly initialised :class:`DiT3D` for ``cfg``."""
    return DiT3D(cfg)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
