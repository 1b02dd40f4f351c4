"""Post-sampling clean-up: remove the blocks a builder would never leave behind.

A diffusion sample decides every voxel on its own at the last step, so stray blocks can float in
the air or lie apart from the building, and a whole building can hover a block or two above the
ground. Every rule first *settles* the result (moves it straight down until its lowest block is at
``y = 0``; the shape is unchanged), then, over 6-connected pieces of non-air blocks (the
connectivity :mod:`mcgen.evaluate.metrics` uses):

* ``"floating"``: drop every block with no path to the ground through blocks.
* ``"largest"``: keep only the largest piece (for datasets where every building is one piece, as
  the synthetic ones are); it is settled after the others are gone.

``"none"`` keeps the sample exactly as the model made it. Numpy only.
"""

from __future__ import annotations

import numpy as np

from mcgen.errors import ConfigError
from mcgen.grid import VoxelGrid

CLEANUPS = ("none", "floating", "largest")
DEFAULT_CLEANUP = "floating"  # what ``mcgen sample`` / ``build`` / ``evaluate`` apply unless told otherwise
_NEIGHBOURS = ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1))


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


def largest_piece(solid: np.ndarray) -> np.ndarray:
    """The largest 6-connected piece of a boolean ``(X, Y, Z)`` grid (first found on a tie)."""
    shape = solid.shape
    seen = np.zeros(solid.size, dtype=bool)
    flat = solid.ravel()
    best: list[int] = []
    for start in np.flatnonzero(flat):
        if seen[start]:
            continue
        seen[start] = True
        piece, stack = [int(start)], [int(start)]
        while stack:  # depth-first walk; O(blocks), fine for 16^3 and 32^3 samples
            x, rest = divmod(stack.pop(), shape[1] * shape[2])
            y, z = divmod(rest, shape[2])
            for dx, dy, dz in _NEIGHBOURS:
                nx, ny, nz = x + dx, y + dy, z + dz
                if 0 <= nx < shape[0] and 0 <= ny < shape[1] and 0 <= nz < shape[2]:
                    j = (nx * shape[1] + ny) * shape[2] + nz
                    if flat[j] and not seen[j]:
                        seen[j] = True
                        piece.append(j)
                        stack.append(j)
        if len(piece) > len(best):
            best = piece
    out = np.zeros(solid.size, dtype=bool)
    out[best] = True
    return out.reshape(shape)


def settle_offset(solid: np.ndarray) -> int:
    """How far a structure hovers: the lowest ``y`` holding a block (0 when empty)."""
    layers = np.flatnonzero(solid.any(axis=(0, 2)))
    return int(layers[0]) if layers.size else 0


def _settled(a: np.ndarray, dy: int, fill=0) -> np.ndarray:
    """``a`` moved down by ``dy`` layers along y (axis 1)."""
    if dy == 0:
        return a
    out = np.full_like(a, fill)
    out[:, :-dy] = a[:, dy:]
    return out


def cleanup_mask(solid: np.ndarray, mode: str) -> tuple[np.ndarray, int]:
    """Apply a rule to a boolean ``(X, Y, Z)`` occupancy grid.

    Returns:
        ``(keep, dy)``: which blocks stay (in the original positions) and how many layers the
        kept blocks then move down.

    Raises:
        ConfigError: unknown mode.
    """
    if mode not in CLEANUPS:
        raise ConfigError(f"unknown clean-up {mode!r}; choose one of {', '.join(CLEANUPS)}")
    if mode == "none" or not solid.any():
        return solid.copy(), 0
    if mode == "largest":
        keep = largest_piece(solid)
        return keep, settle_offset(keep)
    dy = settle_offset(solid)
    moved = _settled(solid, dy, False)
    ground = np.zeros_like(moved)
    ground[:, 0, :] = moved[:, 0, :]
    kept = flood(moved[None], ground[None])[0]
    keep = np.zeros_like(solid)
    keep[:, dy:] = kept[:, : solid.shape[1] - dy]  # back to the original positions
    return keep, dy


def cleanup(grid: VoxelGrid, mode: str) -> tuple[VoxelGrid, int]:
    """Apply a clean-up rule to a structure.

    Args:
        grid: the structure (palette index 0 is air).
        mode: one of :data:`CLEANUPS`.

    Returns:
        ``(grid, removed)``: the cleaned structure (same size, palette compacted; ``meta`` gains
        ``cleanup``, ``cleanup_removed`` and ``cleanup_lowered``) and how many blocks were removed.

    Raises:
        ConfigError: unknown mode.
    """
    solid = grid.solid
    keep, dy = cleanup_mask(solid, mode)
    if mode == "none":
        return grid, 0
    removed = int(np.count_nonzero(solid & ~keep))
    blocks = _settled(np.where(keep, grid.blocks, 0), dy)  # palette[0] is air
    meta = {**grid.meta, "cleanup": mode, "cleanup_removed": removed, "cleanup_lowered": dy}
    return VoxelGrid(blocks, list(grid.palette), meta).compact(), removed
