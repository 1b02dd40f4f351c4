"""How well a voxel tokenizer reconstructs builds (``mcgen tokenizer eval``).

Figures, pooled over the set and per label: **occupancy IoU** (solid voxels of input and
reconstruction, intersection over union), **solid-block accuracy** (share of the input's solid
voxels that come back as the same block state), and the **same-block neighbour share** of input
and reconstruction (:mod:`mcgen.evaluate.local`), so a tokenizer that smooths a build into one
material, or speckles it, shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from mcgen.evaluate.local import neighbour_pairs, same_block_share


@torch.no_grad()
def reconstruct(tokenizer: torch.nn.Module, blocks: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """(N, G, G, G) block indices -> their reconstructions (encode, quantise, decode), in batches."""
    outs = [tokenizer.decode_blocks(tokenizer.encode(blocks[i:i + batch].long())) for i in range(0, len(blocks), batch)]
    return torch.cat(outs).to(blocks.device) if outs else blocks.long().clone()


def _figures(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    sx, sy = x != 0, y != 0
    union = int((sx | sy).sum())
    solid = int(sx.sum())
    return {"count": int(len(x)),
            "occupancy_iou": float((sx & sy).sum() / union) if union else 1.0,
            "solid_block_accuracy": float(((x == y) & sx).sum() / solid) if solid else 1.0,
            "same_block_input": same_block_share(neighbour_pairs(x)),
            "same_block_reconstruction": same_block_share(neighbour_pairs(y))}


def reconstruction_report(inputs: np.ndarray, outputs: np.ndarray, labels: Sequence[str | None]) -> dict[str, Any]:
    """The figures (module docstring) for the whole set and per label.

    Args:
        inputs: (N, G, G, G) block indices.
        outputs: (N, G, G, G) their reconstructions.
        labels: the label of each grid (``None``: unlabelled).
    """
    report: dict[str, Any] = {"all": _figures(inputs, outputs), "labels": {}}
    names = sorted({lab for lab in labels if lab is not None})
    lab = np.array([str(v) for v in labels])
    for name in names:
        idx = np.nonzero(lab == name)[0]
        report["labels"][name] = _figures(inputs[idx], outputs[idx])
    return report


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of :func:`reconstruction_report`."""
    head = f"{'label':<18} {'n':>5} {'occ IoU':>8} {'block acc':>9} {'same-block in':>13} {'recon':>7}"
    rows = [head, "-" * len(head)]
    items = [("all", report["all"]), *report["labels"].items()]
    for name, f in items:
        rows.append(f"{name:<18} {f['count']:>5} {f['occupancy_iou']:>8.3f} {f['solid_block_accuracy']:>9.3f} "
                    f"{f['same_block_input']:>13.3f} {f['same_block_reconstruction']:>7.3f}")
    return "\n".join(rows)
