"""Block encoding: vocabulary indices <-> a small continuous space the diffusion runs in.

Blocks are categories, never numbers. Each vocabulary index ``v`` maps to a vector ``E[v]`` of
``dim`` channels; the network predicts per-voxel logits over the vocabulary, and the sampler's
clean-sample estimate is the expectation of the embedding under those logits,
``x0_hat = softmax(logits) @ E`` (CDCD / Bit-Diffusion style).

Two tables share that one mechanism:

* ``"bits"``: fixed analog bits, ``E[v]`` is the binary code of ``v`` written as +-1 (``dim`` =
  ceil(log2(V))). No parameters, nothing to collapse.
* ``"learned"``: a trainable table, every row renormalised to norm ``sqrt(dim)`` on each use, so
  its scale cannot shrink towards zero (which would make the noise win at every ``t``).

Both give unit variance per channel, matching the unit-variance Gaussian noise, and every row
has the same norm (which :mod:`mcgen.ml.objectives.gaussian` relies on for its likelihood logits). Tensors are
channels-last, ``(B, X, Y, Z, d)`` and ``(B, X, Y, Z, V)``, so the per-voxel maps are matmuls.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mcgen.ml.config import ENCODINGS


def analog_bits_table(vocab_size: int, dim: int) -> torch.Tensor:
    """``(V, dim)`` float table: bit ``k`` of ``v`` as +1 / -1 (little-endian).

    Raises:
        ValueError: ``dim`` bits cannot tell ``vocab_size`` categories apart.
    """
    if 2**dim < vocab_size:
        raise ValueError(f"{dim} bits cannot encode {vocab_size} categories")
    v = torch.arange(vocab_size).unsqueeze(1)  # (V, 1)
    bits = (v >> torch.arange(dim).unsqueeze(0)) & 1  # (V, dim)
    return bits.float() * 2.0 - 1.0


class BlockCodec(nn.Module):
    """Maps block indices to embeddings and logits back to expected embeddings.

    Args:
        vocab_size: number of block states ``V`` (index 0 is air).
        dim: channels per voxel ``d``.
        kind: ``"bits"`` or ``"learned"``.
    """

    def __init__(self, vocab_size: int, dim: int, kind: str = "bits") -> None:
        super().__init__()
        if kind not in ENCODINGS:
            raise ValueError(f"unknown encoding {kind!r}; expected one of {ENCODINGS}")
        self.vocab_size, self.dim, self.kind = vocab_size, dim, kind
        if kind == "bits":
            self.register_buffer("table", analog_bits_table(vocab_size, dim), persistent=False)
        else:
            # Fixed seed: the starting table depends on the config only, not on global RNG state.
            gen = torch.Generator().manual_seed(vocab_size * 1009 + dim)
            self.weight = nn.Parameter(torch.randn(vocab_size, dim, generator=gen))

    def embedding(self) -> torch.Tensor:
        """The ``(V, d)`` table in use (learned rows renormalised to norm ``sqrt(d)``)."""
        if self.kind == "bits":
            return self.table
        w = self.weight
        return w * (math.sqrt(self.dim) / w.norm(dim=1, keepdim=True).clamp_min(1e-6))

    def encode(self, blocks: torch.Tensor) -> torch.Tensor:
        """``(B, X, Y, Z)`` long indices -> ``(B, X, Y, Z, d)`` float embeddings (channels last)."""
        return self.embedding()[blocks]  # (B, X, Y, Z, d)

    def expected(self, logits: torch.Tensor) -> torch.Tensor:
        """``(B, X, Y, Z, V)`` logits -> ``(B, X, Y, Z, d)`` expected embedding ``softmax @ E``."""
        probs = torch.softmax(logits.float(), dim=-1)  # (B, X, Y, Z, V)
        return probs @ self.embedding().float()  # (B, X, Y, Z, d)

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, X, Y, Z, d)`` embeddings -> ``(B, X, Y, Z)`` index of the closest table row."""
        e = self.embedding().float()  # (V, d)
        # argmin |x - e|^2 = argmax (x.e - |e|^2 / 2)
        return (x.float() @ e.T - 0.5 * (e * e).sum(1)).argmax(dim=-1)
