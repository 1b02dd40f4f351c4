"""Shared strategies for the export tests: random structures over the default vocabulary."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB

VOCAB = list(DEFAULT_VOCAB.states)
# Bedrock stores no fence/pane connections: the reader recomputes them from neighbours.
CONNECTABLE = [s for s in VOCAB if "_pane" in s or "_fence" in s]


@st.composite
def grids(draw, states: list[str] = VOCAB, max_side: int = 6, extra_states: bool = False) -> VoxelGrid:
    """A random structure: random size (each axis 1..max_side), random states, some air."""
    size = tuple(draw(st.integers(1, max_side)) for _ in range(3))
    pool = list(states)
    if extra_states:  # palettes past 128 entries need 2-byte varints and more packed bits
        pool += [f"minecraft:test_block_{i}" for i in range(draw(st.integers(0, 300)))]
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, len(pool), size=size)
    blocks[rng.random(size) < 0.3] = 0
    return VoxelGrid(blocks, pool).compact()


def random_grid(seed: int, size=(5, 6, 7), states: list[str] = VOCAB) -> VoxelGrid:
    """A deterministic random structure."""
    rng = np.random.default_rng(seed)
    return VoxelGrid(rng.integers(0, len(states), size=size), list(states)).compact()
