"""Completing what stands in a world save: read a box, complete it, paste back what was generated.

The box is read with the world importer (:func:`mcgen.importing.world.read_world_box`) and
completed with :func:`mcgen.generate.completion.complete`; the result goes back with its ``[0, 0, 0]`` at the
box's min corner. Only the cells the model generated are written (:attr:`mcgen.world.Placement.keep`
holds every other one): the given blocks stay exactly as the world has them, block entities such
as a chest's contents included, and the cells of the output that lie beyond the box and were not
generated (the model was shown air there) do not overwrite the world. The generated part may
reach past the box, up to the model's grid (``above`` frees the whole grid from that height up).

amulet and torch are imported inside the functions that need them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mcgen.errors import ConfigError
from mcgen.given import GIVEN_KEY, decode_given
from mcgen.grid import VoxelGrid

Box = tuple[int, int, int, int, int, int]


def box_origin(box: Box) -> tuple[int, int, int]:
    """The min corner of a box given by two inclusive corners in any order."""
    return tuple(min(a, b) for a, b in zip(box[:3], box[3:]))  # type: ignore[return-value]


def grid_box(origin: tuple[int, int, int], grid_size: int) -> Box:
    """The ``grid_size``-cube whose min corner is ``origin``, as inclusive corners."""
    x, y, z = origin
    g = grid_size - 1
    return (x, y, z, x + g, y + g, z + g)


def read_box(world: str | os.PathLike, box: Box) -> VoxelGrid:
    """The blocks between two inclusive corners of a save (see :func:`mcgen.importing.world.read_world_box`).

    Raises:
        TooLarge: the box is over 256 blocks on an axis.
        WorldError: not a world, held by a running game, or amulet cannot read it.
    """
    from mcgen.importing.world import read_world_box  # noqa: PLC0415 - amulet only here

    return read_world_box(Path(world), tuple(int(v) for v in box))  # type: ignore[arg-type]


def complete_box(checkpoint: Any, world: str | os.PathLike, box: Box,
                 **complete_kwargs: Any) -> tuple[VoxelGrid, list[VoxelGrid]]:
    """Read ``box`` of the save and complete it: ``(the box as read, completions)``.

    ``checkpoint`` and ``complete_kwargs`` go to :func:`mcgen.generate.completion.complete` (``region`` and
    ``above`` are relative to the box's min corner).

    Raises:
        WorldError, TooLarge: see :func:`read_box`.
        CheckpointError, ConfigError: see :func:`mcgen.generate.completion.complete`.
    """
    from mcgen.generate.completion import complete  # noqa: PLC0415 - torch only here

    structure = read_box(world, box)
    return structure, complete(checkpoint, structure, **complete_kwargs)


def generated_cells(grid: VoxelGrid) -> np.ndarray:
    """(X, Y, Z) bool: the cells of a completion that the model generated.

    Raises:
        ConfigError: the grid does not record which cells were given (not a completion).
    """
    if GIVEN_KEY not in grid.meta:
        raise ConfigError(f"this structure does not record which cells were given ({GIVEN_KEY}); "
                          "it is not the output of `mcgen complete`")
    return ~decode_given(grid.meta[GIVEN_KEY], grid.size)


def completion_placement(grid: VoxelGrid, origin: tuple[int, int, int], name: str = "completion"):
    """A :class:`mcgen.world.Placement` of a completion whose ``[0, 0, 0]`` goes to ``origin``,
    writing only its generated cells.

    The placement is cut to the box around the generated cells, so a paste touches (and backs up)
    only the chunks that change, and reports that box.

    Raises:
        ConfigError: see :func:`generated_cells`, or nothing was generated.
    """
    from mcgen.world import Placement  # noqa: PLC0415

    generated = generated_cells(grid)
    where = np.argwhere(generated)
    if not len(where):
        raise ConfigError("the completion generated no cell: nothing to paste")
    lo, hi = where.min(axis=0), where.max(axis=0) + 1
    cut = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
    meta = {k: v for k, v in grid.meta.items() if k != GIVEN_KEY}  # the runs describe the uncut grid
    part = VoxelGrid(grid.blocks[cut], grid.palette, meta)
    x, y, z = (int(o + d) for o, d in zip(origin, lo))
    return Placement(part, x, y, z, name=name, keep=~generated[cut])


__all__ = ["box_origin", "complete_box", "completion_placement", "generated_cells", "grid_box", "read_box"]
