"""The network's shape: :class:`ModelConfig` (what checkpoints store) and its presets.

No torch here, so the trainer's and the CLI's settings can be checked before torch is imported.
The block encodings' channel counts live here too (:func:`bits_dim`), since the config fills in
``embed_dim`` from them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from mcgen.config import dataclass_from_dict
from mcgen.errors import ConfigError
from mcgen.vocab import DEFAULT_VOCAB

ENCODINGS = ("bits", "learned")
# Output heads (:mod:`mcgen.ml.heads`): the part that maps token features to per-voxel logits.
HEADS = ("linear", "voxel", "voxel_occupancy")


def bits_dim(vocab_size: int) -> int:
    """Channels analog bits need for ``vocab_size`` categories (at least 1)."""
    return max(1, math.ceil(math.log2(max(vocab_size, 2))))


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
LATENT_EMBED_DIM = 32  # channels of a latent DiT's learned code table (one code per token position)


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
        head: the output head (``HEADS``); checkpoints written before the field are ``linear``.
        head_width: channels per voxel of a full-resolution head (``voxel``, ``voxel_occupancy``).
        head_blocks: residual blocks of a full-resolution head.
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
    head: str = "linear"
    head_width: int = 16
    head_blocks: int = 2

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
        # 4 and 8 (patch 1 or 2) are latent grids: a DiT over a voxel tokenizer's codes
        if self.grid_size not in (4, 8, 16, 32):
            raise ConfigError(f"grid_size must be 16 or 32 (4 or 8 for a latent grid), got {self.grid_size}")
        if self.patch_size not in (1, 2, 4, 8) or self.grid_size % self.patch_size:
            raise ConfigError(f"patch_size must be 1, 2, 4 or 8 and divide {self.grid_size}, got {self.patch_size}")
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
        if self.head not in HEADS:
            raise ConfigError(f"unknown output head {self.head!r}; choose one of {', '.join(HEADS)}")
        if self.head_width < 1 or self.head_blocks < 0:
            raise ConfigError(f"head_width must be >= 1 and head_blocks >= 0, got {self.head_width}, {self.head_blocks}")
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


# Voxel tokenizer (:mod:`mcgen.ml.tokenizer`): patch edges it can encode, and its FSQ presets.
TOKENIZER_PATCHES = (2, 4)
FSQ_PRESETS: dict[str, tuple[int, ...]] = {
    "1k": (8, 5, 5, 5),  # 1,000 codes, ~10 bits
    "4k": (7, 5, 5, 5, 5),  # 4,375 codes, ~12 bits
    "13k": (8, 8, 8, 5, 5),  # 12,800 codes, ~13.6 bits
}


@dataclass(frozen=True)
class TokenizerConfig:
    """Shape of a voxel tokenizer: block grid -> one code per ``patch``^3 patch -> block logits.

    Attributes:
        grid_size: edge of the block grid it encodes (16 or 32).
        patch: patch edge (2 or 4); the latent grid has edge ``grid_size // patch``.
        vocab_size: block states (index 0 is air).
        levels: FSQ levels per latent channel; ``prod(levels)`` codes, plus code 0 for an empty patch.
        width: channels of the full-resolution layers (the latent-resolution ones have four times as many).
        embed_dim: channels of the block embedding the encoder reads.
    """

    grid_size: int = 16
    patch: int = 4
    vocab_size: int = len(DEFAULT_VOCAB)
    levels: tuple[int, ...] = FSQ_PRESETS["13k"]
    width: int = 24
    embed_dim: int = 16

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(int(v) for v in self.levels))
        if self.grid_size not in (16, 32):
            raise ConfigError(f"tokenizer grid_size must be 16 or 32, got {self.grid_size}")
        if self.patch not in TOKENIZER_PATCHES:
            raise ConfigError(f"tokenizer patch must be one of {TOKENIZER_PATCHES}, got {self.patch}")
        if self.vocab_size < 2:
            raise ConfigError(f"vocab_size must be at least 2, got {self.vocab_size}")
        if not self.levels or any(v < 2 for v in self.levels) or math.prod(self.levels) > 65536:
            raise ConfigError(f"FSQ levels must be integers >= 2 with at most 65,536 codes, got {self.levels}")
        if self.width < 4 or self.embed_dim < 1:
            raise ConfigError(f"width must be >= 4 and embed_dim >= 1, got {self.width}, {self.embed_dim}")

    @property
    def latent_grid(self) -> int:
        """Edge of the latent grid."""
        return self.grid_size // self.patch

    @property
    def num_codes(self) -> int:
        """Codes a latent cell takes: 0 = an empty (all-air) patch, then one per FSQ point."""
        return math.prod(self.levels) + 1

    def to_dict(self) -> dict[str, Any]:
        """Plain-value dict (what tokenizer files store)."""
        d = asdict(self)
        d["levels"] = list(self.levels)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TokenizerConfig:
        """Inverse of :meth:`to_dict`.

        Raises:
            ConfigError: not a dict, unknown keys, or invalid values.
        """
        return dataclass_from_dict(cls, d, "tokenizer config")
