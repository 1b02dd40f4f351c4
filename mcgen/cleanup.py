"""Post-sampling clean-up: remove the blocks a builder would never leave behind.

A diffusion sample decides every voxel on its own at the last step, so a few stray blocks can
float in the air or lie apart from the building. Two rules, both about 6-connected pieces of
non-air blocks (:func:`flood`, which :mod:`mcgen.evaluate.metrics` uses too):

* ``"floating"``: drop every block with no path to the ground (``y = 0``) through blocks.
* ``"largest"``: keep only the largest piece that touches the ground (for datasets where every
  building is one piece, as the synthetic ones are).

``"none"`` keeps the sample as the model made it. Numpy only.
"""

from __future__ import annotations

import numpy as np

from mcgen.errors import ConfigError
from mcgen.grid import VoxelGrid

CLEANUPS = ("none", "floating", "largest")
DEFAULT_CLEANUP = "floating"  # what ``mcgen sample`` / ``build`` / ``demo`` apply unless told otherwise

def _dilate(r: np.ndarray) -> np.ndarray:
    """6-neighbourhood dilation over the last three axes of a ``(N, X, Y, Z)`` mask."""
    out = r.copy()
    out[:, 1:] |= r[:, :-1]
    out[:, :-1] |= r[:, 1:]
    out[:, :, 1:] |= r[:, :, :-1]
    out[:, :, :-1] |= r[:, :, 1:]
    out[:, :, :, 1:] |= r[:, :, :, :-1]
    out[:, :, :, :-1] |= r[:, :, :, 1:]
    return out


def flood(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Voxels of ``mask`` 6-connected to ``seeds`` inside ``mask``, for a whole batch at once.

    Args:
        mask: ``(N, X, Y, Z)`` bool, the solid voxels.
        seeds: same shape, where the fill starts.

    Returns:
        ``(N, X, Y, Z)`` bool, the reached voxels.
    """
    reached = seeds & mask
    active = np.ones(len(mask), dtype=bool)  # samples still growing
    while active.any():
        sub = reached[active]
        grown = _dilate(sub) & mask[active]
        changed = (grown != sub).reshape(len(sub), -1).any(axis=1)
        reached[active] = grown
        active[np.flatnonzero(active)[~changed]] = False
    return reached


def cleanup_mask(solid: np.ndarray, mode: str) -> np.ndarray:
    """Which blocks of a boolean ``(X, Y, Z)`` occupancy grid ``mode`` keeps.

    Raises:
        ConfigError: unknown mode.
    """
    if mode not in CLEANUPS:
        raise ConfigError(f"unknown clean-up {mode!r}; choose one of {', '.join(CLEANUPS)}")
    if mode == "none" or not solid.any():
        return solid.copy()
    ground = np.zeros_like(solid)
    ground[:, 0, :] = solid[:, 0, :]
    if mode == "floating":
        return flood(solid[None], ground[None])[0]
    best = np.zeros_like(solid)
    left = ground.copy()
    while left.any():  # one grounded piece per round, seeded from a ground block not yet reached
        seed = np.zeros_like(solid)
        seed.flat[np.flatnonzero(left)[0]] = True
        piece = flood(solid[None], seed[None])[0]
        if piece.sum() > best.sum():
            best = piece
        left &= ~piece
    return best


def cleanup(grid: VoxelGrid, mode: str) -> tuple[VoxelGrid, int]:
    """Apply a clean-up rule to a structure.

    Args:
        grid: the structure (its palette's air is what counts as empty).
        mode: one of :data:`CLEANUPS`.

    Returns:
        ``(grid, removed)``: the cleaned structure (same size, palette compacted; ``meta`` gains
        ``cleanup`` and ``cleanup_removed``) and how many blocks were removed.

    Raises:
        ConfigError: unknown mode.
    """
    solid = grid.solid
    keep = cleanup_mask(solid, mode)
    if mode == "none":
        return grid, 0
    removed = int(np.count_nonzero(solid & ~keep))
    blocks = np.where(keep, grid.blocks, 0)  # palette[0] is air
    meta = {**grid.meta, "cleanup": mode, "cleanup_removed": removed}
    return VoxelGrid(blocks, list(grid.palette), meta).compact(), removed
