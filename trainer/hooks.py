"""Evaluation hook called every ``--eval-every`` steps (rank 0, EMA weights).

The hook receives an :class:`EvalContext` and returns a flat dict of numbers that goes into
``metrics.jsonl`` as ``{"step": ..., "eval": {...}}``. It uses
``mcgen.evaluate.quick_eval(samples, reference) -> dict`` when that exists and otherwise a few
cheap built-in statistics, so the hook always reports something real.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from mcgen.grid import VoxelGrid


@dataclass
class EvalContext:
    """What an evaluation gets to look at.

    Attributes:
        step: optimizer steps done.
        samples: grids freshly sampled from the EMA model.
        reference: a few training grids (for distribution comparisons).
        model: the EMA model (eval mode), for hooks that sample more themselves.
        sample_fn: ``sample_fn(n) -> list[VoxelGrid]`` drawing more samples the same way.
    """

    step: int
    samples: list[VoxelGrid]
    reference: list[VoxelGrid]
    model: torch.nn.Module
    sample_fn: Callable[[int], list[VoxelGrid]]


def builtin_stats(samples: list[VoxelGrid], reference: list[VoxelGrid]) -> dict[str, float]:
    """Fill fraction and distinct states of samples vs. reference (plain numpy)."""
    def fill(grids: list[VoxelGrid]) -> float:
        return float(np.mean([g.count() / max(g.blocks.size, 1) for g in grids])) if grids else 0.0

    def distinct(grids: list[VoxelGrid]) -> float:
        return float(np.mean([len(g.histogram()) for g in grids])) if grids else 0.0

    return {"fill": fill(samples), "fill_ref": fill(reference),
            "distinct_states": distinct(samples), "distinct_states_ref": distinct(reference)}


def evaluate(ctx: EvalContext) -> dict[str, float | None]:
    """Run the evaluation for ``ctx``: ``mcgen.evaluate.quick_eval`` if present, else built-in stats."""
    try:
        from mcgen.evaluate import quick_eval
    except ImportError:  # evaluation package not installed / older: built-in numbers
        return builtin_stats(ctx.samples, ctx.reference)
    result = quick_eval(ctx.samples, ctx.reference)
    return {k: (None if v is None else float(v)) for k, v in dict(result).items()
            if v is None or isinstance(v, (int, float))}
