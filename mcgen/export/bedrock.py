"""Bedrock block states for the ``.mcstructure`` reader and writer, and fence/pane reconnection.

The Java -> Bedrock table itself lives in :mod:`mcgen.bedrock_blocks` (the numpy core), because
Bedrock world pastes (:mod:`mcgen.world`) use the same table and ``world`` never imports
``export``. This module re-exports it for the format code and adds :func:`reconnect`, which
recomputes fence/pane connections after reading (Bedrock does not store them).
"""

from __future__ import annotations

import numpy as np

from mcgen.bedrock_blocks import (BLOCK_VERSION, COLORS, WATER, WOODS, BedrockState, native_state, to_bedrock,
                                  to_java, unmapped)
from mcgen.blocks import AIR, base_name, format_state, parse_state
from mcgen.grid import VoxelGrid
from mcgen.vocab import is_partial


def reconnect(grid: VoxelGrid) -> VoxelGrid:
    """Recompute north/east/south/west of fences and panes from their neighbours.

    A connectable block links to a neighbour of the same family (fence or pane/bars) or to
    any full (non-partial) solid block, as the game does.
    """
    pal = grid.palette
    fam = np.array([_family(s) for s in pal], dtype=np.int8)  # 0 none, 1 fence, 2 pane
    if not (fam > 0).any():
        return grid
    full = np.array([s != AIR and not is_partial(s) for s in pal])
    b = grid.blocks
    cf, cfull = fam[b], full[b]
    states = np.array(pal, dtype=object)[b]
    pad_f, pad_s = np.pad(cf, 1), np.pad(cfull, 1)
    x, y, z = b.shape
    sl = {"north": (1, 1, 0), "south": (1, 1, 2), "west": (0, 1, 1), "east": (2, 1, 1)}
    links = {d: ((pad_f[o[0]:o[0] + x, 1:1 + y, o[2]:o[2] + z] == cf) | pad_s[o[0]:o[0] + x, 1:1 + y, o[2]:o[2] + z])
             for d, o in sl.items()}
    for pos in zip(*np.nonzero(cf > 0)):
        name, props = parse_state(states[pos])
        props.update({d: "true" if links[d][pos] else "false" for d in sl})
        props.setdefault("waterlogged", "false")
        states[pos] = format_state(name, props)
    return VoxelGrid.from_states(states, dict(grid.meta))


def _family(state: str) -> int:
    bid = base_name(state).split(":")[-1]
    if bid.endswith("_fence"):
        return 1
    if bid.endswith("_pane") or bid == "iron_bars":
        return 2
    return 0


__all__ = ["BLOCK_VERSION", "COLORS", "WATER", "WOODS", "BedrockState", "native_state", "reconnect", "to_bedrock",
           "to_java", "unmapped"]
