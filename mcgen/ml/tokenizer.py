"""The voxel tokenizer: a 3-D autoencoder from block grids to a grid of discrete codes and back.

A latent DiT (:mod:`mcgen.ml.latent`) generates these codes instead of voxels: one code stands
for a whole ``p``^3 patch (a stretch of wall, a roof slope, a window), and the decoder draws the
patch's blocks.

* **Encoder** (patch-local): block embedding -> two 3x3x3 convolutions inside each patch ->
  an MLP over the patch -> ``len(levels)`` channels. It sees one patch only, so a patch's code
  does not depend on its neighbours: a completion's fully given patches encode exactly.
* **Bottleneck**: finite scalar quantisation (FSQ, Mentzer et al. 2023): each channel bounded
  by ``tanh`` and rounded to one of ``levels[i]`` values (straight-through gradient). Chosen over a
  VQ codebook because it has no codebook to collapse: no commitment loss, no dead-code restarts,
  every code reachable from the first step. **Code 0 is reserved for an empty (all-air) patch**,
  which most patches of a building's grid are; the decoder is told "empty" with a learned vector
  and its voxels are air by construction. Codes ``1 ..`` are the FSQ points (mixed radix).
* **Decoder** (context-aware): the latent grid through residual 3x3x3 blocks at latent
  resolution, a transposed convolution up to voxels, residual blocks at full resolution, then
  per voxel an occupancy logit and block logits (factorised: solid or not, then which block).

Training loss (:func:`reconstruction_loss`): occupancy binary cross-entropy inside the occupied
patches (solid voxels up-weighted by the air/solid ratio's square root) plus block
cross-entropy on the solid voxels with inverse-square-root-frequency class weights, so rare
blocks (windows, doors, stairs) count.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import mcgen
from mcgen.errors import CheckpointError, ConfigError
from mcgen.fsutil import atomic_write_bytes
from mcgen.ml.config import TokenizerConfig

FORMAT = "mcgen.tokenizer"
FORMAT_VERSION = 1
EMPTY_OCC_LOGIT = -30.0  # occupancy logit of every voxel of an empty-coded patch (certainly air)


def patch_cells(x: torch.Tensor, patch: int) -> torch.Tensor:
    """(B, G, G, G) -> (B, n, n, n, p^3): each patch's voxels on the last axis, n = G / p (the one
    place the patch layout is spelled out: encoding, empty-patch masks, held patches)."""
    b, g = x.shape[0], x.shape[1]
    n = g // patch
    x = x.reshape(b, n, patch, n, patch, n, patch).permute(0, 1, 3, 5, 2, 4, 6)  # (B, n, n, n, p, p, p)
    return x.reshape(b, n, n, n, patch**3)


class FSQ(nn.Module):
    """Finite scalar quantisation over ``len(levels)`` channels (module docstring)."""

    def __init__(self, levels: tuple[int, ...]) -> None:
        super().__init__()
        lv = torch.tensor(levels, dtype=torch.long)
        basis = torch.cumprod(torch.cat([torch.ones(1, dtype=torch.long), lv[:-1]]), 0)
        self.register_buffer("levels", lv, persistent=False)
        self.register_buffer("basis", basis, persistent=False)

    def quantize(self, z: torch.Tensor) -> torch.Tensor:
        """(..., D) -> (..., D) values on the grid, in [-1, 1] (straight-through rounding)."""
        lv = self.levels.to(z.dtype)
        half_l = (lv - 1) * (1 + 1e-3) / 2
        offset = torch.where(self.levels % 2 == 0, 0.5, 0.0).to(z.dtype)
        shift = torch.atanh(offset / half_l)
        bounded = torch.tanh(z + shift) * half_l - offset
        q = bounded + (torch.round(bounded) - bounded).detach()
        return q / (self.levels // 2).to(z.dtype)

    def to_index(self, zq: torch.Tensor) -> torch.Tensor:
        """(..., D) quantised values -> (...) FSQ point index in 0 .. prod(levels) - 1."""
        half = self.levels // 2
        digits = torch.round(zq * half).long() + half  # (..., D) in 0..L-1
        return (digits * self.basis).sum(-1)

    def from_index(self, idx: torch.Tensor) -> torch.Tensor:
        """(...) FSQ point index -> (..., D) quantised values (inverse of :meth:`to_index`)."""
        half = self.levels // 2
        digits = (idx.unsqueeze(-1) // self.basis) % self.levels
        return (digits - half).float() / half.float()


class ResBlock3d(nn.Module):
    """GroupNorm -> SiLU -> 3x3x3 conv, twice, plus the input."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        groups = math.gcd(ch, 8)
        self.body = nn.Sequential(nn.GroupNorm(groups, ch), nn.SiLU(), nn.Conv3d(ch, ch, 3, padding=1),
                                  nn.GroupNorm(groups, ch), nn.SiLU(), nn.Conv3d(ch, ch, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, X, Y, Z) -> same shape."""
        return x + self.body(x)


@dataclass
class Decoded:
    """Per-voxel output of the decoder: occupancy logits (B, G, G, G) and block logits (B, V, G, G, G)."""

    occ: torch.Tensor
    block: torch.Tensor

    def blocks(self) -> torch.Tensor:
        """Occupancy first, block second: (B, G, G, G) long block indices (0 = air)."""
        best = self.block[:, 1:].argmax(dim=1) + 1  # (B, G, G, G)
        return torch.where(self.occ > 0, best, torch.zeros_like(best))


class VoxelTokenizer(nn.Module):
    """Block grid <-> latent code grid (module docstring).

    Args:
        cfg: a :class:`~mcgen.ml.config.TokenizerConfig`.
    """

    def __init__(self, cfg: TokenizerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w, p, d = cfg.width, cfg.patch, len(cfg.levels)
        wide = 4 * w
        self.embed = nn.Embedding(cfg.vocab_size, cfg.embed_dim)
        self.enc_conv = nn.Sequential(nn.Conv3d(cfg.embed_dim, w, 3, padding=1), nn.SiLU(),
                                      nn.Conv3d(w, w, 3, padding=1), nn.SiLU())
        self.enc_mlp = nn.Sequential(nn.Linear(w * p**3, wide), nn.SiLU(), nn.Linear(wide, d))
        self.fsq = FSQ(cfg.levels)
        self.empty = nn.Parameter(torch.zeros(d))
        self.dec_in = nn.Conv3d(d + 1, wide, 1)
        self.dec_latent = nn.Sequential(ResBlock3d(wide), ResBlock3d(wide))
        self.up = nn.ConvTranspose3d(wide, w, p, stride=p)
        self.dec_voxel = nn.Sequential(ResBlock3d(w), ResBlock3d(w), nn.GroupNorm(math.gcd(w, 8), w), nn.SiLU())
        self.out = nn.Conv3d(w, 1 + cfg.vocab_size, 1)

    # --- encoding -----------------------------------------------------------------------------
    def encode_latent(self, blocks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, G, G, G) block indices -> quantised latents (B, D, n, n, n) and the occupied-patch mask (B, n, n, n)."""
        self._check_blocks(blocks)
        b, p = blocks.shape[0], self.cfg.patch
        n = self.cfg.latent_grid
        patches = patch_cells(blocks.long(), p).reshape(b * n**3, p, p, p)  # (B n^3, p, p, p)
        occupied = (patches > 0).flatten(1).any(1)  # (B n^3,)
        h = self.embed(patches).permute(0, 4, 1, 2, 3)  # (B n^3, e, p, p, p)
        h = self.enc_conv(h).flatten(1)  # (B n^3, w p^3)
        zq = self.fsq.quantize(self.enc_mlp(h))  # (B n^3, D)
        zq = zq.view(b, n, n, n, -1).permute(0, 4, 1, 2, 3)  # (B, D, n, n, n)
        return zq, occupied.view(b, n, n, n)

    @torch.no_grad()
    def encode(self, blocks: torch.Tensor) -> torch.Tensor:
        """(B, G, G, G) block indices -> (B, n, n, n) codes (0 = empty patch)."""
        zq, occupied = self.encode_latent(blocks)
        idx = self.fsq.to_index(zq.permute(0, 2, 3, 4, 1)) + 1  # (B, n, n, n)
        return torch.where(occupied, idx, torch.zeros_like(idx))

    # --- decoding -----------------------------------------------------------------------------
    def decode_latent(self, zq: torch.Tensor, occupied: torch.Tensor) -> Decoded:
        """Quantised latents (B, D, n, n, n) and occupied mask (B, n, n, n) -> per-voxel logits."""
        occ_f = occupied.unsqueeze(1).to(zq.dtype)  # (B, 1, n, n, n)
        z = torch.where(occupied.unsqueeze(1), zq, self.empty.view(1, -1, 1, 1, 1).to(zq.dtype))
        h = self.dec_latent(self.dec_in(torch.cat([z, occ_f], dim=1)))  # (B, 4w, n, n, n)
        h = self.dec_voxel(self.up(h))  # (B, w, G, G, G)
        out = self.out(h)  # (B, 1 + V, G, G, G)
        p = self.cfg.patch
        full = occupied.repeat_interleave(p, 1).repeat_interleave(p, 2).repeat_interleave(p, 3)  # (B, G, G, G)
        occ = torch.where(full, out[:, 0], torch.full_like(out[:, 0], EMPTY_OCC_LOGIT))
        return Decoded(occ, out[:, 1:])

    def decode(self, codes: torch.Tensor) -> Decoded:
        """(B, n, n, n) codes -> per-voxel logits (:class:`Decoded`)."""
        codes = codes.long()
        if codes.min() < 0 or codes.max() >= self.cfg.num_codes:
            raise ConfigError(f"codes must lie in 0..{self.cfg.num_codes - 1}")
        occupied = codes > 0
        zq = self.fsq.from_index((codes - 1).clamp_min(0)).to(self.empty.dtype).permute(0, 4, 1, 2, 3)
        return self.decode_latent(zq, occupied)

    @torch.no_grad()
    def decode_blocks(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, n, n, n) codes -> (B, G, G, G) block indices."""
        return self.decode(codes).blocks()

    def forward(self, blocks: torch.Tensor) -> Decoded:
        """Reconstruction (the training computation): blocks -> encode -> quantise -> decode."""
        zq, occupied = self.encode_latent(blocks)
        return self.decode_latent(zq, occupied)

    def _check_blocks(self, blocks: torch.Tensor) -> None:
        g = self.cfg.grid_size
        if blocks.dim() != 4 or tuple(blocks.shape[1:]) != (g, g, g):
            raise ConfigError(f"the tokenizer encodes (B, {g}, {g}, {g}) grids, got {tuple(blocks.shape)}")


def class_weights(counts: torch.Tensor, power: float = 0.5, clip: float = 20.0) -> torch.Tensor:
    """Block-loss weights from per-state voxel counts (V,): ``freq^-power``, mean 1 over solid voxels.

    Air (index 0) gets weight 0 here: the occupancy term owns it.
    """
    c = counts.double().clone()
    c[0] = 0
    freq = c / c.sum().clamp_min(1)
    w = torch.where(c > 0, freq.clamp_min(1e-12).pow(-power), torch.zeros_like(freq))
    w = w / (w * freq).sum().clamp_min(1e-12)  # expected weight of a solid voxel = 1
    return w.clamp(max=clip).float()


def reconstruction_loss(dec: Decoded, blocks: torch.Tensor, weights: torch.Tensor, pos_weight: float
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Occupancy BCE (inside occupied patches) + class-weighted block CE (solid voxels).

    Args:
        dec: the decoder's output for ``blocks``.
        blocks: (B, G, G, G) target block indices.
        weights: (V,) block-loss class weights (:func:`class_weights`).
        pos_weight: up-weighting of solid voxels in the occupancy term.

    Returns:
        The scalar loss and its parts (detached): ``occ``, ``block``.
    """
    blocks = blocks.long()
    solid = blocks > 0
    live = dec.occ > EMPTY_OCC_LOGIT  # voxels of occupied patches: the rest are air by construction
    pw = torch.tensor(pos_weight, dtype=dec.occ.dtype, device=dec.occ.device)
    bce = F.binary_cross_entropy_with_logits(dec.occ, solid.to(dec.occ.dtype), pos_weight=pw, reduction="none")
    occ_loss = (bce * live).sum() / live.sum().clamp_min(1)
    ce = F.cross_entropy(dec.block, blocks, weight=weights.to(dec.block.device), reduction="none")  # (B, G, G, G)
    block_loss = (ce * solid).sum() / solid.sum().clamp_min(1)
    return occ_loss + block_loss, {"occ": occ_loss.detach(), "block": block_loss.detach()}


# --- files ---------------------------------------------------------------------------------------
def weights_sha256(state: dict[str, torch.Tensor]) -> str:
    """A digest of a state dict's names, dtypes, shapes and bytes (what a checkpoint records)."""
    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k].detach().cpu().contiguous()
        h.update(f"{k}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


@dataclass
class TokenizerFile:
    """A loaded tokenizer: config, block vocabulary, weights, and (when it can resume) train state."""

    cfg: TokenizerConfig
    vocabulary: list[str]
    weights: dict[str, torch.Tensor]
    step: int = 0
    train_state: dict | None = None
    extra: dict | None = None
    path: str = ""

    def build(self, device: torch.device | str = "cpu") -> VoxelTokenizer:
        """The tokenizer module with these weights, in eval mode."""
        tok = VoxelTokenizer(self.cfg)
        tok.load_state_dict(self.weights, strict=True)
        return tok.to(device).eval()

    def embedded(self) -> dict[str, Any]:
        """The section a DiT checkpoint carries: config, weights and their sha256."""
        w = {k: v.detach().cpu() for k, v in self.weights.items()}
        return {"config": self.cfg.to_dict(), "weights": w, "sha256": weights_sha256(w), "step": self.step,
                "source": os.path.basename(self.path) if self.path else ""}


def save_tokenizer(path: str | os.PathLike, tf: TokenizerFile) -> None:
    """Write a tokenizer file atomically (plain values and tensors: loads with ``weights_only``)."""
    if len(tf.vocabulary) != tf.cfg.vocab_size:
        raise CheckpointError(f"vocabulary has {len(tf.vocabulary)} states, tokenizer expects {tf.cfg.vocab_size}")
    payload = {"format": FORMAT, "format_version": FORMAT_VERSION, "mcgen_version": mcgen.__version__,
               "config": tf.cfg.to_dict(), "vocabulary": list(tf.vocabulary),
               "weights": {k: v.detach().cpu() for k, v in tf.weights.items()}, "step": int(tf.step),
               "train": tf.train_state, "extra": tf.extra}
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


def check_weights(cfg: TokenizerConfig, weights: Any, path: str | os.PathLike | None) -> None:
    """The weights must have exactly the tokenizer's names and shapes.

    Raises:
        CheckpointError: missing, extra or misshapen tensors.
    """
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise CheckpointError("tokenizer weights missing or not a dict of tensors", path=path)
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in VoxelTokenizer(cfg).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in weights.items()}
    if got != expected:
        bad = sorted(set(expected) ^ set(got)) or [k for k in expected if expected[k] != got[k]]
        raise CheckpointError(f"tokenizer weights do not match its config (first difference: {bad[0]})", path=path)


def tokenizer_from_dict(d: Any, path: str | os.PathLike | None) -> tuple[TokenizerConfig, dict[str, torch.Tensor]]:
    """Config and checked float32 weights from a tokenizer file's or checkpoint section's dict.

    Raises:
        CheckpointError: bad config or weights.
    """
    if not isinstance(d, dict):
        raise CheckpointError("tokenizer section is not a dict", path=path)
    try:
        cfg = TokenizerConfig.from_dict(d.get("config"))
    except ConfigError as exc:
        raise CheckpointError(f"bad tokenizer config: {exc}", path=path) from exc
    weights = d.get("weights")
    check_weights(cfg, weights, path)
    return cfg, {k: v.float() if v.is_floating_point() else v for k, v in weights.items()}


def load_tokenizer(path: str | os.PathLike) -> TokenizerFile:
    """Read and validate a tokenizer file (``mcgen tokenizer train`` writes them).

    Raises:
        CheckpointError: missing, unreadable, a DiT checkpoint instead, or inconsistent.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError("no such tokenizer file", path=path)
    try:
        d = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, zipfile.BadZipFile, EOFError, ValueError, KeyError,
            AttributeError, UnicodeDecodeError, IndexError, OSError) as exc:
        raise CheckpointError("not a readable tokenizer file (truncated or not a torch file)", path=path) from exc
    if isinstance(d, dict) and d.get("format") == "mcgen.checkpoint":
        raise CheckpointError("this is a DiT checkpoint, not a tokenizer (make one with `mcgen tokenizer train`)",
                              path=path)
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise CheckpointError("not an mcgen tokenizer file", path=path)
    if not isinstance(d.get("format_version"), int) or d["format_version"] > FORMAT_VERSION:
        raise CheckpointError(f"tokenizer format {d.get('format_version')!r} is newer than this mcgen reads",
                              path=path)
    cfg, weights = tokenizer_from_dict(d, path)
    vocab = d.get("vocabulary")
    if not isinstance(vocab, list) or len(vocab) != cfg.vocab_size or not vocab or vocab[0] != "minecraft:air":
        raise CheckpointError("tokenizer vocabulary missing or does not match its config", path=path)
    step = d.get("step")
    train = d.get("train")
    return TokenizerFile(cfg, [str(s) for s in vocab], weights, int(step) if isinstance(step, int) else 0,
                         train if isinstance(train, dict) else None, d.get("extra"), str(path))
