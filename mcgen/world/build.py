"""Placing several buildings near a point, each on the terrain surface (what ``mcgen build`` pastes)."""

from __future__ import annotations

import os
from pathlib import Path

from mcgen.errors import UsageError
from mcgen.grid import VoxelGrid
from mcgen.world.layout import boxes_overlap, footprint_extent, grid_layout
from mcgen.world.leveldat import OVERWORLD_DIM, read_level_info
from mcgen.world.log import read_log
from mcgen.world.paste import PasteReport, Placement, paste

SPAWN_GAP = 8  # blocks east of the spawn point where the first building starts


def layout_origin(world: Path, sizes: list[tuple[int, int, int]], *, at: tuple[int, int, int] | None,
                  spacing: int) -> tuple[int, int]:
    """North-west corner of the layout: ``at`` itself, or east of spawn, centred on it in z.

    The spawn is read from either ``level.dat`` layout (``SpawnX/Y/Z`` or 1.21.9+ ``spawn``).

    Raises:
        UsageError: no ``at`` and the save has no spawn point, or (1.21.9+) its spawn is in
            another dimension than the overworld, where mcgen pastes.
    """
    if at is not None:
        return at[0], at[2]
    info = read_level_info(world)
    spawn = info.spawn
    if spawn is None:
        raise UsageError("the world has no spawn point in level.dat; pass --at X Y Z")
    if info.spawn_dimension != OVERWORLD_DIM:
        raise UsageError(f"the world spawn is in {info.spawn_dimension}, mcgen builds in the overworld; pass --at X Y Z")
    _, dz = footprint_extent(sizes, spacing)
    return spawn[0] + SPAWN_GAP, spawn[2] - dz // 2


def _clear_of_previous(world: Path, sizes: list[tuple[int, int, int]], origin: tuple[int, int],
                       spacing: int) -> tuple[int, int]:
    """Shift ``origin`` east until the layout's footprints miss every box in ``mcgen_log.json``."""
    previous = [((b["min"][0], 0, b["min"][2]), (b["max"][0] + 1, 1, b["max"][2] + 1))
                for e in read_log(world) for b in e.get("boxes", []) if "min" in b and "max" in b]
    dx, _ = footprint_extent(sizes, spacing)
    ox, oz = origin
    for _ in range(1000):
        mine = [((x - spacing, 0, z - spacing), (x + s[0] + spacing, 1, z + s[2] + spacing))
                for (x, z), s in zip(grid_layout(sizes, (ox, oz), spacing), sizes)]
        if not any(boxes_overlap(a, b) for a in mine for b in previous):
            break
        ox += dx + spacing
    return ox, oz


def place_buildings(world_path: str | os.PathLike, grids: list[VoxelGrid], *,
                    at: tuple[int, int, int] | None = None, spacing: int = 4,
                    names: list[str] | None = None, **paste_kwargs) -> PasteReport:
    """Lay ``grids`` out in a grid near ``at`` (or the spawn) and paste each onto the surface.

    Footprints are ``spacing`` blocks apart, so boxes never overlap; each building's lowest
    solid layer sits on the highest ground block under its footprint.

    Args:
        world_path: the save.
        grids: buildings, ``blocks[x, y, z]``.
        at: ``(X, Y, Z)``: the first building's north-west corner (``Y`` is not used: the
            surface decides); None places them east of the spawn point, further east when
            earlier mcgen pastes (``mcgen_log.json``) are in the way.
        spacing: gap between buildings in blocks.
        names: a name per building (default ``building_<i>``).
        **paste_kwargs: passed to :func:`mcgen.world.paste` (backup, dry_run, create_chunks, ...).
    """
    world = Path(world_path)
    sizes = [g.size for g in grids]
    ox, oz = layout_origin(world, sizes, at=at, spacing=spacing)
    if at is None:  # near spawn: do not build over what earlier mcgen runs put there
        ox, oz = _clear_of_previous(world, sizes, (ox, oz), spacing)
    corners = grid_layout(sizes, (ox, oz), spacing)
    names = names or [f"building_{i}" for i in range(len(grids))]
    placements = [Placement(g, x, None, z, name=n) for g, (x, z), n in zip(grids, corners, names)]
    paste_kwargs.setdefault("reason", f"build {len(grids)} building(s)")
    return paste(world, placements, **paste_kwargs)
