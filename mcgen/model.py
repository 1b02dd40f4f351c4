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
from mcgen.voxel_head import fused_ok, head_cross_entropy, head_expected

# name -> (hidden, depth, heads). One table; `small` is DiT-S width (about 33M parameters).
PRESETS: dict[str, tuple[int, int, int]] = {
    "tiny": (128, 4, 4),
    "small": (384, 12, 6),
    "base": (768, 12, 12),
    "large": (1024, 24, 16),
}
# Default patch edge per preset: `tiny` uses 4 (64 tokens at 16^3) so it trains on a laptop CPU.
DEFAULT_PATCH: dict[str, int] = {"tiny": 4, "small": 2, "base": 2, "large": 2}
ACTIVATIONS = {"gelu": "none", "gelu_tanh": "tanh"}  # name -> nn.GELU(approximate=...)
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
        activation: the MLP's ``"gelu"`` (exact) or ``"gelu_tanh"`` (the tanh approximation, which
            checkpoints written before this field use; on CPU its backward is ~8x slower).
        mask_token: the input is a block state per voxel (``vocab_size`` + one ``[MASK]`` state,
            index ``vocab_size``) through a learned ``embed_dim`` table, as the masked objective
            needs, instead of a continuous noisy embedding (the Gaussian objective).
    """

    preset: str = "tiny"
    grid_size: int = 16
    patch_size: int | None = None
    vocab_size: int = len(DEFAULT_VOCAB)
    num_labels: int = 0
    encoding: str = "bits"
    embed_dim: int | None = None
    self_condition: bool = True
    hidden_size: int | None = None
    depth: int | None = None
    num_heads: int | None = None
    mlp_ratio: float = 4.0
    activation: str = "gelu"
    mask_token: bool = False

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
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
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
        if isinstance(d, dict) and "activation" not in d:
            d = {**d, "activation": "gelu_tanh"}  # written before the field existed
        if isinstance(d, dict) and "voxel_bias" in d:  # an ablation switch of format 1-2, now removed
            d = dict(d)
            if d.pop("voxel_bias"):
                raise ConfigError("this checkpoint was trained with voxel_bias, an ablation switch this mcgen "
                                  "no longer has")
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
    """The denoiser: ``forward(x_t, t, labels, self_cond) -> logits (B, X, Y, Z, V)``.

    Args:
        cfg: a :class:`ModelConfig`.
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
        self.final_linear = nn.Linear(h, p**3 * v)
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
        for lin in [b.ada for b in self.blocks] + [self.final_ada, self.final_linear]:
            nn.init.zeros_(lin.weight)
            nn.init.zeros_(lin.bias)

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
        """Grid layout -> token layout: (B, X, Y, Z, C) -> (B, N, p^3 C); (B, X, Y, Z) -> (B, N, p^3).

        Every per-voxel operation (noise, cross-entropy, softmax) is the same in either layout,
        so training stays in token layout and only the block indices are reordered once.
        """
        b, p, n = x.shape[0], self.cfg.patch_size, self.cfg.grid_size // self.cfg.patch_size
        if x.dim() == 4:
            return self.to_tokens(x.unsqueeze(-1)).view(b, n**3, p**3)
        c = x.shape[-1]
        x = x.reshape(b, n, p, n, p, n, p, c)  # (B, nx, px, ny, py, nz, pz, C)
        x = x.permute(0, 1, 3, 5, 2, 4, 6, 7)  # (B, nx, ny, nz, px, py, pz, C)
        return x.reshape(b, n**3, p**3 * c)  # (B, N, p^3 C)

    def from_tokens(self, y: torch.Tensor) -> torch.Tensor:
        """Token layout -> grid layout: (B, N, p^3 C) -> (B, X, Y, Z, C) (inverse of :meth:`to_tokens`)."""
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
        *,
        tokens: bool = False,
        target: torch.Tensor | None = None,
        expected: bool = False,
        features: bool = False,
    ) -> torch.Tensor:
        """Predict block logits (or what training and sampling need from them).

        Args:
            x_t: noisy embeddings, (B, X, Y, Z, d), or (B, N, p^3 d) with ``tokens``; for a
                ``mask_token`` model integer states (B, X, Y, Z) / (B, N, p^3) in 0..V.
            t: timesteps (B,) in [0, T) (the masked objective passes ``1000 * mask level``).
            labels: (B,) label indices, ``num_labels`` = null; ``None`` = all null.
            self_cond: previous x0 estimate, same layout as ``x_t``; ``None`` = zeros.
            tokens: inputs and outputs are in token layout (:meth:`to_tokens`).
            target: block indices (B, X, Y, Z), or (B, N, p^3) with ``tokens``: return the
                per-voxel cross-entropy instead of the logits.
            expected: return ``softmax(logits) @ E`` (the clean-sample estimate) instead.
            features: return the token features (B, N, H) that the output layer maps to logits
                (:meth:`head_logits`, :meth:`head_expected`); the layer is linear, so mixing
                features for guidance is mixing logits.

        Returns:
            Logits (B, X, Y, Z, V) / (B, N, p^3 V); with ``target`` losses (B, X, Y, Z) /
            (B, N, p^3); with ``expected`` embeddings shaped like ``x_t``; with ``features``
            (B, N, H).
        """
        x_tok = x_t if tokens else self.to_tokens(x_t)
        sc_tok = self_cond if (tokens or self_cond is None) else self.to_tokens(self_cond)
        h = self._features(x_tok, t, labels, sc_tok)  # (B, N, H)
        if features:
            return h
        b, n = h.shape[:2]
        lin, v = self.final_linear, self.cfg.vocab_size
        if target is not None:
            tgt = target if tokens else self.to_tokens(target)  # (B, N, p^3)
            if self._fused(h):
                loss = head_cross_entropy(h.reshape(b * n, -1), lin.weight, lin.bias, tgt.reshape(b * n, -1), v)
            else:
                y = self.head_logits(h).float()  # (B, N, p^3 V)
                loss = F.cross_entropy(y.reshape(-1, v), tgt.reshape(-1), reduction="none")
            loss = loss.view(b, n, -1)  # (B, N, p^3)
            return loss if tokens else self.from_tokens(loss).squeeze(-1)
        if expected:
            est = self.head_expected(h)  # (B, N, p^3 d)
            return est if tokens else self.from_tokens(est)
        y = self.head_logits(h)  # (B, N, p^3 V)
        return y if tokens else self.from_tokens(y)

    def _features(self, x_tok: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None,
                  sc_tok: torch.Tensor | None) -> torch.Tensor:
        """Token inputs -> final normalised, modulated token features (B, N, H).

        ``x_tok`` is either continuous (B, N, p^3 d) or, for a ``mask_token`` model, integer block
        states (B, N, p^3) that :meth:`embed_states` turns into the same layout.
        """
        if not torch.is_floating_point(x_tok):
            x_tok = self.embed_states(x_tok)
        if self.cfg.self_condition:
            b, n = x_tok.shape[:2]
            d = self.cfg.embed_dim
            if sc_tok is None:
                sc_tok = torch.zeros_like(x_tok)
            # per voxel [x_t, self_cond], the channel order of the grid-layout concatenation
            x_tok = torch.cat([x_tok.view(b, n, -1, d), sc_tok.to(x_tok.dtype).view(b, n, -1, d)], dim=-1)
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
        return _modulate(self.final_norm(x), shift, scale)  # (B, N, H)

    def head_expected(self, h: torch.Tensor) -> torch.Tensor:
        """(B, N, H) features -> (B, N, p^3 d) expected embedding ``softmax(logits) @ E`` (fused on
        CPU without gradient: the logits are never stored whole)."""
        b, n = h.shape[:2]
        lin = self.final_linear
        if self._fused(h) and not torch.is_grad_enabled():
            return head_expected(h.reshape(b * n, -1), lin.weight, lin.bias, self.codec.embedding()).view(b, n, -1)
        return self.expected_from_logits(self.head_logits(h))

    def expected_from_logits(self, logits: torch.Tensor) -> torch.Tensor:
        """Token-layout logits (B, N, p^3 V) -> expected embedding (B, N, p^3 d), per voxel."""
        b, n = logits.shape[:2]
        return self.codec.expected(logits.view(b, n, -1, self.cfg.vocab_size)).view(b, n, -1)

    def _fused(self, h: torch.Tensor) -> bool:
        """Whether the output layer can use :mod:`mcgen.voxel_head`'s fused paths for ``h``."""
        return fused_ok(h, self.final_linear.weight)

    def head_logits(self, h: torch.Tensor) -> torch.Tensor:
        """(B, N, H) features -> (B, N, p^3 V) logits."""
        return self.final_linear(h)


def build_model(cfg: ModelConfig) -> DiT3D:
    """A freshly initialised :class:`DiT3D` for ``cfg``."""
    return DiT3D(cfg)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
