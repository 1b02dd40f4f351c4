"""An in-game fallback for lighting: a tiny data pack with ``/function mcgen:relight``.

mcgen saves every touched chunk without light data and with ``isLightOn = 0``, which tells the
game to recompute light when it loads the chunk (see :func:`mcgen.world.level.save_level`).
Reports against amulet say placed light sources sometimes still stay dark until a block next to
them changes (most likely saves made with a plain ``level.save()``, which keeps stale light;
we cannot run the game here to rule the rest out). As a fallback the function changes
each pasted light source to a barrier and back (the barrier is a full block, so attached
torches stay), which makes the game re-propagate its light. Every line is guarded by
``execute if block`` so that, after ``world restore``, it does nothing where the source is gone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mcgen.fsutil import atomic_write_text
from mcgen.world.blockinfo import emits_light

PACK = Path("datapacks") / "mcgen"
# pack_format by first DataVersion of each range (Minecraft wiki); newer games also read the range.
_PACK_FORMATS = [(0, 6), (2724, 7), (2860, 8), (2975, 9), (3105, 10), (3337, 12), (3463, 15), (3578, 18),
                 (3698, 26), (3837, 41), (3953, 48), (4080, 57), (4189, 61), (4325, 71), (4435, 80),
                 (4438, 81), (4554, 88), (4671, 94)]
# block entities would be emptied by the toggle, and fluids do not need it
_SKIP = ("furnace", "smoker", "blast_furnace", "campfire", "soul_campfire", "lava", "beacon", "conduit",
         "respawn_anchor")


def pack_format(data_version: int) -> int:
    """Data-pack format number of the game that wrote ``data_version``."""
    return max(fmt for dv, fmt in _PACK_FORMATS if dv <= data_version)


def light_commands(grid, origin: tuple[int, int, int]) -> list[str]:
    """Two guarded ``setblock`` lines per light source of ``grid`` placed at ``origin``."""
    lines = []
    ox, oy, oz = origin
    for k, state in enumerate(grid.palette):
        if not k or not emits_light(state) or state.split("[")[0].split(":")[1] in _SKIP:
            continue
        for x, y, z in zip(*np.nonzero(grid.blocks == k)):
            pos = f"{ox + int(x)} {oy + int(y)} {oz + int(z)}"
            lines.append(f"execute if block {pos} {state} run setblock {pos} minecraft:barrier")
            lines.append(f"execute if block {pos} minecraft:barrier run setblock {pos} {state}")
    return lines


def add_relight(world: Path, data_version: int, lines: list[str]) -> Path | None:
    """Append ``lines`` (deduplicated) to ``mcgen:relight`` in the save's data pack.

    Returns the function file, or None when there is nothing to add.
    """
    if not lines:
        return None
    world = Path(world)
    fmt = pack_format(data_version)
    meta = ('{"pack": {"pack_format": %d, "supported_formats": [6, 999], "min_format": 6, "max_format": 999,'
            ' "description": "mcgen: /function mcgen:relight re-lights pasted light sources"}}\n' % fmt)
    atomic_write_text(world / PACK / "pack.mcmeta", meta)
    target = None
    for folder in ("functions", "function"):  # before / from 1.21
        path = world / PACK / "data" / "mcgen" / folder / "relight.mcfunction"
        old = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        merged = list(dict.fromkeys([ln for ln in old if ln and not ln.startswith("#")] + lines))
        head = "# made by mcgen: run `/function mcgen:relight` near your builds if a light source stays dark\n"
        atomic_write_text(path, head + "\n".join(merged) + "\n")
        target = path
    return target
