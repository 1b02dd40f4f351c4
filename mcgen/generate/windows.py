"""Window by window: structures larger than the model's grid, and the sampling loop that
completion shares.

:func:`fill_windows` samples every still-free voxel of a box through overlapping grid-sized
windows in frontier order, each window conditioned on what is already known in it (given blocks
and what earlier windows generated); :func:`generate_large` is that on an empty box.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mcgen.errors import ConfigError
from mcgen.generate.setup import Progress, SampleSettings, SamplingSetup, prepare_sampling
from mcgen.grid import VoxelGrid
from mcgen.ml.checkpoint import Checkpoint


def window_starts(length: int, grid: int, overlap: int) -> list[int]:
    """Window origins along one axis: every ``grid - overlap`` voxels, the last flush with the end.

    Raises:
        ConfigError: ``overlap`` outside ``0 .. grid - 1``.
    """
    if not 0 <= overlap < grid:
        raise ConfigError(f"overlap must be in 0..{grid - 1}, got {overlap}")
    if length <= grid:
        return [0]
    starts = list(range(0, length - grid, grid - overlap))
    return starts + [length - grid]


def window_origins(shape: tuple[int, int, int], g: int, overlap: int) -> list[tuple[int, int, int]]:
    """Window origins over a box, bottom to top, then along x, then z."""
    sx, sy, sz = shape
    return [(x0, y0, z0) for z0 in window_starts(sz, g, overlap) for x0 in window_starts(sx, g, overlap)
            for y0 in window_starts(sy, g, overlap)]


def fill_windows(run: SamplingSetup, model: torch.nn.Module, todo: np.ndarray, *, labels: torch.Tensor | None,
                 overlap: int | None, progress: Progress | None = None) -> tuple[np.ndarray, int]:
    """Generate every ``-1`` voxel of ``todo`` ``(N, X, Y, Z)`` (vocabulary ids), window by window.

    Each grid-sized window is sampled with everything already known in it held (given voxels and
    what earlier windows generated) and keeps only what was still to do. The order is a frontier:
    next comes the window with the largest share of known voxels (ties: bottom to top, then x,
    then z), so a window grows out of what stands. Window ``w`` (its index in that fixed
    bottom-to-top order) of sample ``i`` uses seed ``seed + i + 7919 w`` (``seed`` from
    ``run.settings``), so a box that fits the
    grid is sampled exactly as one call of the objective's sampler. Beyond the box's edge (an axis
    shorter than the grid) the model sees air.

    Args:
        run: a :class:`.setup.SamplingSetup`.
        model: the denoiser on ``run.device``.
        todo: vocabulary ids, ``-1`` = to generate; not modified.
        overlap: voxels shared by neighbouring windows (default half the grid).
        progress: ``(done, total)`` over all windows' sampler steps.

    Returns:
        ``(blocks (N, X, Y, Z) int64 with no -1 left, windows sampled)``.
    """
    g = run.ck.grid_size
    overlap = g // 2 if overlap is None else overlap
    out = todo.copy()
    n = out.shape[0]
    origins = window_origins(out.shape[1:], g, overlap)
    pending = [w for w, (x0, y0, z0) in enumerate(origins) if (out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] < 0).any()]
    steps, seed = run.settings.num_steps, run.settings.seed
    total = len(pending) * steps
    done = sampled = 0
    while pending:
        known_share = [float((out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] >= 0).mean())
                       for x0, y0, z0 in (origins[w] for w in pending)]
        w = pending.pop(int(np.argmax(known_share)))  # argmax: the first of equals, in bottom-to-top order
        x0, y0, z0 = origins[w]
        part = out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g]
        if not (part < 0).any():
            total -= steps
            continue
        known = np.zeros((n, g, g, g), dtype=np.int64)  # beyond the box's edge: air
        px, py, pz = part.shape[1:]
        known[:, :px, :py, :pz] = part
        step = (lambda d, t, base=done: progress(base + d, total)) if progress is not None else None
        blocks = run.sample(model, n, seed=seed + 7919 * w, labels=labels, known=torch.from_numpy(known),
                            progress=step).cpu().numpy()[:, :px, :py, :pz]
        out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] = np.where(part < 0, blocks, part)
        done += steps
        sampled += 1
    if progress is not None and total:
        progress(total, total)
    return out, sampled


def generate_large(
    checkpoint: str | Path | Checkpoint,
    size: tuple[int, int, int],
    *,
    num_samples: int = 1,
    settings: SampleSettings | None = None,
    overlap: int | None = None,
    progress: Progress | None = None,
) -> list[VoxelGrid]:
    """Structures larger than the model's grid: overlapping windows, each completed around what
    the windows before it placed (held through the sampler), so walls and streets continue.

    This is :func:`fill_windows` on an empty box: the first window is the bottom corner, then
    each next one is the window overlapping most of what is already generated (``overlap``
    voxels between neighbours, default half the grid). Window ``w`` of sample ``i`` uses seed
    ``seed + i + 7919 w``. A window smaller than the grid (a thin axis) sees air beyond the
    structure's edge.

    Returns:
        ``num_samples`` grids of ``size`` (vocabulary palette, compacted); ``meta`` holds the
        settings and ``windows``.

    Raises:
        CheckpointError, ConfigError: bad checkpoint, size, overlap or sampler settings.
    """
    if len(size) != 3 or min(size) < 1 or max(size) > 512:
        raise ConfigError(f"size must be three lengths in 1..512, got {size}")
    if num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {num_samples}")
    run = prepare_sampling(checkpoint, settings)
    ck = run.ck
    g = ck.grid_size
    overlap = g // 2 if overlap is None else overlap
    window_starts(g + 1, g, overlap)  # checks the overlap before any sampling
    labels = run.labels(0, num_samples)
    todo = np.full((num_samples, *size), -1, dtype=np.int64)  # vocabulary ids, -1 = not generated yet
    out, windows = fill_windows(run, ck.eval_model(run.device), todo, labels=labels, overlap=overlap,
                                progress=progress)
    base = {**run.meta(), "seed": run.settings.seed, "size": list(size), "windows": windows, "overlap": overlap}
    return [VoxelGrid(out[i], ck.vocabulary, {**base, "label": run.label_name(labels, i)}).compact()
            for i in range(num_samples)]
