"""The procedural generator's invariants on 1,000 samples, determinism and uniqueness."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mcgen.blocks import parse_state
from mcgen.errors import ConfigError
from mcgen.grid import VoxelGrid
from mcgen.synth import LABELS, check_sample, generate_dataset, generate_sample
from mcgen.synth.canvas import Canvas, FENCE, PANE, blk, connection_problems, fix_connections
from mcgen.vocab import DEFAULT_VOCAB, is_partial

VOCAB = list(DEFAULT_VOCAB.states)


@pytest.fixture(scope="module")
def thousand() -> list[VoxelGrid]:
    return generate_dataset(1000, 16, seed=0)


@pytest.fixture(scope="module")
def big() -> list[VoxelGrid]:
    return generate_dataset(60, 32, seed=3)


def _pieces(solid: np.ndarray) -> int:
    """Count 6-connected pieces by label propagation (independent of the generator's BFS)."""
    labels = np.where(solid, np.arange(solid.size).reshape(solid.shape) + 1, 0)
    while True:
        m = labels.copy()
        for ax in range(3):
            for sh in (1, -1):
                nb = np.roll(labels, sh, axis=ax)
                edge = [slice(None)] * 3
                edge[ax] = 0 if sh == 1 else -1
                nb[tuple(edge)] = 0
                m = np.maximum(m, nb)
        m = np.where(solid, m, 0)
        if np.array_equal(m, labels):
            return len(np.unique(labels[solid]))
        labels = m


def test_every_sample_keeps_the_contract(thousand):
    assert len(thousand) == 1000
    for g in thousand:
        assert g.size == (16, 16, 16)
        assert set(g.palette) <= set(VOCAB)
        assert g.blocks[:, 0, :].any(), g.meta
        assert g.meta["label"] in LABELS and g.meta["seed"] == 0
        assert check_sample(g, 16) == [], g.meta


def test_every_sample_is_one_piece_by_an_independent_count(thousand):
    for g in thousand[::5]:
        assert _pieces(g.solid) == 1, g.meta


def test_no_two_of_a_thousand_are_identical(thousand):
    keys = {g.remap(VOCAB).astype(np.uint16).tobytes() for g in thousand}
    assert len(keys) == 1000


def test_labels_are_balanced_and_cover_every_archetype(thousand):
    counts = Counter(g.meta["label"] for g in thousand)
    assert set(counts) == set(LABELS) and len(LABELS) >= 8
    assert max(counts.values()) - min(counts.values()) <= 1


def test_samples_face_every_direction(thousand):
    facings = Counter(parse_state(s)[1]["facing"] for g in thousand for s in g.palette if "_door" in s)
    assert set(facings) == {"north", "east", "south", "west"}


def test_fences_and_panes_match_their_neighbours_by_game_rules(thousand):
    """Re-derive every fence/pane connection with plain Python rules, independent of canvas.py."""
    checked = 0
    for g in thousand[::4]:
        states = np.array(g.palette, dtype=object)[g.blocks]
        for x, y, z in np.argwhere(np.isin(g.blocks, [i for i, s in enumerate(g.palette) if "_fence" in s or "_pane" in s])):
            name, props = parse_state(states[x, y, z])
            for d, (dx, dz) in {"north": (0, -1), "south": (0, 1), "east": (1, 0), "west": (-1, 0)}.items():
                nx, nz = x + dx, z + dz
                other = states[nx, y, nz] if 0 <= nx < 16 and 0 <= nz < 16 else "minecraft:air"
                oname, oprops = parse_state(other)
                joins = (oname == name
                         or (other != "minecraft:air" and not is_partial(other) and "water" not in oname)
                         or (oname.endswith("_stairs") and oprops["facing"] == {"north": "south", "south": "north",
                                                                               "east": "west", "west": "east"}[d]))
                assert props[d] == ("true" if joins else "false"), (g.meta, (x, y, z), d, other)
            checked += 1
    assert checked > 100


def test_same_seed_same_samples_and_workers_do_not_matter():
    a = generate_dataset(20, 16, seed=7)
    b = generate_dataset(20, 16, seed=7, workers=2)
    for x, y in zip(a, b):
        assert x == y and x.palette == y.palette and x.meta == y.meta
        assert x.to_json() == y.to_json() and x.to_npz_bytes() == y.to_npz_bytes()
    c = generate_dataset(20, 16, seed=8)
    assert any(x != y for x, y in zip(a, c))


def _span(g: VoxelGrid) -> int:
    return int(max(np.ptp(a) for a in np.nonzero(g.blocks))) + 1


def test_size_32_builds_are_bigger_not_just_padded(big):
    small = {lab: [] for lab in LABELS}
    large = {lab: [] for lab in LABELS}
    for i in range(60):
        g = generate_sample(3, i, 16)
        small[g.meta["label"]].append((g.count(), _span(g)))
    for g in big:
        assert check_sample(g, 32) == [], g.meta
        large[g.meta["label"]].append((g.count(), _span(g)))
    for lab in LABELS:
        (n16, s16), (n32, s32) = np.mean(small[lab], 0), np.mean(large[lab], 0)
        assert n32 > 2.5 * n16 and s32 > 1.4 * s16, (lab, n16, n32, s16, s32)


def test_label_can_be_forced_and_bad_arguments_are_refused():
    assert generate_sample(0, 0, 16, label="tree").meta["label"] == "tree"
    with pytest.raises(ConfigError, match="unknown archetype"):
        generate_sample(0, 0, 16, label="castle")
    with pytest.raises(ConfigError, match="grid size"):
        generate_sample(0, 0, 24)
    with pytest.raises(ConfigError, match="count"):
        generate_dataset(0)


def test_fix_connections_joins_runs_and_replaces_shapes_the_vocabulary_lacks():
    a = np.zeros((7, 2, 7), np.uint16)
    a[0, 0, 1], a[1:4, 0, 1], a[4, 0, 1] = blk("stone"), FENCE, blk("stone")  # run between two walls
    a[1:4, 0, 4] = FENCE  # a run open at both ends
    a[6, 1, 6] = PANE  # a lone pane: the vocabulary has no pane post
    fix_connections(a, blk("oak_planks"), blk("glass"))
    for x in (1, 2, 3):
        assert VOCAB[a[x, 0, 1]].startswith("minecraft:oak_fence[east=true,north=false,south=false,")
    assert a[1, 0, 4] == a[3, 0, 4] == blk("oak_planks")  # one-sided ends become full blocks ...
    assert "east=true" in VOCAB[a[2, 0, 4]]  # ... which the middle then joins
    assert a[6, 1, 6] == blk("glass")
    assert connection_problems(a) == []
    a[2, 0, 2] = blk("stone")  # a new neighbour: the middle fence is now wrong
    assert connection_problems(a) == [(2, 0, 1)]


def test_canvas_finish_keeps_only_the_grounded_main_piece():
    c = Canvas(8, np.random.default_rng(0))
    c.fill(0, 0, 0, 2, 2, 2, blk("stone"))
    c.put(6, 5, 6, blk("stone"))  # floating
    c.fill(5, 0, 5, 5, 0, 5, blk("dirt"))  # small grounded piece
    a = c.finish()
    assert np.count_nonzero(a) == 27
