"""Paste speed: amulet's per-block ``set_version_block`` vs mcgen's whole-slice numpy writes.

Pastes ``--count`` random 16^3 vocabulary buildings (half air) into fresh copies of a fixture
world both ways, saves, and prints the time of each phase and the ratio (including save time).
Also times the full safe ``mcgen.world.paste`` (staging copy, backup, swap) for the same set.

    .venv/bin/python benchmarks/paste_speed.py [--count 100] [--world ../shared/fixtures/worlds/mc1_18_superflat]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB
from mcgen.world import Placement, grid_layout, new_world, paste, read_level_info
from mcgen.world import level as lv
from mcgen.world.locate import OVERWORLD

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORLD = ROOT.parent / "shared" / "fixtures" / "worlds" / "mc1_18_superflat"


def buildings(n: int, size: int, seed: int = 0) -> list[VoxelGrid]:
    rng = np.random.default_rng(seed)
    states = list(DEFAULT_VOCAB.states)
    out = []
    for _ in range(n):
        b = rng.integers(1, len(states), (size, size, size))
        b[rng.random(b.shape) < 0.5] = 0
        out.append(VoxelGrid(b, states))
    return out


def run_direct(world: Path, grids: list[VoxelGrid], corners, y: int, per_block: bool) -> tuple[float, float, float]:
    """(chunk load, write, save) seconds straight through amulet on ``world``."""
    level = lv.open_level(world)
    try:
        tl = time.perf_counter()
        for g, (x, z) in zip(grids, corners):  # load (or create) every chunk first: same cost both ways
            for cx in lv.chunk_span(x, x + g.size[0]):
                for cz in lv.chunk_span(z, z + g.size[2]):
                    if not level.has_chunk(cx, cz, OVERWORLD):
                        level.create_chunk(cx, cz, OVERWORLD)
                    level.get_chunk(cx, cz, OVERWORLD)
        t0 = time.perf_counter()
        if per_block:
            for g, (x, z) in zip(grids, corners):
                lv.write_grid_per_block(level, g, (x, y, z))
        else:
            tr = lv.Translator(level)
            for g, (x, z) in zip(grids, corners):
                lv.write_grid(level, tr, g, (x, y, z))
        t1 = time.perf_counter()
        lv.save_level(level)
        t2 = time.perf_counter()
    finally:
        level.close()
    return t0 - tl, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--world", type=Path, default=DEFAULT_WORLD, help="save to copy (default: the 1.18 fixture)")
    ap.add_argument("--quick", action="store_true", help="10 buildings (also when MCGEN_BENCH_QUICK=1)")
    args = ap.parse_args()
    if args.quick or os.environ.get("MCGEN_BENCH_QUICK") == "1":
        args.count = min(args.count, 10)
    grids = buildings(args.count, args.size)
    corners = grid_layout([g.size for g in grids], (0, 0), spacing=4)
    with tempfile.TemporaryDirectory(prefix="mcgen-bench-") as tmp:
        def fresh(name: str) -> Path:
            dst = Path(tmp) / name
            if args.world.is_dir():
                shutil.copytree(args.world, dst)
            else:  # no fixtures: a new flat save
                new_world(dst, mc_version="1.18", radius_chunks=8)
            return dst

        y = read_level_info(fresh("probe")).spawn[1]  # buildings stand on the spawn height
        bulk_l, bulk_w, bulk_s = run_direct(fresh("bulk"), grids, corners, y, per_block=False)
        slow_l, slow_w, slow_s = run_direct(fresh("perblock"), grids, corners, y, per_block=True)
        safe = fresh("safe")
        t0 = time.perf_counter()
        paste(safe, [Placement(g, x, y, z) for g, (x, z) in zip(grids, corners)], create_chunks=True)
        safe_t = time.perf_counter() - t0
    n = args.count
    where = args.world.name if args.world.is_dir() else "a new flat 1.18 save (no fixtures here)"
    print(f"{n} buildings of {args.size}^3 into a copy of {where}")
    print(f"  per-block set_version_block: load chunks {slow_l:6.2f} s  write {slow_w:7.2f} s"
          f" ({1000 * slow_w / n:6.1f} ms/building)  save {slow_s:6.2f} s")
    print(f"  bulk numpy slices:           load chunks {bulk_l:6.2f} s  write {bulk_w:7.2f} s"
          f" ({1000 * bulk_w / n:6.1f} ms/building)  save {bulk_s:6.2f} s")
    print(f"  ratio per-block / bulk: writes {slow_w / bulk_w:6.1f}x   writes + save {(slow_w + slow_s) / (bulk_w + bulk_s):6.1f}x"
          f"   load + writes + save {(slow_l + slow_w + slow_s) / (bulk_l + bulk_w + bulk_s):6.1f}x")
    print(f"  safe mcgen.world.paste (staging, backup, atomic swap), bulk: {safe_t:.2f} s")


if __name__ == "__main__":
    main()
