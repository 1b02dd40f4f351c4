"""Fitting a build into a cubic training grid: trim, then crop, pad or downsample; grounded at y = 0.

Every function works on ``blocks[x, y, z]`` arrays of vocabulary indices (0 = air).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mcgen.errors import ConfigError

FIT_MODES = ("crop", "pad", "scale", "skip")
PLANE_FRACTION = 0.5  # a cell is solid when it holds at least half a plane's worth of blocks


@dataclass(frozen=True)
class FitInfo:
    """How a build was fitted.

    Attributes:
        mode: what was actually done: ``pad`` (it fitted), ``crop``, ``scale`` or ``skip`` (it did
            not fit and ``--fit skip`` drops it: the grid returned is all air).
        factor: downsampling factor (1.0 unless scaled).
        fell_back: ``--fit pad`` was asked but the build did not fit, so it was scaled.
        trimmed: ``(X, Y, Z)`` after trimming the empty margins, before fitting.
    """

    mode: str
    factor: float
    fell_back: bool
    trimmed: tuple[int, int, int]


def trim(blocks: np.ndarray) -> np.ndarray:
    """Cut the empty margins on every side (an all-air array becomes ``(0, 0, 0)``)."""
    solid = blocks != 0
    if not solid.any():
        return blocks[:0, :0, :0]
    cuts = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.flatnonzero(solid.any(axis=other))
        cuts.append(slice(int(hit[0]), int(hit[-1]) + 1))
    return blocks[tuple(cuts)]


def strip_ground(blocks: np.ndarray, ground: np.ndarray, max_fraction: float = 0.5) -> tuple[np.ndarray, int]:
    """Drop the natural terrain a build was saved standing in, keeping its top layer as a base.

    Village pieces and many structure saves include several layers of stone, dirt and grass
    under the floor. A layer counts as terrain when at least 90 % of its blocks are natural
    ground, it covers at least 60 % of the footprint (the underside of a floating island
    does not) and the middle of the footprint (the central half in x and z) is at least 90 %
    filled (a floor with walls on it is not). The bottom run of terrain layers is cut
    except the highest one, and never more than ``max_fraction`` of the build's height.

    Args:
        blocks: trimmed ``(X, Y, Z)`` palette indices.
        ground: boolean per palette index, True for natural ground blocks.

    Returns:
        ``(blocks, layers_removed)``.
    """
    x, y, z = blocks.shape
    if y < 3:
        return blocks, 0
    mid = blocks[x // 4: max(x // 4 + 1, x - x // 4), :, z // 4: max(z // 4 + 1, z - z // 4)]
    solid = (blocks != 0).sum(axis=(0, 2))
    natural = ground[blocks].sum(axis=(0, 2))
    middle_fill = (mid != 0).mean(axis=(0, 2))
    coverage = solid / float(x * z)
    terrain = (natural >= 0.9 * np.maximum(solid, 1)) & (coverage >= 0.6) & (middle_fill >= 0.9)
    run = int(np.argmin(terrain)) if not terrain.all() else y
    cut = min(run - 1, int(y * max_fraction))
    return (blocks[:, cut:, :], cut) if cut > 0 else (blocks, 0)


def place(blocks: np.ndarray, size: int) -> np.ndarray:
    """Put a trimmed build (each axis <= ``size``) in a ``size``^3 grid: centred in x and z, on y = 0."""
    out = np.zeros((size, size, size), dtype=blocks.dtype)
    x, y, z = blocks.shape
    ox, oz = (size - x) // 2, (size - z) // 2
    out[ox:ox + x, :y, oz:oz + z] = blocks
    return out


def centre_crop(blocks: np.ndarray, size: int) -> np.ndarray:
    """Keep the middle ``size`` columns in x and z and the lowest ``size`` layers (the ground floor)."""
    x, _, z = blocks.shape
    ox, oz = max(0, (x - size) // 2), max(0, (z - size) // 2)
    return blocks[ox:ox + size, :size, oz:oz + size]


def _cells(n: int, factor: float, cells: int) -> np.ndarray:
    """Cell index of each of ``n`` source positions along one axis."""
    return np.minimum((np.arange(n) / factor).astype(np.int64), cells - 1)


def downsample(blocks: np.ndarray, factor: float) -> np.ndarray:
    """Shrink by ``factor`` (> 1) on every axis, keeping thin walls, floors and roofs.

    Each output cell covers a box of source voxels. It is solid when it holds at least
    :data:`PLANE_FRACTION` of a plane through that box (so a one-block wall crossing it
    survives, while scattered single blocks do not), and it takes the most frequent non-air
    state inside it (ties: the lower vocabulary index).

    Returns:
        ``(ceil(X / f), ceil(Y / f), ceil(Z / f))`` array of the same dtype.
    """
    shape = blocks.shape
    dims = [max(1, math.ceil(n / factor - 1e-9)) for n in shape]
    idx = [_cells(n, factor, d) for n, d in zip(shape, dims)]
    counts = [np.bincount(i, minlength=d) for i, d in zip(idx, dims)]
    cx, cy, cz = counts[0][:, None, None], counts[1][None, :, None], counts[2][None, None, :]
    volume = cx * cy * cz  # (dx, dy, dz) source voxels per cell
    longest = np.maximum(np.maximum(cx, cy), cz)
    need = np.maximum(1, np.ceil(PLANE_FRACTION * volume / longest)).astype(np.int64)
    xs, ys, zs = np.nonzero(blocks)
    states = blocks[xs, ys, zs].astype(np.int64)
    cell = np.ravel_multi_index((idx[0][xs], idx[1][ys], idx[2][zs]), dims)
    ncell = int(np.prod(dims))
    solid = np.bincount(cell, minlength=ncell) >= need.ravel()
    vocab = int(states.max(initial=0)) + 1
    keys, n = np.unique(cell * vocab + states, return_counts=True)
    kc, ks = keys // vocab, keys % vocab
    order = np.lexsort((ks, -n, kc))  # by cell, then most frequent, then lowest index
    first = order[np.r_[True, kc[order][1:] != kc[order][:-1]]] if order.size else order
    out = np.zeros(ncell, dtype=blocks.dtype)
    out[kc[first]] = ks[first]
    out[~solid] = 0
    return out.reshape(dims)


def fit(blocks: np.ndarray, size: int, mode: str) -> tuple[np.ndarray, FitInfo]:
    """Trim, fit and ground a build into a ``size``^3 grid.

    Args:
        blocks: ``(X, Y, Z)`` vocabulary indices, any size.
        size: edge of the output cube.
        mode: ``crop`` (centre in x/z, keep the lowest layers), ``pad`` (centre it; a build
            that does not fit is scaled instead, see ``FitInfo.fell_back``) or ``scale``
            (downsample by one factor on all axes until it fits; smaller builds are only padded)
            or ``skip`` (builds that fit are centred; the others come back as ``mode == "skip"``).

    Returns:
        ``(grid, info)``: a ``(size, size, size)`` array, centred in x/z with its lowest
        block on y = 0 (all air when the input was), and what was done.

    Raises:
        ConfigError: unknown mode or a size below 1.
    """
    if mode not in FIT_MODES:
        raise ConfigError(f"--fit must be one of {', '.join(FIT_MODES)}, got {mode!r}")
    if size < 1:
        raise ConfigError(f"grid size must be at least 1, got {size}")
    core = trim(blocks)
    trimmed = tuple(int(s) for s in core.shape)
    if max(trimmed, default=0) <= size:
        return place(core, size), FitInfo("pad", 1.0, False, trimmed)  # type: ignore[arg-type]
    if mode == "skip":
        return np.zeros((size, size, size), dtype=blocks.dtype), FitInfo("skip", 1.0, False, trimmed)  # type: ignore[arg-type]
    if mode == "crop":
        return place(trim(centre_crop(core, size)), size), FitInfo("crop", 1.0, False, trimmed)  # type: ignore[arg-type]
    factor = max(trimmed) / size
    small = trim(downsample(core, factor))
    small = small[:size, :size, :size]  # guards the float edge; dims are already <= size
    return place(small, size), FitInfo("scale", factor, mode == "pad", trimmed)  # type: ignore[arg-type]
