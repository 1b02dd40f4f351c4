"""The 8-symmetry augmentation: positions move like VoxelGrid.transformed, states turn with them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mcgen.blocks import parse_state
from mcgen.grid import VoxelGrid
from trainer.augment import Augmenter, transform_blocks, vocabulary_permutations

from .trainer_testdata import VOCAB, house, tower

_DELTA = {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0)}


def _augment(grid: VoxelGrid, s: int) -> VoxelGrid:
    aug = Augmenter(VOCAB)
    idx = torch.from_numpy(grid.remap(VOCAB)).unsqueeze(0)  # (1, X, Y, Z)
    out = aug(idx, torch.tensor([s]))
    return VoxelGrid(out[0].numpy(), VOCAB).compact()


def _states(grid: VoxelGrid) -> np.ndarray:
    return np.array(grid.palette, dtype=object)[grid.blocks]


@pytest.mark.parametrize("s", range(8))
def test_matches_voxelgrid_transformed_except_hinges(s):
    g = house()
    ours, ref = _states(_augment(g, s)), _states(g.transformed(s % 4, s >= 4))
    diff = ours != ref
    # only mirrored doors differ: the vocabulary has left hinges only, so they keep hinge=left
    assert all("oak_door" in a and "hinge=left" in a and "hinge=right" in b for a, b in zip(ours[diff], ref[diff]))
    assert bool(diff.any()) == (s >= 4)


@pytest.mark.parametrize("s", range(8))
def test_rotated_house_is_still_a_correct_house(s):
    """Every pane connection points at a neighbouring block, stairs face the house, logs follow their run,
    door halves stack with one facing, and the door faces out of the house (air in front)."""
    g = _augment(house(), s)
    st = _states(g)
    X, Y, Z = st.shape
    solid = g.blocks != 0
    checked = {"pane": 0, "stairs": 0, "log": 0, "door": 0}
    for x, y, z in zip(*np.nonzero(solid)):
        name, props = parse_state(st[x, y, z])
        if name == "minecraft:glass_pane":
            for d, (dx, dz) in _DELTA.items():
                nb = solid[x + dx, y, z + dz]
                assert (props[d] == "true") == bool(nb), (s, (x, y, z), d)
            checked["pane"] += 1
        elif name == "minecraft:oak_stairs":
            dx, dz = _DELTA[props["facing"]]  # the high back side points at the roof
            assert "planks" in st[x + dx, y, z + dz] or "stairs" in st[x + dx, y, z + dz], (s, (x, y, z))
            assert st[x - dx, y, z - dz] == "minecraft:air"
            checked["stairs"] += 1
        elif name == "minecraft:oak_log" and props["axis"] != "y":
            dx, dz = (1, 0) if props["axis"] == "x" else (0, 1)
            assert "oak_log" in st[x + dx, y, z + dz] and "oak_log" in st[x - dx, y, z - dz]
            checked["log"] += 1
        elif name == "minecraft:oak_door" and props["half"] == "lower":
            up = parse_state(st[x, y + 1, z])
            assert up[0] == name and up[1]["half"] == "upper" and up[1]["facing"] == props["facing"]
            dx, dz = _DELTA[props["facing"]]
            assert st[x + dx, y, z + dz] == "minecraft:air" and st[x - dx, y, z - dz] == "minecraft:air"
            checked["door"] += 1
    assert checked["pane"] == 4 and checked["door"] == 1 and checked["log"] > 0 and checked["stairs"] > 10


def test_identity_and_shape_and_counts_are_preserved():
    g = tower()
    assert _augment(g, 0) == g
    for s in range(8):
        out = _augment(g, s)
        assert out.size == g.size and out.histogram() == g.histogram()


def test_four_quarter_turns_are_the_identity_and_mirror_is_an_involution():
    gen = torch.Generator().manual_seed(0)
    perm, _ = vocabulary_permutations(VOCAB)
    x = torch.randint(0, len(VOCAB), (2, 8, 5, 8), generator=gen)
    y = x
    for _ in range(4):
        y = transform_blocks(y, 1)
    assert torch.equal(y, x)
    assert torch.equal(transform_blocks(transform_blocks(x, 4), 4), x)
    # the state maps of quarter turns compose: 4 turns map every state to itself
    v = torch.arange(len(VOCAB))
    for _ in range(4):
        v = perm[1][v]
    assert torch.equal(v, torch.arange(len(VOCAB)))


def test_states_without_an_image_in_the_vocabulary_map_to_the_closest():
    vocab = ["minecraft:air", "minecraft:oak_log[axis=y]", "minecraft:oak_log[axis=x]", "minecraft:stone",
             "minecraft:oak_door[facing=east,half=lower,hinge=left,open=false,powered=false]",
             "minecraft:oak_door[facing=west,half=lower,hinge=left,open=false,powered=false]"]
    perm, inexact = vocabulary_permutations(vocab)
    assert perm[1, 2] == 2  # axis=x turned is axis=z, absent: stays itself
    assert perm[4, 4] == 5  # mirrored east door (hinge right, absent) -> west door with a left hinge
    assert perm[1, 3] == 3 and perm[5, 0] == 0
    assert inexact > 0


def test_batch_gets_per_sample_symmetries():
    g1, g2 = house(), tower()
    batch = torch.from_numpy(np.stack([g1.remap(VOCAB), g2.remap(VOCAB)]))
    out = Augmenter(VOCAB)(batch, torch.tensor([1, 6]))
    assert VoxelGrid(out[0].numpy(), VOCAB) == g1.transformed(1, False)
    assert VoxelGrid(out[1].numpy(), VOCAB) == g2.transformed(2, True)
