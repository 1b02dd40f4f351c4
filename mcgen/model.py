"""A diffusion transformer (DiT) over 3-D voxel grids, predicting per-voxel block logits.

Input: the noisy embedding ``x_t`` (B, X, Y, Z, d) concatenated with the self-conditioning
estimate (B, X, Y, Z, d) (channels last throughout), cut into p^3 patches (tokens), plus a fixed 3-D sin-cos position
embedding. Conditioning: sinusoidal timestep embedding through an MLP, plus a class-label
embedding whose last row is the null label (classifier-free guidance). Blocks are adaLN-Zero:
their modulation and the final layer start at zero, so each block starts as the identity and
the first logits are uniform. Output: logits (B, X, Y, Z, V) over the block vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mcgen.codec import ENCODINGS, BlockCodec, bits_dim
from mcgen.config import dataclass_from_dict
from mcgen.errors import ConfigError
from mcgen.vocab import DEFAULT_VOCAB

# name -> (hidden, depth, heads). One table; `small` is DiT-S width (about 33M parameters).
PRESETS: dict[str, tuple[int, int, int]] = {
    "tiny": (128, 4, 4),
    "small": (384, 12, 6),
    "base": (768, 12, 12),
    "large": (1024, 24, 16),
}
# Default patch edge per preset: `tiny` uses 4 (64 tokens at 16^3) so it trains on a laptop CPU.
DEFAULT_PATCH: dict[str, int] = {"tiny": 4, "small": 2, "base": 2, "large": 2}
LEARNED_DIM = 16  # channels of a learned embedding (analog bits use ceil(log2 V))


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of the denoiser. ``None`` fields are filled from the preset / encoding.

    Attributes:
        preset: one of ``PRESETS``; sets hidden/depth/heads unless those are given.
        grid_size: edge of the cubic grid (16 or 32).
        patch_size: patch edge (2, 4 or 8), must divide ``grid_size``.
        vocab_size: number of block states (index 0 is air).
        num_labels: class labels; 0 means unconditional. Index ``num_labels`` is the null label.
        encoding: ``"bits"`` (analog bits) or ``"learned"`` (normalised learned embedding).
        embed_dim: channels per voxel of the encoding.
        self_condition: feed the previous x0 estimate as extra input channels.
        voxel_bias: a learned logit bias per voxel position and block (zero at init): the
            position prior (air above the roof, floor at the bottom) without going through attention.
    """

    preset: str = "tiny"
    grid_size: int = 16
    patch_size: int | None = None
    vocab_size: int = len(DEFAULT_VOCAB)
    num_labels: int = 0
    encoding: str = "bits"
    embed_dim: int | None = None
    self_condition: bool = True
    voxel_bias: bool = False
    hidden_size: int | None = None
    depth: int | None = None
    num_heads: int | None = None
    mlp_ratio: float = 4.0

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ConfigError(f"unknown model preset {self.preset!r}; choose one of {', '.join(PRESETS)}")
        hidden, depth, heads = PRESETS[self.preset]
        fill = {"hidden_size": hidden, "depth": depth, "num_heads": heads, "patch_size": DEFAULT_PATCH[self.preset]}
        for name, value in fill.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        if self.embed_dim is None:
            dim = bits_dim(self.vocab_size) if self.encoding == "bits" else LEARNED_DIM
            object.__setattr__(self, "embed_dim", dim)
        self._validate()

    def _validate(self) -> None:
        if self.grid_size not in (16, 32):
            raise ConfigError(f"grid_size must be 16 or 32, got {self.grid_size}")
        if self.patch_size not in (2, 4, 8) or self.grid_size % self.patch_size:
            raise ConfigError(f"patch_size must be 2, 4 or 8 and divide {self.grid_size}, got {self.patch_size}")
        if self.vocab_size < 2:
            raise ConfigError(f"vocab_size must be at least 2, got {self.vocab_size}")
        if self.num_labels < 0:
            raise ConfigError(f"num_labels must be >= 0, got {self.num_labels}")
        if self.encoding not in ENCODINGS:
            raise ConfigError(f"unknown encoding {self.encoding!r}; choose one of {', '.join(ENCODINGS)}")
        if self.encoding == "bits" and 2**self.embed_dim < self.vocab_size:
            raise ConfigError(f"{self.embed_dim} analog bits cannot encode {self.vocab_size} blocks")
        if self.embed_dim < 1 or self.depth < 1 or self.num_heads < 1:
            raise ConfigError("embed_dim, depth and num_heads must be positive")
        if self.hidden_size % self.num_heads:
            raise ConfigError(f"hidden_size {self.hidden_size} is not divisible by num_heads {self.num_heads}")

    @property
    def tokens(self) -> int:
        """Number of patches (sequence length)."""
        return (self.grid_size // self.patch_size) ** 3

    def to_dict(self) -> dict[str, Any]:
        """Plain-value dict with every field resolved (what checkpoints store)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: not a dict, unknown keys, or invalid values.
        """
        return dataclass_from_dict(cls, d, "model config")


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
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class DiTBlock(nn.Module):
    """Pre-norm transformer block with adaLN-Zero modulation (shift, scale, gate) x 2."""

    def __init__(self, hidden: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.proj = nn.Linear(hidden, hidden)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        inner = int(hidden * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(hidden, inner), nn.GELU(approximate="tanh"), nn.Linear(inner, hidden))
        self.ada = nn.Linear(hidden, 6 * hidden)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``x`` (B, N, H) tokens, ``c`` (B, H) activated conditioning -> (B, N, H)."""
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c).chunk(6, dim=1)  # each (B, H)
        b, n, h = x.shape
        qkv = self.qkv(_modulate(self.norm1(x), sh1, sc1))  # (B, N, 3H)
        q, k, v = qkv.view(b, n, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)  # 3 x (B, heads, N, hd)
        a = F.scaled_dot_product_attention(q, k, v)  # (B, heads, N, hd)
        a = a.transpose(1, 2).reshape(b, n, h)  # (B, N, H)
        x = x + g1.unsqueeze(1) * self.proj(a)
        return x + g2.unsqueeze(1) * self.mlp(_modulate(self.norm2(x), sh2, sc2))


class DiT3D(nn.Module):
    """The denoiser: ``forward(x_t, t, labels, self_cond) -> logits (B, X, Y, Z, V)``.

    Args:
        cfg: a :class:`ModelConfig`.
    """

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        h, p, v = cfg.hidden_size, cfg.patch_size, cfg.vocab_size
        self.codec = BlockCodec(v, cfg.embed_dim, cfg.encoding)
        self.in_channels = cfg.embed_dim * (2 if cfg.self_condition else 1)
        self.patch_embed = nn.Linear(self.in_channels * p**3, h)
        self.register_buffer("pos_embed", sincos_pos_embed_3d(h, cfg.grid_size // p), persistent=False)
        self.t_mlp = nn.Sequential(nn.Linear(256, h), nn.SiLU(), nn.Linear(h, h))
        self.label_embed = nn.Embedding(cfg.num_labels + 1, h) if cfg.num_labels > 0 else None
        self.blocks = nn.ModuleList(DiTBlock(h, cfg.num_heads, cfg.mlp_ratio) for _ in range(cfg.depth))
        self.final_norm = nn.LayerNorm(h, elementwise_affine=False, eps=1e-6)
        self.final_ada = nn.Linear(h, 2 * h)
        self.final_linear = nn.Linear(h, p**3 * v)
        g = cfg.grid_size
        # Stored in token layout (N, p^3 V) so it folds into the final matmul (one fused op).
        self.voxel_bias = nn.Parameter(torch.zeros(cfg.tokens, p**3 * v)) if cfg.voxel_bias else None
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
        # adaLN-Zero: every block starts as the identity, the first logits are all zero.
        for lin in [b.ada for b in self.blocks] + [self.final_ada, self.final_linear]:
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

    def null_label(self) -> int:
        """The label index meaning "no label" (classifier-free guidance)."""
        return self.cfg.num_labels

    def _patchify(self, x: torch.Tensor) -> torch.Tensor:
        b, c = x.shape[0], x.shape[-1]
        p, n = self.cfg.patch_size, self.cfg.grid_size // self.cfg.patch_size
        x = x.reshape(b, n, p, n, p, n, p, c)  # (B, nx, px, ny, py, nz, pz, C)
        x = x.permute(0, 1, 3, 5, 2, 4, 6, 7)  # (B, nx, ny, nz, px, py, pz, C)
        return x.reshape(b, n**3, p**3 * c)  # (B, N, p^3 C)

    def _unpatchify(self, y: torch.Tensor) -> torch.Tensor:
        b, c = y.shape[0], y.shape[-1] // self.cfg.patch_size**3
        p, n = self.cfg.patch_size, self.cfg.grid_size // self.cfg.patch_size
        y = y.reshape(b, n, n, n, p, p, p, c)  # (B, nx, ny, nz, px, py, pz, C)
        y = y.permute(0, 1, 4, 2, 5, 3, 6, 7)  # (B, nx, px, ny, py, nz, pz, C)
        return y.reshape(b, n * p, n * p, n * p, c)  # (B, X, Y, Z, C)

    def forward(
        self,
        x_t: torch.Tensor,
        t: torch.Tensor,
        labels: torch.Tensor | None = None,
        self_cond: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Predict block logits.

        Args:
            x_t: noisy embeddings (B, X, Y, Z, d).
            t: integer timesteps (B,) in [0, T).
            labels: (B,) label indices, ``num_labels`` = null; ``None`` = all null.
            self_cond: previous x0 estimate (B, X, Y, Z, d); ``None`` = zeros.

        Returns:
            Logits (B, X, Y, Z, V).
        """
        if self.cfg.self_condition:
            if self_cond is None:
                self_cond = torch.zeros_like(x_t)
            x_t = torch.cat([x_t, self_cond.to(x_t.dtype)], dim=-1)  # (B, X, Y, Z, 2d)
        x = self.patch_embed(self._patchify(x_t)) + self.pos_embed  # (B, N, H)
        c = self.t_mlp(timestep_features(t))  # (B, H)
        if self.label_embed is not None:
            if labels is None:
                labels = torch.full_like(t, self.cfg.num_labels)
            c = c + self.label_embed(labels)
        c = F.silu(c)
        for block in self.blocks:
            x = block(x, c)
        shift, scale = self.final_ada(c).chunk(2, dim=1)  # (B, H) each
        x = _modulate(self.final_norm(x), shift, scale)  # (B, N, H)
        if self.voxel_bias is None:
            y = self.final_linear(x)  # (B, N, p^3 V)
        else:
            bias = (self.voxel_bias + self.final_linear.bias).expand(x.shape[0], -1, -1)  # (B, N, p^3 V)
            y = torch.baddbmm(bias, x, self.final_linear.weight.T.expand(x.shape[0], -1, -1))
        return self._unpatchify(y)  # (B, X, Y, Z, V)


def build_model(cfg: ModelConfig) -> DiT3D:
    """A freshly initialised :class:`DiT3D` for ``cfg``."""
    return DiT3D(cfg)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
