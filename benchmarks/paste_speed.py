"""Paste speed: amulet's per-block ``set_version_block`` vs mcgen's whole-slice numpy writes, and
Bedrock saves against Java saves.

Pastes ``--count`` random 16^3 vocabulary buildings (half air) into fresh copies of a fixture
world both ways, saves, and prints the time of each phase and the ratio (including save time).
Also times the full safe ``mcgen.world.paste`` (staging copy, backup, swap) for the same set.

Editions: the same 4 buildings of 16^3 pasted with the full safe ``mcgen.world.paste`` (resting on
the ground, backup and save included) into a Java and a Bedrock save, in one run: fresh flat saves
made by ``world new`` of each edition, and copies of the 1.18 superflat fixtures of both editions
(``--create-chunks``: the Bedrock fixture has 6 chunks). Each paste goes into a fresh copy;
the median of ``--repeats`` is reported with the Bedrock / Java ratio (target: within 3x).

    .venv/bin/python benchmarks/paste_speed.py [--count 100] [--world ../shared/fixtures/worlds/mc1_18_superflat]
    .venv/bin/python benchmarks/paste_speed.py --editions-only [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
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
FIXTURES = ROOT.parent / "shared" / "fixtures" / "worlds"
DEFAULT_WORLD = FIXTURES / "mc1_18_superflat"
# (setup, Java fixture, Bedrock fixture, y): None fixtures = fresh ``world new`` saves, where every
# building rests on the ground; the Bedrock fixture lacks most chunks, so there at y = -60 (its grass is -61)
EDITION_PAIRS = (("world new (Java 1.21.3 / Bedrock 1.21.60)", None, None, None),
                 ("1.18 superflat fixtures", "mc1_18_superflat", "bedrock1_18_superflat", -60),
                 ("1.16 fixtures (Java 1.16.5 flat 3.6 MB, Bedrock 1.16.200 terrain 3.9 MB)", "mc1_16_5_flat_everyblock",
                  "bedrock1_16_vanilla", None))


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


def writable_copy(src: Path, dst: Path) -> Path:
    """A copy of a save whose files and folders are writable (the fixtures are read-only)."""
    shutil.copytree(src, dst)
    for p in [dst, *dst.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return dst


def timed_paste(src: Path, dst: Path, grids: list[VoxelGrid], y: int | None) -> float:
    """Seconds of one safe paste of ``grids`` (4 blocks apart, at ``y`` or on the ground) into a fresh copy of ``src``."""
    writable_copy(src, dst)
    corners = grid_layout([g.size for g in grids], (1, 1), spacing=4)
    t0 = time.perf_counter()
    paste(dst, [Placement(g, x, y, z) for g, (x, z) in zip(grids, corners)], create_chunks=True)
    seconds = time.perf_counter() - t0
    shutil.rmtree(dst)
    return seconds


def compare_editions(tmp: Path, repeats: int) -> list[tuple[str, float, float]]:
    """``(setup, Java median s, Bedrock median s)`` for 4 buildings of 16^3 (alternating the editions)."""
    grids = buildings(4, 16, seed=1)
    out = []
    for label, java_name, bedrock_name, y in EDITION_PAIRS:
        if java_name is None:
            java = new_world(tmp / "java_new", mc_version="1.21.3", radius_chunks=4, seed=1)
            bedrock = new_world(tmp / "bedrock_new", edition="bedrock", radius_chunks=4, seed=1)
        elif (FIXTURES / java_name).is_dir() and (FIXTURES / bedrock_name).is_dir():
            java, bedrock = FIXTURES / java_name, FIXTURES / bedrock_name
        else:
            continue
        times: dict[str, list[float]] = {"java": [], "bedrock": []}
        for r in range(repeats):
            times["java"].append(timed_paste(java, tmp / f"j{r}", grids, y))
            times["bedrock"].append(timed_paste(bedrock, tmp / f"b{r}", grids, y))
        out.append((label, statistics.median(times["java"]), statistics.median(times["bedrock"])))
    return out


def print_editions(rows: list[tuple[str, float, float]], repeats: int) -> None:
    print(f"4 buildings of 16^3, safe paste (staging, backup, save, swap), median of {repeats}"
          f" on {platform.processor() or platform.machine()} ({os.cpu_count()} CPUs visible):")
    for label, java_s, bedrock_s in rows:
        print(f"  {label}: Java {java_s:5.2f} s   Bedrock {bedrock_s:5.2f} s   Bedrock / Java {bedrock_s / java_s:4.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--world", type=Path, default=DEFAULT_WORLD, help="save to copy (default: the 1.18 fixture)")
    ap.add_argument("--quick", action="store_true", help="10 buildings (also when MCGEN_BENCH_QUICK=1)")
    ap.add_argument("--repeats", type=int, default=3, help="pastes per edition in the edition comparison")
    ap.add_argument("--editions-only", action="store_true", help="only the Bedrock / Java comparison")
    args = ap.parse_args()
    if args.editions_only:
        with tempfile.TemporaryDirectory(prefix="mcgen-bench-") as tmp:
            print_editions(compare_editions(Path(tmp), args.repeats), args.repeats)
        return
    if args.quick or os.environ.get("MCGEN_BENCH_QUICK") == "1":
        args.count = min(args.count, 10)
    grids = buildings(args.count, args.size)
    corners = grid_layout([g.size for g in grids], (0, 0), spacing=4)
    with tempfile.TemporaryDirectory(prefix="mcgen-bench-") as tmp:
        def fresh(name: str) -> Path:
            dst = Path(tmp) / name
            if args.world.is_dir():
                writable_copy(args.world, dst)
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
        editions = compare_editions(Path(tmp), args.repeats)
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
    print_editions(editions, args.repeats)


if __name__ == "__main__":
    main()
