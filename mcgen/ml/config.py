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
