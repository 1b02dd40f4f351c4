"""Procedural dataset: recognisable Minecraft builds with randomised dimensions and materials.

``generate_sample(seed, index, size)`` draws one build; ``generate_dataset`` draws many with
the archetypes in turn (index modulo the archetype count), so label counts stay balanced.
Every sample fits the grid, stands on ``y = 0``, is one 6-connected piece, uses only
``DEFAULT_VOCAB`` states and carries its archetype in ``meta["label"]``. The same arguments
give the same grids on every machine (NumPy's PCG64 seeded from ``[seed, index, size]``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from mcgen.errors import ConfigError
from mcgen.grid import VoxelGrid
from mcgen.synth import buildings, landmarks
from mcgen.synth.canvas import Canvas, components, connection_problems
from mcgen.vocab import DEFAULT_VOCAB

GENERATOR = "mcgen.synth 1"
SIZES = (16, 32)

ARCHETYPES: dict[str, Callable[[Canvas, bool], None]] = {
    "house": buildings.house,
    "tower": buildings.tower,
    "hut": buildings.hut,
    "wall": landmarks.wall,
    "bridge": landmarks.bridge,
    "well": landmarks.well,
    "lighthouse": buildings.lighthouse,
    "pyramid": landmarks.pyramid,
    "windmill": buildings.windmill,
    "tree": landmarks.tree,
}
LABELS: tuple[str, ...] = tuple(ARCHETYPES)

__all__ = ["ARCHETYPES", "GENERATOR", "LABELS", "SIZES", "check_sample", "generate_dataset", "generate_sample"]


def _check_size(size: int) -> None:
    if size not in SIZES:
        raise ConfigError(f"grid size must be one of {', '.join(map(str, SIZES))}, got {size}")


def generate_sample(seed: int, index: int, size: int = 16, *, label: str | None = None,
                    attempt: int = 0) -> VoxelGrid:
    """Draw one build.

    Args:
        seed: dataset seed.
        index: sample number; picks the archetype (``LABELS[index % len(LABELS)]``) unless
            ``label`` is given.
        size: grid edge (16 or 32); 32-grids get larger, more detailed builds.
        label: force an archetype.
        attempt: redraw number (``generate_dataset`` uses it to replace duplicates).

    Returns:
        A ``(size, size, size)`` grid with a compact palette and
        ``meta = {"label", "seed", "index", "size"}``.

    Raises:
        ConfigError: unsupported size or unknown label.
    """
    _check_size(size)
    label = LABELS[index % len(LABELS)] if label is None else label
    if label not in ARCHETYPES:
        raise ConfigError(f"unknown archetype {label!r} (known: {', '.join(LABELS)})")
    rng = np.random.default_rng([seed & 0xFFFFFFFF, index, size, attempt, LABELS.index(label)])
    canvas = Canvas(size, rng)
    ARCHETYPES[label](canvas, size >= 32)
    blocks = canvas.finish()
    grid = VoxelGrid(blocks, list(DEFAULT_VOCAB.states))
    turns = int(rng.integers(0, 4))
    grid = grid.transformed(turns).compact()
    grid.meta = {"label": label, "seed": int(seed), "index": int(index), "size": int(size)}
    if attempt:
        grid.meta["attempt"] = attempt
    return grid


def _digest(grid: VoxelGrid) -> bytes:
    index = grid.remap(list(DEFAULT_VOCAB.states)).astype(np.uint16)
    return hashlib.sha1(index.tobytes()).digest()


def _one(args: tuple[int, int, int, int]) -> VoxelGrid:
    seed, index, size, attempt = args
    return generate_sample(seed, index, size, attempt=attempt)


def generate_dataset(count: int, size: int = 16, seed: int = 0, *, workers: int = 1,
                     progress: Callable[[int, int], None] | None = None) -> list[VoxelGrid]:
    """Draw ``count`` distinct builds (a duplicate is redrawn with the next ``attempt``).

    The result does not depend on ``workers`` (processes used to draw).

    Raises:
        ConfigError: ``count`` < 1, bad size or ``workers`` < 1.
    """
    if count < 1:
        raise ConfigError(f"count must be at least 1, got {count}")
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    _check_size(size)
    jobs = [(seed, i, size, 0) for i in range(count)]
    if workers > 1 and count > 1:
        from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

        with ProcessPoolExecutor(max_workers=workers) as pool:
            grids = []
            for g in pool.map(_one, jobs, chunksize=max(1, count // (8 * workers))):
                grids.append(g)
                if progress:
                    progress(len(grids), count)
    else:
        grids = []
        for job in jobs:
            grids.append(_one(job))
            if progress:
                progress(len(grids), count)
    seen: set[bytes] = set()
    for i, g in enumerate(grids):
        attempt = 0
        while (key := _digest(g)) in seen:
            attempt += 1
            g = generate_sample(seed, i, size, attempt=attempt)
        seen.add(key)
        grids[i] = g
    return grids


def check_sample(grid: VoxelGrid, size: int | None = None) -> list[str]:
    """The generator's invariants, as a list of broken ones (empty when the sample is good)."""
    problems = []
    if size is not None and grid.size != (size, size, size):
        problems.append(f"size {grid.size} != {size}")
    unknown = [s for s in grid.palette if s not in DEFAULT_VOCAB]
    if unknown:
        problems.append(f"states outside the vocabulary: {unknown}")
        return problems
    solid = grid.solid
    if not solid.any():
        return problems + ["empty"]
    if not solid[:, 0, :].any():
        problems.append("nothing on y=0")
    n = int(components(solid).max())
    if n != 1:
        problems.append(f"{n} separate pieces")
    if str(grid.meta.get("label")) not in ARCHETYPES:
        problems.append(f"label {grid.meta.get('label')!r}")
    index = grid.remap(list(DEFAULT_VOCAB.states))
    bad = connection_problems(index)
    if bad:
        problems.append(f"fence/pane connections wrong at {bad[:3]}")
    problems += _door_problems(grid)
    return problems


def _door_problems(grid: VoxelGrid) -> list[str]:
    out = []
    pal = grid.palette
    for i in (i for i, st in enumerate(pal) if "_door[" in st and "half=lower" in st):
        upper = pal.index(pal[i].replace("half=lower", "half=upper")) if pal[i].replace("half=lower", "half=upper") in pal else -1
        for x, y, z in np.argwhere(grid.blocks == i):
            if y + 1 >= grid.size[1] or grid.blocks[x, y + 1, z] != upper:
                out.append(f"door at {(int(x), int(y), int(z))} lacks its upper half")
    for i in (i for i, st in enumerate(pal) if "_door[" in st and "half=upper" in st):
        lower = pal.index(pal[i].replace("half=upper", "half=lower")) if pal[i].replace("half=upper", "half=lower") in pal else -1
        for x, y, z in np.argwhere(grid.blocks == i):
            if y == 0 or grid.blocks[x, y - 1, z] != lower:
                out.append(f"door at {(int(x), int(y), int(z))} lacks its lower half")
    return out
