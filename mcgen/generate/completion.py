"""``complete``: finish a structure with a trained model, keeping every given block.

The structure is placed at the origin of an output box: the model's grid, or the structure's own
size on an axis where it is larger. What to generate is a boolean mask over that box
(:func:`region_mask`): a box (``region``), everything from a height up (``above``), or the air
inside the structure (``fill_air``). Everything else is **known** and held through the objective's
sampler (never masked for the masked objective; re-noised to each step's level for the Gaussian
one). Blocks outside the model's vocabulary are shown to the model as a stand-in (the same block
without its properties when the vocabulary has it, else stone) and come out as they went in: known
blocks are copied from the input, bit for bit.

One mechanism, :func:`.windows.fill_windows`, does the sampling: overlapping grid-sized windows,
each conditioned on everything known so far (given blocks and what earlier windows generated),
taken in frontier order (the window with the most known voxels first). A structure that fits the
grid is one window; :func:`.windows.generate_large` is a completion of an empty box.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcgen.blocks import parse_state
from mcgen.errors import ConfigError
from mcgen.generate.setup import Progress, SampleSettings, prepare_sampling
from mcgen.generate.windows import fill_windows
from mcgen.given import encode_given
from mcgen.grid import VoxelGrid
from mcgen.ml.checkpoint import Checkpoint, load_checkpoint

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


def stand_ins(palette: list[str], vocabulary: list[str]) -> np.ndarray:
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
    settings: SampleSettings | None = None,
    overlap: int | None = None,
    progress: Progress | None = None,
) -> list[VoxelGrid]:
    """``num_samples`` completions of ``structure``, given blocks unchanged, sampled as ``settings`` say.

    What to generate: ``region``, ``above``, ``fill_air`` (see :func:`region_mask`) or any bool
    mask ``free`` of :func:`output_shape`. A structure larger than the model's grid on some axis
    is completed window by window
    (:func:`.windows.fill_windows`, ``overlap`` voxels between neighbouring windows, default half the grid).

    Returns:
        Grids of :func:`output_shape`; ``meta`` holds the settings, ``generated`` (how many
        voxels were free), ``windows``, ``given_box`` (the input's extent) and ``given_runs``
        (which cells were given, :func:`mcgen.given.encode_given`; ``mcgen view`` marks the
        others as generated).

    Raises:
        CheckpointError, ConfigError: see :func:`region_mask` and :func:`.setup.prepare_sampling`.
    """
    if num_samples < 1:
        raise ConfigError(f"num_samples must be >= 1, got {num_samples}")
    ck = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    g = ck.grid_size
    shape = output_shape(g, structure.size)
    air = structure.blocks == 0
    if free is None:
        free = region_mask(shape, structure.size, region=region, above=above, fill_air=air if fill_air else None)
    elif region is not None or above is not None or fill_air or free.shape != shape or not free.any():
        raise ConfigError(f"free must be the only way given, a non-empty bool mask of shape {shape}")
    run = prepare_sampling(ck, settings)
    # the structure in the output box: given states (vocabulary ids or stand-ins; beyond it: air)
    given = np.zeros(shape, dtype=np.int64)
    sx, sy, sz = structure.size
    given[:sx, :sy, :sz] = stand_ins(structure.palette, ck.vocabulary)[structure.blocks.astype(np.int64)]
    todo = np.broadcast_to(np.where(free, -1, given), (num_samples, *shape)).copy()
    labels = run.labels(0, num_samples)
    blocks, windows = fill_windows(run, ck.eval_model(run.device), todo, labels=labels, overlap=overlap,
                                   progress=progress)
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
        meta = {**base, "seed": run.settings.seed + i, "label": run.label_name(labels, i)}
        out.append(VoxelGrid(res, palette, meta).compact())
    return out
