"""Small hand-made datasets and buildings for the trainer tests (no dependency on mcgen.synth)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mcgen.blocks import format_state
from mcgen.grid import VoxelGrid, save_json, save_npz
from mcgen.vocab import DEFAULT_VOCAB

VOCAB = list(DEFAULT_VOCAB.states)


def _pane(dirs: tuple[str, ...]) -> str:
    props = {d: ("true" if d in dirs else "false") for d in ("north", "east", "south", "west")}
    props["waterlogged"] = "false"
    return format_state("minecraft:glass_pane", props)


def house(size: int = 16, w: int = 7, d: int = 5, h: int = 4, x0: int = 4, z0: int = 5) -> VoxelGrid:
    """A small house with direction-bearing blocks placed correctly.

    Walls of planks on a stone floor, oak log corner posts (axis y) and a log beam (axis x) along
    the north wall top, a door in the south wall facing south, glass panes in the east/west walls
    connected north-south, in the north/south walls connected east-west, and a ring of stairs
    around the roof edge facing outwards... (stairs' ``facing`` is where the back/high side
    points, so an eave on the north side faces south.)
    """
    s = np.full((size, size, size), "minecraft:air", dtype=object)
    x1, z1 = x0 + w - 1, z0 + d - 1
    s[x0:x1 + 1, 0, z0:z1 + 1] = "minecraft:stone_bricks"
    for y in range(1, h + 1):
        s[x0:x1 + 1, y, z0] = s[x0:x1 + 1, y, z1] = "minecraft:oak_planks"
        s[x0, y, z0:z1 + 1] = s[x1, y, z0:z1 + 1] = "minecraft:oak_planks"
        for cx, cz in ((x0, z0), (x0, z1), (x1, z0), (x1, z1)):
            s[cx, y, cz] = "minecraft:oak_log[axis=y]"
    s[x0 + 1:x1, h, z0] = "minecraft:oak_log[axis=x]"
    door = x0 + w // 2
    s[door, 1, z1] = format_state("minecraft:oak_door", {"facing": "south", "half": "lower", "hinge": "left",
                                                         "open": "false", "powered": "false"})
    s[door, 2, z1] = format_state("minecraft:oak_door", {"facing": "south", "half": "upper", "hinge": "left",
                                                         "open": "false", "powered": "false"})
    s[x0 + 1, 2, z1] = s[x1 - 1, 2, z1] = _pane(("east", "west"))
    s[x0, 2, z0 + d // 2] = s[x1, 2, z0 + d // 2] = _pane(("north", "south"))
    stair = lambda f: format_state("minecraft:oak_stairs", {"facing": f, "half": "bottom",  # noqa: E731
                                                            "shape": "straight", "waterlogged": "false"})
    top = h + 1
    s[x0 + 1:x1, top, z0 - 1] = stair("south")
    s[x0 + 1:x1, top, z1 + 1] = stair("north")
    s[x0 - 1, top, z0:z1 + 1] = stair("east")
    s[x1 + 1, top, z0:z1 + 1] = stair("west")
    s[x0:x1 + 1, top, z0:z1 + 1] = "minecraft:oak_planks"
    s[x0 + 2, 1, z0 + 1] = "minecraft:oak_fence[east=false,north=false,south=false,waterlogged=false,west=false]"
    return VoxelGrid.from_states(s, {"label": "house"})


def tower(size: int = 16, r: int = 2, h: int = 9, cx: int = 8, cz: int = 8) -> VoxelGrid:
    """A stone tower with a torch on top."""
    s = np.full((size, size, size), "minecraft:air", dtype=object)
    s[cx - r:cx + r + 1, 0:h, cz - r:cz + r + 1] = "minecraft:cobblestone"
    s[cx - r + 1:cx + r, 1:h, cz - r + 1:cz + r] = "minecraft:air"
    s[cx, h, cz] = "minecraft:torch"
    return VoxelGrid.from_states(s, {"label": "tower"})


def write_dataset(root: Path, count: int = 8, labels: bool = True, size: int = 16,
                  held_out: tuple[int, ...] = ()) -> Path:
    """A dataset folder in the INTERFACES.md layout: houses and towers of varying size.

    ``held_out`` sample indices get ``"split": "held_out"`` in their meta (the others ``train``),
    as ``mcgen dataset import --split-by series`` writes them.
    """
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    counts: dict[str, int] = {}
    for i in range(count):
        if i % 2 == 0:
            g = house(size, w=int(rng.integers(5, 9)), d=int(rng.integers(4, 7)), h=int(rng.integers(3, 6)))
        else:
            g = tower(size, r=int(rng.integers(1, 3)), h=int(rng.integers(5, 12)))
        if not labels:
            g.meta.pop("label", None)
        g.meta.update(seed=i, index=i)
        if held_out:
            g.meta["split"] = "held_out" if i in held_out else "train"
        counts[g.meta.get("label", "")] = counts.get(g.meta.get("label", ""), 0) + 1
        d = root / f"sample_{i:04d}"
        save_json(g, d / "data.json")
        save_npz(g, d / "voxels.npz")
    manifest = {"format": "mcgen.dataset", "version": 1, "count": count, "size": size, "vocabulary": VOCAB,
                "labels": {k: v for k, v in counts.items() if k} if labels else {},
                "generator": "tests", "seed": 0, "mcgen_version": "test"}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root
