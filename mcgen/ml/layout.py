"""Grid layout <-> token layout, the one reordering the network and its heads share.

Grid layout is channels last, ``(B, X, Y, Z, C)``; token layout cuts it into ``p^3`` patches,
``(B, N, p^3 C)`` with ``N = (G / p)^3`` tokens in x-major order and, inside a token, the voxels
of the patch in x-major order, each with its ``C`` channels. Every per-voxel operation (noise,
cross-entropy, softmax) is the same in either layout.
"""

from __future__ import annotations

import torch


def to_tokens(x: torch.Tensor, grid: int, patch: int) -> torch.Tensor:
    """(B, X, Y, Z, C) -> (B, N, p^3 C); (B, X, Y, Z) -> (B, N, p^3)."""
    b, n = x.shape[0], grid // patch
    if x.dim() == 4:
        return to_tokens(x.unsqueeze(-1), grid, patch).view(b, n**3, patch**3)
    c = x.shape[-1]
    x = x.reshape(b, n, patch, n, patch, n, patch, c)  # (B, nx, px, ny, py, nz, pz, C)
    x = x.permute(0, 1, 3, 5, 2, 4, 6, 7)  # (B, nx, ny, nz, px, py, pz, C)
    return x.reshape(b, n**3, patch**3 * c)  # (B, N, p^3 C)


def from_tokens(y: torch.Tensor, grid: int, patch: int) -> torch.Tensor:
    """(B, N, p^3 C) -> (B, X, Y, Z, C), the inverse of :func:`to_tokens`."""
    b, c, n = y.shape[0], y.shape[-1] // patch**3, grid // patch
    y = y.reshape(b, n, n, n, patch, patch, patch, c)  # (B, nx, ny, nz, px, py, pz, C)
    y = y.permute(0, 1, 4, 2, 5, 3, 6, 7)  # (B, nx, px, ny, py, nz, pz, C)
    return y.reshape(b, grid, grid, grid, c)  # (B, X, Y, Z, C)
