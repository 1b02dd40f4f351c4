"""Seams of builds larger than the grid: overlapping, conditioned windows against a naive tiling.

Usage::

    python benchmarks/seam_bench.py --checkpoint /tmp/study/masked-p4/checkpoints/latest.pt
    python benchmarks/seam_bench.py --checkpoint ... --quick     # 2 samples, not saved

Both methods are :func:`mcgen.generate.windows.generate_large` (what ``mcgen sample --size`` runs), raw:
``overlap`` = half the grid (each window conditioned on what its neighbours placed) against
``overlap 0`` (windows side by side, each sampled on its own: the naive tiling).

A **seam** is a plane where a window's generated part meets what was there before (naive: every
grid edge; overlapped: where each later window's new voxels begin). At a plane, a block *ends
flush* when it touches the plane and the cell across it is air. The cut rate of a plane is the
share of its touching blocks that end flush; a seam **cuts a building part** when that rate is
above 0.5 (more than half of what reaches the plane stops there). The same rate on planes that
are no seam of that method is its own control: how often builds end at an arbitrary plane.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, git_state, utc_now, write_result  # noqa: E402

CUT = 0.5


def plane_cut_rate(solid: np.ndarray, axis: int, at: int) -> float | None:
    """Share of the blocks touching plane ``at`` (between cells at-1 and at) along ``axis`` (0 = x,
    2 = z) whose neighbour across it is air; None when no block touches it."""
    a = np.take(solid, at - 1, axis=axis)
    b = np.take(solid, at, axis=axis)
    touching = int(a.sum() + b.sum())
    if not touching:
        return None
    return float(((a & ~b).sum() + (b & ~a).sum()) / touching)


def seams_of(length: int, g: int, overlap: int) -> list[int]:
    """Planes where a later window's new voxels begin (the end of the voxels generated before)."""
    from mcgen.generate.windows import window_starts

    starts = window_starts(length, g, overlap)
    return sorted({s + g for s in starts[:-1] if s + g < length})  # each window ends where the next one's new part begins


def measure(grids: list, g: int, overlap: int) -> dict:
    """Seam and control cut rates over the x and z planes of all grids."""
    seam_rates, control_rates = [], []
    for grid in grids:
        solid = grid.blocks != 0
        for axis, length in ((0, grid.size[0]), (2, grid.size[2])):
            seams = set(seams_of(length, g, overlap))
            for at in range(1, length):
                r = plane_cut_rate(solid, axis, at)
                if r is None:
                    continue
                (seam_rates if at in seams else control_rates).append(r)
    s, c = np.array(seam_rates), np.array(control_rates)
    return {"seams": len(s), "seams_cut": round(float((s > CUT).mean()), 4) if len(s) else None,
            "seam_cut_rate": round(float(s.mean()), 4) if len(s) else None,
            "control_planes": len(c), "control_cut": round(float((c > CUT).mean()), 4) if len(c) else None,
            "control_cut_rate": round(float(c.mean()), 4) if len(c) else None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", type=Path, required=True)
    p.add_argument("--size", type=int, nargs=3, default=[48, 16, 48])
    p.add_argument("--num-samples", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tag", default="synthetic")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args(argv)
    import torch

    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.generate.windows import generate_large
    from mcgen.generate.setup import SampleSettings
    from mcgen.render import contact_sheet

    torch.set_num_threads(a.threads)
    ck = load_checkpoint(a.checkpoint)
    g = ck.grid_size
    n = 2 if a.quick else a.num_samples
    rows, shown = {}, []
    for name, overlap in (("overlapping", g // 2), ("naive tiling", 0)):
        t = time.perf_counter()
        grids = generate_large(ck, tuple(a.size), num_samples=n, overlap=overlap,
                               settings=SampleSettings(seed=a.seed, device=a.device))
        rows[name] = {"overlap": overlap, "windows": grids[0].meta["windows"], "seconds": round(time.perf_counter() - t, 1),
                      **measure(grids, g, overlap)}
        print(name, rows[name], flush=True)
        shown += [(f"{name} {i}", grid) for i, grid in enumerate(grids[:3])]
    if a.quick:
        return 0
    contact_sheet(shown, ROOT / "docs" / f"seams_{a.tag}.png", cols=3, cell=220)
    doc = {"kind": "seam_bench", "tag": a.tag, "checkpoint": str(a.checkpoint), "size": a.size, "num_samples": n,
           "grid": g, "cut_threshold": CUT, "rows": rows, "machine": describe_machine(), "git": git_state(),
           "command": " ".join(["python benchmarks/seam_bench.py", *(argv if argv is not None else sys.argv[1:])]),
           "date": utc_now()}
    write_result(doc, f"seam_bench_{a.tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
