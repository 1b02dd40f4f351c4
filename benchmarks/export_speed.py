"""Write the same 500 structures as Sponge .schem with mcgen, mcschematic and amulet-core; print files/s.

Run: ``.venv/bin/python benchmarks/export_speed.py [--n 500] [--size 16]``. All three writers run
in this one process on the same structures, so the ratios are comparable; each writes real
files into a temporary folder.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB


def structures(n: int, size: int) -> list[VoxelGrid]:
    """``n`` random houses-like grids (40 % solid) over the default vocabulary."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        b = rng.integers(1, len(DEFAULT_VOCAB), size=(size, size, size))
        b[rng.random(b.shape) < 0.6] = 0
        out.append(VoxelGrid(b, list(DEFAULT_VOCAB.states)))
    return out


def ours(grids: list[VoxelGrid], folder: Path) -> None:
    """Encode and write plainly, like the other two writers (no fsync)."""
    from mcgen.export.writers import encode

    for i, g in enumerate(grids):
        (folder / f"o{i}.schem").write_bytes(encode(g, "schem", mc_version="1.20.4"))


def ours_atomic(grids: list[VoxelGrid], folder: Path) -> None:
    """What `mcgen export` does: atomic write with fsync (disk-bound)."""
    from mcgen.export.writers import write_file

    for i, g in enumerate(grids):
        write_file(g, folder / f"o{i}.schem", "schem", mc_version="1.20.4")


def with_mcschematic(grids: list[VoxelGrid], folder: Path) -> None:
    import mcschematic

    for i, g in enumerate(grids):
        schem = mcschematic.MCSchematic()
        pal = g.palette
        xs, ys, zs = np.nonzero(g.blocks)  # mcschematic has no bulk API: one call per block
        for x, y, z in zip(xs.tolist(), ys.tolist(), zs.tolist()):
            schem.setBlock((x, y, z), pal[g.blocks[x, y, z]])
        schem.save(str(folder), f"m{i}", mcschematic.Version.JE_1_20_1)


def with_amulet(grids: list[VoxelGrid], folder: Path) -> None:
    from amulet.api.block import Block
    from amulet.api.chunk import Chunk
    from amulet.api.selection import SelectionBox, SelectionGroup
    from amulet.level.formats.sponge_schem import SpongeSchemFormatWrapper
    from amulet_nbt import StringTag

    blocks = {}
    for i, g in enumerate(grids):
        sx, sy, sz = g.size
        w = SpongeSchemFormatWrapper(str(folder / f"a{i}.schem"))
        w.create_and_open("java", 3700, SelectionGroup(SelectionBox((0, 0, 0), (sx, sy, sz))), overwrite=True)
        chunk = Chunk(0, 0)
        lut = []
        for s in g.palette:
            if s not in blocks:
                name, _, body = s.partition("[")
                ns, bid = name.split(":")
                props = dict(kv.split("=") for kv in body.rstrip("]").split(",")) if body else {}
                blocks[s] = Block(ns, bid, {k: StringTag(v) for k, v in props.items()})
            lut.append(chunk.block_palette.get_add_block(blocks[s]))
        chunk.blocks[0:sx, 0:sy, 0:sz] = np.array(lut, dtype=np.uint32)[g.blocks]
        w.commit_chunk(chunk, "main")
        w.save()
        w.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=5, help="interleave the writers over this many chunks")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # amulet logs a line per block it cannot translate
    grids = structures(args.n, args.size)
    writers = (("mcgen", ours), ("mcgen+fsync", ours_atomic), ("mcschematic", with_mcschematic),
               ("amulet-core", with_amulet))
    chunks = np.array_split(np.arange(args.n), args.rounds)
    rates: dict[str, list[float]] = {name: [] for name, _ in writers}
    # Interleaving the writers chunk by chunk spreads a busy machine's noise over all of them.
    for chunk in chunks:
        part = [grids[i] for i in chunk]
        for name, fn in writers:
            if name not in rates:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                try:
                    fn(part, Path(tmp))
                except Exception as exc:  # a third-party writer failing is a result, not a crash
                    print(f"{name}: failed: {type(exc).__name__}: {exc}")
                    del rates[name]
                    continue
                rates[name].append(len(part) / (time.perf_counter() - t0))
    med = {name: float(np.median(r)) for name, r in rates.items() if r}
    base = med.get("mcgen")
    print(f"{args.n} structures of {args.size}^3 in {args.rounds} interleaved rounds, Sponge .schem v2")
    print(f"{'writer':<14}{'files/s (median)':>18}{'best round':>12}{'mcgen (plain) is x faster':>27}")
    for name, fps in med.items():
        ratio = f"{base / fps:.1f}" if base else "-"
        print(f"{name:<14}{fps:>18.1f}{max(rates[name]):>12.1f}{ratio:>27}")


if __name__ == "__main__":
    main()
