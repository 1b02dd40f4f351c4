"""A latent model: the DiT generates a voxel tokenizer's codes, the tokenizer's decoder draws the blocks.

:class:`LatentObjective` wraps an objective (the masked one: codes are tokens, code 0 the empty
patch, which the masked sampler's "occupancy first" then decides patch by patch) so that training
and sampling keep the one :class:`~mcgen.ml.objectives.base.Objective` interface in block space:

* ``loss(model, blocks, ...)``: the frozen tokenizer encodes the (augmented) grids to codes, and
  the inner objective's loss runs on those;
* ``sample(..., known=blocks)``: patches whose every voxel is given are encoded and held (the
  encoder is patch-local, so their codes are exact); the rest, partly given patches included, are
  generated in latent space; after decoding, every given voxel is put back, so given blocks come
  out bit-identical.

The DiT itself is an ordinary :class:`~mcgen.ml.network.DiT3D` over the latent grid (edge
``grid_size / patch``, vocabulary = the tokenizer's codes).
"""

from __future__ import annotations

from typing import Any

import torch

from mcgen.errors import ConfigError
from mcgen.ml.denoise import unwrap
from mcgen.ml.objectives.base import Objective
from mcgen.ml.tokenizer import VoxelTokenizer, patch_cells


class LatentObjective:
    """An objective over a tokenizer's code grids, seen from outside in block grids (module docstring).

    Args:
        inner: the objective over codes (the masked one).
        tokenizer: the trained, frozen tokenizer.
    """

    def __init__(self, inner: Objective, tokenizer: VoxelTokenizer) -> None:
        if inner.kind != "masked":
            raise ConfigError(f"a latent model generates discrete codes: it needs the masked objective, not {inner.kind}")
        self.inner = inner
        self.tokenizer = tokenizer.eval().requires_grad_(False)
        self.kind = inner.kind
        self.samplers = inner.samplers
        self.default_sampler = inner.default_sampler
        self.default_steps = inner.default_steps

    @property
    def cfg(self) -> Any:
        """The inner objective's config (what the checkpoint stores as its objective)."""
        return self.inner.cfg

    def model_options(self) -> dict[str, Any]:
        """The inner objective's options; one code per token position needs the per-token linear head."""
        return {**self.inner.model_options(), "head": "linear"}

    def _tok(self, device: torch.device) -> VoxelTokenizer:
        if next(self.tokenizer.parameters()).device != device:
            self.tokenizer = self.tokenizer.to(device)
        return self.tokenizer

    def encode(self, blocks: torch.Tensor) -> torch.Tensor:
        """(B, G, G, G) blocks -> (B, n, n, n) codes (in float32 even under autocast: the codes are roundings)."""
        with torch.autocast(blocks.device.type, enabled=False):
            return self._tok(blocks.device).encode(blocks.long())

    def loss(self, model: torch.nn.Module, blocks: torch.Tensor, labels: torch.Tensor | None, *,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """The inner objective's loss on the codes of (B, G, G, G) blocks."""
        return self.inner.loss(model, self.encode(blocks), labels, generator=generator)

    def check(self, sampler: str, num_steps: int) -> None:
        """As the inner objective."""
        self.inner.check(sampler, num_steps)

    def known_codes(self, known: torch.Tensor) -> torch.Tensor:
        """(n, G, G, G) given blocks (-1 = free) -> (n, n_l, n_l, n_l) held codes (-1 = generate):
        a code is held where every voxel of its patch is given."""
        tok = self._tok(known.device)
        full = patch_cells(known >= 0, tok.cfg.patch).all(-1)  # (n, n_l, n_l, n_l)
        codes = tok.encode(known.clamp_min(0))
        return torch.where(full, codes, torch.full_like(codes, -1))

    @torch.no_grad()
    def sample(self, model: torch.nn.Module, n: int, *, sampler: str, num_steps: int, seed: int,
               labels: torch.Tensor | None = None, guidance: float = 1.0, temperature: float | None = None,
               known: torch.Tensor | None = None, device: torch.device | None = None,
               progress=None) -> torch.Tensor:
        """``n`` block grids (n, G, G, G): codes from the inner sampler, decoded (module docstring).

        Raises:
            ConfigError: as the inner objective, or ``known`` of the wrong shape.
        """
        device = torch.device(device) if device is not None else next(unwrap(model).parameters()).device
        tok = self._tok(device)
        g = tok.cfg.grid_size
        code_known = None
        if known is not None:
            known = torch.as_tensor(known, device=device).long()
            if known.shape != (n, g, g, g):
                raise ConfigError(f"known must have shape ({n}, {g}, {g}, {g}), got {tuple(known.shape)}")
            code_known = self.known_codes(known)
        codes = self.inner.sample(model, n, sampler=sampler, num_steps=num_steps, seed=seed, labels=labels,
                                  guidance=guidance, temperature=temperature, known=code_known, device=device,
                                  progress=progress)
        with torch.autocast(device.type, enabled=False):
            blocks = tok.decode_blocks(codes)  # (n, G, G, G)
        if known is not None:
            blocks = torch.where(known >= 0, known, blocks)
        return blocks
