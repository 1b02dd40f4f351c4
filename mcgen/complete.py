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

import mcgen
from mcgen.blocks import parse_state
from mcgen.checkpoint import Checkpoint, load_checkpoint
from mcgen.errors import ConfigError
from mcgen.generate import label_index, resolve_device
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


def _stand_ins(palette: list[str], vocabulary: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per palette entry: its vocabulary index (or a stand-in) and whether it is in the vocabulary."""
    index = {s: i for i, s in enumerate(vocabulary)}
    by_id = {}
    for i, s in enumerate(vocabulary):
        by_id.setdefault(parse_state(s)[0], i)
    stone = index.get("minecraft:stone", 1 if len(vocabulary) > 1 else 0)
    ids = np.zeros(len(palette), dtype=np.int64)
    exact = np.zeros(len(palette), dtype=bool)
    for i, s in enumerate(palette):
        if s in index:
            ids[i], exact[i] = index[s], True
        else:
            ids[i] = by_id.get(parse_state(s)[0], stone)
    return ids, exact


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
    obj = ck.objective()
    sampler = sampler or obj.default_sampler
    num_steps = num_steps or obj.default_steps
    obj.check(sampler, num_steps)
    idx = label_index(ck, label)
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    # the structure in the model's grid: given states (palette indices, -1 = grid beyond it = air)
    given = np.zeros((g, g, g), dtype=np.int64)
    sx, sy, sz = structure.size
    ids, _ = _stand_ins(structure.palette, ck.vocabulary)
    given[:sx, :sy, :sz] = ids[structure.blocks.astype(np.int64)]
    known = np.where(free, -1, given)
    labels = None
    if idx is not None:
        labels = (torch.arange(num_samples) % len(ck.label_names)) if idx == -1 else torch.full((num_samples,), idx)
    model = ck.build_model(dev)
    blocks = obj.sample(model, num_samples, sampler=sampler, num_steps=num_steps, seed=seed, labels=labels,
                        guidance=1.0 if guidance is None else float(guidance), temperature=temperature,
                        known=torch.from_numpy(np.broadcast_to(known, (num_samples, g, g, g)).copy()),
                        device=dev, progress=progress).cpu().numpy()
    out = []
    # output palette: the input's states first (so given blocks keep their exact state), then the vocabulary's
    palette = list(structure.palette) + [s for s in ck.vocabulary if s not in set(structure.palette)]
    vocab_to_out = np.array([palette.index(s) for s in ck.vocabulary], dtype=np.int64)
    for i, arr in enumerate(blocks):
        res = vocab_to_out[arr]  # generated voxels
        inside = np.zeros((g, g, g), dtype=bool)
        inside[:sx, :sy, :sz] = True
        held = inside & ~free
        res[:sx, :sy, :sz] = np.where(held[:sx, :sy, :sz], structure.blocks, res[:sx, :sy, :sz])
        meta = {"checkpoint": str(ck.path), "step": ck.step, "objective": obj.kind, "sampler": sampler,
                "steps": num_steps, "seed": seed + i, "mcgen_version": mcgen.__version__, "completed": True,
                "generated": int(free.sum()), "given_box": [0, 0, 0, sx - 1, sy - 1, sz - 1],
                "given_runs": encode_given(~free),
                "label": ck.label_names[int(labels[i])] if labels is not None else None}
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
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    g = ck.model_cfg.grid_size
    overlap = g // 2 if overlap is None else overlap
    obj = ck.objective()
    sampler, num_steps = sampler or obj.default_sampler, num_steps or obj.default_steps
    obj.check(sampler, num_steps)
    idx = label_index(ck, label)
    dev = device if isinstance(device, torch.device) else resolve_device(device)
    model = ck.build_model(dev)
    labels = None
    if idx is not None:
        labels = (torch.arange(num_samples) % len(ck.label_names)) if idx == -1 else torch.full((num_samples,), idx)
    sx, sy, sz = size
    out = np.full((num_samples, sx, sy, sz), -1, dtype=np.int64)  # vocabulary ids, -1 = not generated yet
    windows = [(x0, y0, z0) for z0 in window_starts(sz, g, overlap) for x0 in window_starts(sx, g, overlap)
               for y0 in window_starts(sy, g, overlap)]
    for w, (x0, y0, z0) in enumerate(windows):
        known = np.zeros((num_samples, g, g, g), dtype=np.int64)  # beyond the structure's edge: air
        part = out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g]
        known[:, :part.shape[1], :part.shape[2], :part.shape[3]] = part
        blocks = obj.sample(model, num_samples, sampler=sampler, num_steps=num_steps, seed=seed + 7919 * w,
                            labels=labels, guidance=1.0 if guidance is None else float(guidance),
                            temperature=temperature, known=torch.from_numpy(known), device=dev).cpu().numpy()
        out[:, x0:x0 + g, y0:y0 + g, z0:z0 + g] = blocks[:, :part.shape[1], :part.shape[2], :part.shape[3]]
        if progress is not None:
            progress(w + 1, len(windows))
    grids = []
    for i in range(num_samples):
        meta = {"checkpoint": str(ck.path), "step": ck.step, "objective": obj.kind, "sampler": sampler,
                "steps": num_steps, "seed": seed, "mcgen_version": mcgen.__version__, "size": list(size),
                "windows": len(windows), "overlap": overlap,
                "label": ck.label_names[int(labels[i])] if labels is not None else None}
        grids.append(VoxelGrid(out[i], ck.vocabulary, meta).compact())
    return grids
