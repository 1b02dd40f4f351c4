"""``generate``: checkpoint in, structures (``VoxelGrid``) out, without touching disk.

Sampling goes through the checkpoint's objective (:mod:`mcgen.ml.objectives`) with the settings
of :class:`.setup.SampleSettings`; seeding as :mod:`.setup` describes, so sample ``i`` does not
depend on the batch it ran in. Each sample is then cleaned up (:mod:`.clean`) unless
``clean="none"``.
"""

from __future__ import annotations

from pathlib import Path

from mcgen.errors import ConfigError
from mcgen.generate.clean import CLEANUPS, DEFAULT_CLEANUP, cleanup
from mcgen.generate.setup import Progress, SampleSettings, prepare_sampling
from mcgen.grid import VoxelGrid
from mcgen.ml.checkpoint import Checkpoint


def generate(
    checkpoint: str | Path | Checkpoint,
    num_samples: int,
    settings: SampleSettings | None = None,
    *,
    batch_size: int = 16,
    progress: Progress | None = None,
    clean: str = DEFAULT_CLEANUP,
) -> list[VoxelGrid]:
    """Sample structures from a checkpoint's EMA model.

    Args:
        checkpoint: a path or a loaded :class:`~mcgen.ml.checkpoint.Checkpoint`.
        num_samples: how many structures.
        settings: seed, label, guidance, sampler, steps, temperature, device
            (:class:`~.setup.SampleSettings`; ``None`` = every default).
        batch_size: structures per network batch.
        progress: optional ``callable(done, total)`` called after each batch.
        clean: post-sampling clean-up, one of :data:`.clean.CLEANUPS` (``"none"`` = the
            model's raw output).

    Returns:
        ``num_samples`` grids (vocabulary palette, compacted) with ``meta``: checkpoint, step,
        objective, sampler, steps, seed, label, mcgen_version, cleanup, cleanup_removed (and
        temperature when given).

    Raises:
        CheckpointError: the checkpoint cannot be loaded.
        ConfigError: bad counts, sampler, label or device.
    """
    if num_samples < 1 or batch_size < 1:
        raise ConfigError(f"num_samples and batch_size must be >= 1, got {num_samples}, {batch_size}")
    if clean not in CLEANUPS:
        raise ConfigError(f"unknown clean-up {clean!r}; choose one of {', '.join(CLEANUPS)}")
    run = prepare_sampling(checkpoint, settings)
    ck, seed = run.ck, run.settings.seed
    model = ck.eval_model(run.device)
    meta = {**run.meta(), "seed": seed, "label": run.settings.label}
    grids: list[VoxelGrid] = []
    for first in range(0, num_samples, batch_size):
        count = min(batch_size, num_samples - first)
        labels = run.labels(first, count)
        blocks = run.sample(model, count, seed=seed + first, labels=labels)
        for i, arr in enumerate(blocks.cpu().numpy()):
            item = dict(meta)
            if labels is not None:
                item["label"] = run.label_name(labels, i)
            grid, removed = cleanup(VoxelGrid(arr, ck.vocabulary, item), clean)
            grid.meta.update(cleanup=clean, cleanup_removed=removed)
            grids.append(grid.compact())
        if progress is not None:
            progress(len(grids), num_samples)
    return grids
