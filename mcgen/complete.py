"""``complete``: finish a structure with a trained model, keeping every given block; and
structures larger than the model's grid.

The structure is placed at the origin of an output box: the model's grid, or the structure's own
size on an axis where it is larger. What to generate is a boolean mask over that box
(:func:`region_mask`): a box (``region``), everything from a height up (``above``), or the air
inside the structure (``fill_air``). Everything else is **known** and held through the objective's
sampler (never masked for the masked objective; re-noised to each step's level for the Gaussian
one). Blocks outside the model's vocabulary are shown to the model as a stand-in (the same block
without its properties when the vocabulary has it, else stone) and come out as they went in: known
blocks are copied from the input, bit for bit.

One mechanism, :func:`fill_windows`, does the sampling: overlapping grid-sized windows, each
conditioned on everything known so far (given blocks and what earlier windows generated), taken
in frontier order (the window with the most known voxels first). A structure that fits the grid is
one window; ``generate_large`` is a completion of an empty box.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mcgen.blocks import parse_state
from mcgen.checkpoint import Checkpoint, load_checkpoint
from mcgen.errors import ConfigError
from mcgen.generate import prepare_sampling
from mcgen.given import encode_given
from mcgen.grid import VoxelGrid

Box = tuple[int, int, int, int, int, int]


def output_shape(grid_size: int, structure: tuple[int, int, int]) -> tuple[int, int, int]:
    """The box a completion fills: the model's grid, or the structure's size where that is larger."""
    return tuple(max(grid_size, int(s)) for s in structure)  # type: ignore[return-value]


def region_mask(grid: int | tuple[int, int, int], structure: tuple[int, int, int], *, region: Box | None = None,
                above: int | None = None, fill_air: np.ndarray | None = None) -> np.ndarray:
    """Bool mask of the output box: the voxels to generate. Exactly one way must be given.

    Args:
        grid: the output box ``(X, Y, Z)``, or the model's grid edge G for ``(G, G, G)``.
        structure: the given structure's size (it sits at the origin; it must fit the box).
        region: inclusive box ``x1 y1 z1 x2 y2 z2`` (clipped to the output box).
        above: every voxel with ``y >= above``.
        fill_air: the structure's air cells (a bool array of its size) become free.

    Raises:
        ConfigError: none or several ways, an empty region, or a structure larger than the box.
    """
    if sum(x is not None for x in (region, above, fill_air)) != 1:
        raise ConfigError("say what to generate: exactly one of --region, --above or --fill-air")
    shape = (grid, grid, grid) if isinstance(grid, int) else tuple(int(v) for v in grid)
    if any(s > g for s, g in zip(structure, shape)):
        raise ConfigError(f"the structure is {structure[0]}x{structure[1]}x{structure[2]}, larger than the "
                          f"{shape[0]}x{shape[1]}x{shape[2]} output box")
    free = np.zeros(shape, dtype=bool)
    what = "the model's grid" if len(set(shape)) == 1 else f"the {shape[0]}x{shape[1]}x{shape[2]} output box"
    if region is not None:
        x1, y1, z1, x2, y2, z2 = region
        lo = [max(0, min(a, b)) for a, b in ((x1, x2), (y1, y2), (z1, z2))]
        hi = [min(g - 1, max(a, b)) for g, (a, b) in zip(shape, ((x1, x2), (y1, y2), (z1, z2)))]
        if any(h < low for low, h in zip(lo, hi)):
            raise ConfigError(f"--region {region} lies outside {what}")
        free[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1] = True
    elif above is not None:
        if not 0 <= above < shape[1]:
            raise ConfigError(f"--above must be in 0..{shape[1] - 1}, got {above}")
        free[:, above:, :] = True
    else:
        sx, sy, sz = structure
        free[:sx, :sy, :sz] = fill_air
    if not free.any():
        raise ConfigError("nothing to generate: the region holds no free voxel")
    return free


def _stand_ins(palette: list[str], vocabulary: list[str]) -> np.ndarray:
    """Per palette entry: its vocabulary index, or a stand-in's (the same block id, else stone)."""
    index = {s: i for i, s in enumerate(vocabulary)}
    by_id = {}
    for i, s in enumerate(vocabulary):
        by_id.setdefault(parse_state(s)[0], i)
    stone = index.get("minecraft:stone", 1 if len(vocabulary) > 1 else 0)
    return np.array([index[s] if s in index else by_id.get(parse_state(s)[0], stone) for s in palette],
                    dtype=np.int64)


def complete(
    checkpoint: str | Path | Checkpoint,
    structure: VoxelGrid,
    *,
    region: Box | None = None,
    above: int | None = None,
    fill_air: bool = False,
    free: np.ndarray | None = None,
    num_samples: int = 1,
    seed: int = 0,
    label: str | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    num_steps: int | None = None,
    temperature: float | None = None,
    overlap: int | None = None,
    device: str | torch.device = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> list[VoxelGrid]:
    """``num_samples`` completions of ``structure``, given blocks unchanged.

    What to generate: ``region``, ``above``, ``fill_air`` (see :func:`region_mask`) or any bool
    mask ``free`` of :func:`output_shape`. A structure larger than the model's grid on some axis
    is completed window by window
    (:func:`fill_windows`, ``overlap`` voxels between neighbouring windows, default half the grid).

    Returns:
        Grids of :func:`output_shape`; ``meta`` holds the settings, ``generated`` (how many
        voxels were free), ``windows``, ``given_box`` (the input's extent) and ``given_runs``
        (which cells were given, :func:`mcgen.given.encode_given`; ``mcgen view`` marks the
        others as generated).

    Raises:
        CheckpointError, ConfigError: see :func:`region_mask` and :func:`mcgen.generate.generate`.
    """
    if num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {num_samples}")
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    g = ck.model_cfg.grid_size
    shape = output_shape(g, structure.size)
    air = structure.blocks == 0
    if free is None:
        free = region_mask(shape, structure.size, region=region, above=above, fill_air=air if fill_air else None)
    elif region is not None or above is not None or fill_air or free.shape != shape or not free.any():
        raise ConfigError(f"free must be the only way given, a non-empty bool mask of shape {shape}")
    run = prepare_sampling(ck, sampler=sampler, num_steps=num_steps, label=label, guidance=guidance, device=device)
    # the structure in the output box: given states (vocabulary ids or stand-ins; beyond it: air)
    given = np.zeros(shape, dtype=np.int64)
    sx, sy, sz = structure.size
    given[:sx, :sy, :sz] = _stand_ins(structure.palette, ck.vocabulary)[structure.blocks.astype(np.int64)]
    todo = np.broadcast_to(np.where(free, -1, given), (num_samples, *shape)).copy()
    labels = run.labels(0, num_samples)
    blocks, windows = fill_windows(run, ck.build_model(run.device), todo, seed=seed, labels=labels,
                                   temperature=temperature, overlap=overlap, progress=progress)
    # output palette: the input's states first (so given blocks keep their exact state), then the vocabulary's
    own = set(structure.palette)
    palette = list(structure.palette) + [s for s in ck.vocabulary if s not in own]
    position = {s: i for i, s in enumerate(palette)}
    vocab_to_out = np.array([position[s] for s in ck.vocabulary], dtype=np.int64)
    held = ~free[:sx, :sy, :sz]  # the given cells of the structure's box
    base = {**run.meta(), "completed": True, "generated": int(free.sum()), "windows": windows,
            "given_box": [0, 0, 0, sx - 1, sy - 1, sz - 1], "given_runs": encode_given(~free)}
    out = []
    for i, arr in enumerate(blocks):
        res = vocab_to_out[arr]  # generated voxels
        res[:sx, :sy, :sz] = np.where(held, structure.blocks, res[:sx, :sy, :sz])
        meta = {**base, "seed": seed + i, "label": run.label_name(labels, i)}
        out.append(VoxelGrid(res, palette, meta).compact())
    return out


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


def _window_origins(shape: tuple[int, int, int], g: int, overlap: int) -> list[tuple[int, int, int]]:
    """Window origins over a box, bottom to top, then along x, then z."""
    sx, sy, sz = shape
    return [(x0, y0, z0) for z0 in window_starts(sz, g, overlap) for x0 in window_starts(sx, g, overlap)
            for y0 in window_starts(sy, g, overlap)]


def fill_windows(run, model: torch.nn.Module, todo: np.ndarray, *, seed: int, labels: torch.Tensor | None,
                 temperature: float | None, overlap: int | None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, int]:
    """Generate every ``-1`` voxel of ``todo`` ``(N, X, Y, Z)`` (vocabulary ids), window by window.

    Each grid-sized window is sampled with everything already known in it held (given voxels and
    what earlier windows generated) and keeps only what was still to do. The order is a frontier:
    next comes the window with the largest share of known voxels (ties: bottom to top, then x,
    then z), so a window grows out of what stands. Window ``w`` (its index in that fixed
    bottom-to-top order) of sample ``i`` uses seed ``seed + i + 7919 w``, so a box that fits the
    grid is sampled exactly as one call of the objective's sampler. Beyond the box's edge (an axis
    shorter than the grid) the model sees air.

    Args:
        run: a :class:`mcgen.generate.SamplingSetup`.
        model: the denoiser on ``run.device``.
        todo: vocabulary ids, ``-1`` = to generate; not modified.
        overlap: voxels shared by neighbouring windows (default half the grid).
        progress: ``(done, total)`` over all windows' sampler steps.

    Returns:
        ``(blocks (N, X, Y, Z) int64 with no -1 left, windows sampled)``.
    """
    g = run.ck.model_cfg.grid_size
    overlap = g // 2 if overlap is None else overlap
    out = todo.copy()
    n = out.shape[0]
    origins = _window_origins(out.shape[1:], g, overlap)
    pending = [w for w, (x0, y0, z0) in enumerate(origins) if (out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] < 0).any()]
    total = len(pending) * run.num_steps
    done = sampled = 0
    while pending:
        known_share = [float((out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] >= 0).mean())
                       for x0, y0, z0 in (origins[w] for w in pending)]
        w = pending.pop(int(np.argmax(known_share)))  # argmax: the first of equals, in bottom-to-top order
        x0, y0, z0 = origins[w]
        part = out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g]
        if not (part < 0).any():
            total -= run.num_steps
            continue
        known = np.zeros((n, g, g, g), dtype=np.int64)  # beyond the box's edge: air
        px, py, pz = part.shape[1:]
        known[:, :px, :py, :pz] = part
        step = (lambda d, t, base=done: progress(base + d, total)) if progress is not None else None
        blocks = run.objective.sample(model, n, sampler=run.sampler, num_steps=run.num_steps, seed=seed + 7919 * w,
                                      labels=labels, guidance=run.guidance, temperature=temperature,
                                      known=torch.from_numpy(known), device=run.device,
                                      progress=step).cpu().numpy()[:, :px, :py, :pz]
        out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] = np.where(part < 0, blocks, part)
        done += run.num_steps
        sampled += 1
    if progress is not None and total:
        progress(total, total)
    return out, sampled


def generate_large(
    checkpoint: str | Path | Checkpoint,
    size: tuple[int, int, int],
    *,
    num_samples: int = 1,
    seed: int = 0,
    label: str | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    num_steps: int | None = None,
    temperature: float | None = None,
    overlap: int | None = None,
    device: str | torch.device = "auto",
    progress: Callable[[int, int], None] | None = None,
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
    run = prepare_sampling(checkpoint, sampler=sampler, num_steps=num_steps, label=label, guidance=guidance,
                           device=device)
    ck = run.ck
    g = ck.model_cfg.grid_size
    overlap = g // 2 if overlap is None else overlap
    window_starts(g + 1, g, overlap)  # checks the overlap before any sampling
    labels = run.labels(0, num_samples)
    todo = np.full((num_samples, *size), -1, dtype=np.int64)  # vocabulary ids, -1 = not generated yet
    out, windows = fill_windows(run, ck.build_model(run.device), todo, seed=seed, labels=labels,
                                temperature=temperature, overlap=overlap, progress=progress)
    base = {**run.meta(), "seed": seed, "size": list(size), "windows": windows, "overlap": overlap}
    return [VoxelGrid(out[i], ck.vocabulary, {**base, "label": run.label_name(labels, i)}).compact()
            for i in range(num_samples)]
