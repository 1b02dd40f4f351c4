"""``complete``: finish a structure with a trained model, keeping every given block.

The structure is placed at the origin of the model's grid. What to generate is a boolean mask
over that grid (:func:`region_mask`): a box (``region``), everything from a height up (``above``),
or the air inside the structure (``fill_air``). Everything else is **known** and held through the
objective's sampler (never masked for the masked objective; re-noised to each step's level for the
Gaussian one). Blocks outside the model's vocabulary are shown to the model as a stand-in (the
same block without its properties when the vocabulary has it, else stone) and come out as they
went in: known blocks are copied from the input, bit for bit.
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


def region_mask(grid_size: int, structure: tuple[int, int, int], *, region: Box | None = None,
                above: int | None = None, fill_air: np.ndarray | None = None) -> np.ndarray:
    """(G, G, G) bool: the voxels to generate. Exactly one way must be given.

    Args:
        grid_size: the model's grid edge G.
        structure: the given structure's size (it sits at the origin).
        region: inclusive box ``x1 y1 z1 x2 y2 z2`` (clipped to the grid).
        above: every voxel with ``y >= above``.
        fill_air: the structure's air cells (a bool array of its size) become free.

    Raises:
        ConfigError: none or several ways, an empty region, or a structure larger than the grid.
    """
    if sum(x is not None for x in (region, above, fill_air)) != 1:
        raise ConfigError("say what to generate: exactly one of --region, --above or --fill-air")
    g = grid_size
    if any(s > g for s in structure):
        raise ConfigError(f"the structure is {structure[0]}x{structure[1]}x{structure[2]}, larger than this "
                          f"model's {g}^3 grid; completing window by window is not built yet")
    free = np.zeros((g, g, g), dtype=bool)
    if region is not None:
        x1, y1, z1, x2, y2, z2 = region
        lo = [max(0, min(a, b)) for a, b in ((x1, x2), (y1, y2), (z1, z2))]
        hi = [min(g - 1, max(a, b)) for a, b in ((x1, x2), (y1, y2), (z1, z2))]
        if any(h < low for low, h in zip(lo, hi)):
            raise ConfigError(f"--region {region} lies outside the model's {g}^3 grid")
        free[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1] = True
    elif above is not None:
        if not 0 <= above < g:
            raise ConfigError(f"--above must be in 0..{g - 1}, got {above}")
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
    num_samples: int = 1,
    seed: int = 0,
    label: str | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    num_steps: int | None = None,
    temperature: float | None = None,
    device: str | torch.device = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> list[VoxelGrid]:
    """``num_samples`` completions of ``structure`` (the model's grid size, given blocks unchanged).

    Returns:
        Grids of the model's grid size; ``meta`` holds the settings, ``generated`` (how many
        voxels were free), ``given_box`` (the input's extent) and ``given_runs`` (which cells were
        given, :func:`mcgen.given.encode_given`; ``mcgen view`` marks the others as generated).

    Raises:
        CheckpointError, ConfigError: see :func:`region_mask` and :func:`mcgen.generate.generate`.
    """
    if num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {num_samples}")
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    g = ck.model_cfg.grid_size
    air = structure.blocks == 0
    free = region_mask(g, structure.size, region=region, above=above, fill_air=air if fill_air else None)
    run = prepare_sampling(ck, sampler=sampler, num_steps=num_steps, label=label, guidance=guidance, device=device)
    # the structure in the model's grid: given states (vocabulary ids or stand-ins; beyond it: air)
    given = np.zeros((g, g, g), dtype=np.int64)
    sx, sy, sz = structure.size
    given[:sx, :sy, :sz] = _stand_ins(structure.palette, ck.vocabulary)[structure.blocks.astype(np.int64)]
    known = np.where(free, -1, given)
    labels = run.labels(0, num_samples)
    blocks = run.objective.sample(
        ck.build_model(run.device), num_samples, sampler=run.sampler, num_steps=run.num_steps, seed=seed,
        labels=labels, guidance=run.guidance, temperature=temperature,
        known=torch.from_numpy(np.broadcast_to(known, (num_samples, g, g, g)).copy()), device=run.device,
        progress=progress).cpu().numpy()
    # output palette: the input's states first (so given blocks keep their exact state), then the vocabulary's
    own = set(structure.palette)
    palette = list(structure.palette) + [s for s in ck.vocabulary if s not in own]
    position = {s: i for i, s in enumerate(palette)}
    vocab_to_out = np.array([position[s] for s in ck.vocabulary], dtype=np.int64)
    held = ~free[:sx, :sy, :sz]  # the given cells of the structure's box
    base = {**run.meta(), "completed": True, "generated": int(free.sum()),
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

    Windows go bottom to top, then along x, then z (a frontier order: each new window overlaps
    windows already generated by ``overlap`` voxels, default half the grid). Window ``w`` of sample
    ``i`` uses seed ``seed + i + 7919 w``. A window smaller than the grid (a thin axis) sees air
    beyond the structure's edge.

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
    model = ck.build_model(run.device)
    labels = run.labels(0, num_samples)
    sx, sy, sz = size
    out = np.full((num_samples, sx, sy, sz), -1, dtype=np.int64)  # vocabulary ids, -1 = not generated yet
    windows = [(x0, y0, z0) for z0 in window_starts(sz, g, overlap) for x0 in window_starts(sx, g, overlap)
               for y0 in window_starts(sy, g, overlap)]
    for w, (x0, y0, z0) in enumerate(windows):
        known = np.zeros((num_samples, g, g, g), dtype=np.int64)  # beyond the structure's edge: air
        part = out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g]
        known[:, :part.shape[1], :part.shape[2], :part.shape[3]] = part
        blocks = run.objective.sample(model, num_samples, sampler=run.sampler, num_steps=run.num_steps,
                                      seed=seed + 7919 * w, labels=labels, guidance=run.guidance,
                                      temperature=temperature, known=torch.from_numpy(known),
                                      device=run.device).cpu().numpy()
        out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] = blocks[:, :part.shape[1], :part.shape[2], :part.shape[3]]
        if progress is not None:
            progress(w + 1, len(windows))
    base = {**run.meta(), "seed": seed, "size": list(size), "windows": len(windows), "overlap": overlap}
    return [VoxelGrid(out[i], ck.vocabulary, {**base, "label": run.label_name(labels, i)}).compact()
            for i in range(num_samples)]
