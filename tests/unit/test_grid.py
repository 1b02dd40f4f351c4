"""The voxel contract: VoxelGrid, JSON and NPZ round trips and every rejection path."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcgen.blocks import AIR
from mcgen.errors import BlockStateError, FormatError
from mcgen.files import iter_structure_paths, read_structure
from mcgen.grid import VoxelGrid, load_json, save_json, save_npz
from mcgen.vocab import DEFAULT_VOCAB

STATES = list(DEFAULT_VOCAB.states)


@st.composite
def grids(draw, max_side: int = 6) -> VoxelGrid:
    size = tuple(draw(st.integers(1, max_side)) for _ in range(3))
    k = draw(st.integers(1, 8))
    palette = [AIR] + draw(st.lists(st.sampled_from(STATES[1:]), min_size=k, max_size=k, unique=True))
    seed = draw(st.integers(0, 2**32 - 1))
    blocks = np.random.default_rng(seed).integers(0, len(palette), size=size)
    meta = draw(st.dictionaries(st.sampled_from(["label", "seed", "note"]), st.integers(0, 9) | st.text(max_size=5)))
    return VoxelGrid(blocks, palette, meta)


def _json_dict(**over) -> dict:
    d = {"format": "mcgen.voxels", "version": 1, "size": [2, 2, 2],
         "palette": [AIR, "minecraft:stone"], "voxels": [{"x": 0, "y": 0, "z": 0, "block": "minecraft:stone"}],
         "meta": {}}
    d.update(over)
    return d


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_json_round_trip_keeps_blocks_and_meta(tmp_path_factory, g):
    path = tmp_path_factory.mktemp("j") / "g.json"
    save_json(g, path)
    back = load_json(path)
    assert back == g and back.size == g.size and back.meta == g.meta
    d = json.loads(path.read_text())
    assert len(d["voxels"]) == g.count()
    assert d["palette"][0] == AIR and set(v["block"] for v in d["voxels"]) <= set(d["palette"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids())
def test_npz_round_trip_without_pickle(tmp_path_factory, g):
    path = tmp_path_factory.mktemp("n") / "voxels.npz"
    save_npz(g, path)
    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) == {"blocks", "palette"}
        assert z["blocks"].dtype == np.uint16 and z["palette"].dtype.kind == "U"
    assert VoxelGrid.from_npz(path) == g


@settings(max_examples=30, deadline=None)
@given(grids(), st.integers(0, 7))
def test_transform_is_invertible(g, k):
    turns, mirror = k % 4, k >= 4
    t = g.transformed(turns, mirror)
    assert t.count() == g.count()
    back = t.transformed((4 - turns) % 4).transformed(0, mirror) if mirror else t.transformed((4 - turns) % 4)
    assert back == g


def test_empty_grid_round_trips(tmp_path):
    g = VoxelGrid.empty((3, 4, 5), {"label": "nothing"})
    save_json(g, tmp_path / "e.json")
    assert load_json(tmp_path / "e.json") == g
    assert json.loads((tmp_path / "e.json").read_text())["voxels"] == []


@pytest.mark.parametrize("over,msg", [
    ({"format": "other"}, "unknown format"),
    ({"version": 2}, "unsupported version"),
    ({"size": [2, 2]}, "size must be three integers"),
    ({"size": [2, -1, 2]}, "out of range"),
    ({"palette": ["minecraft:stone"]}, "palette must be a list starting with"),
    ({"palette": [AIR, "minecraft:stone", "minecraft:stone"]}, "duplicate"),
    ({"palette": [AIR, "Stone"]}, "palette\\[1\\]"),
    ({"palette": [AIR, "minecraft:oak_log[facing=x,axis=y]"]}, "not canonical"),
    ({"voxels": {}}, "voxels must be a list"),
    ({"voxels": [{"x": 0, "y": 0}]}, "needs x, y, z and block"),
    ({"voxels": [{"x": 2, "y": 0, "z": 0, "block": "minecraft:stone"}]}, "outside size"),
    ({"voxels": [{"x": -1, "y": 0, "z": 0, "block": "minecraft:stone"}]}, "outside size"),
    ({"voxels": [{"x": 0.5, "y": 0, "z": 0, "block": "minecraft:stone"}]}, "integers"),
    ({"voxels": [{"x": 0, "y": 0, "z": 0, "block": "minecraft:dirt"}]}, "not in the palette"),
    ({"voxels": [{"x": 0, "y": 0, "z": 0, "block": AIR}]}, "air must not be listed"),
    ({"voxels": [{"x": 1, "y": 1, "z": 1, "block": "minecraft:stone"}] * 2}, "duplicate voxel at \\(1, 1, 1\\)"),
    ({"meta": []}, "meta must be an object"),
])
def test_json_rejections_say_what_and_where(tmp_path, over, msg):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_json_dict(**over)))
    with pytest.raises(FormatError, match=msg) as e:
        load_json(path)
    assert str(path) in str(e.value)


def test_json_that_is_not_json(tmp_path):
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(FormatError, match="invalid JSON at line 1"):
        load_json(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("[1, 2]")
    with pytest.raises(FormatError, match="not an mcgen voxel JSON"):
        load_json(tmp_path / "y.json")


def _npz(path, **arrays) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())


def test_npz_rejections(tmp_path):
    p = tmp_path / "v.npz"
    _npz(p, blocks=np.zeros((2, 2, 2), np.uint16))
    with pytest.raises(FormatError, match="must hold 'blocks' and 'palette'"):
        VoxelGrid.from_npz(p)
    _npz(p, blocks=np.zeros((2, 2), np.uint16), palette=np.array([AIR]))
    with pytest.raises(FormatError, match="3-D integer"):
        VoxelGrid.from_npz(p)
    _npz(p, blocks=np.ones((2, 2, 2), np.uint16), palette=np.array([AIR]))
    with pytest.raises(FormatError, match="out of range"):
        VoxelGrid.from_npz(p)
    _npz(p, blocks=np.zeros((1, 1, 1), np.uint16), palette=np.array([AIR, "Stone"]))
    with pytest.raises(FormatError, match="malformed block state"):
        VoxelGrid.from_npz(p)
    p.write_bytes(b"not a zip")
    with pytest.raises(FormatError, match="not a readable NPZ"):
        VoxelGrid.from_npz(p)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    p = tmp_path / "pickled.npz"
    _npz(p, blocks=np.zeros((1, 1, 1), np.uint16), palette=np.array([AIR, "minecraft:stone"], dtype=object))
    with zipfile.ZipFile(p) as z:
        assert "palette.npy" in z.namelist()
    with pytest.raises(FormatError):
        VoxelGrid.from_npz(p)


def test_grid_constructor_rejections():
    with pytest.raises(FormatError, match="3-D"):
        VoxelGrid(np.zeros((2, 2), np.uint16), [AIR])
    with pytest.raises(FormatError, match="integers"):
        VoxelGrid(np.zeros((1, 1, 1)), [AIR])
    one = np.zeros((1, 1, 1), np.uint16)
    with pytest.raises(FormatError, match="palette\\[0\\]"):
        VoxelGrid(one, ["minecraft:stone"])
    with pytest.raises(FormatError, match="out of range"):
        VoxelGrid(one + 3, [AIR, "minecraft:stone"])
    with pytest.raises(FormatError, match="duplicate"):
        VoxelGrid(one, [AIR, "minecraft:stone", "minecraft:stone"])
    with pytest.raises(BlockStateError):
        VoxelGrid(one, [AIR, "minecraft:oak_log[axis=y,a=b]"])


def test_remap_and_compact():
    g = VoxelGrid(np.array([[[0, 2]], [[2, 0]]]), [AIR, "minecraft:dirt", "minecraft:stone"])
    c = g.compact()
    assert c.palette == [AIR, "minecraft:stone"] and c == g
    idx = g.remap(STATES)
    assert idx[0, 0, 1] == DEFAULT_VOCAB.index("minecraft:stone")
    with pytest.raises(FormatError, match="not in the vocabulary"):
        VoxelGrid(np.ones((1, 1, 1), np.uint16), [AIR, "minecraft:diamond_block"]).remap(STATES)


def test_read_structure_and_folder_walk(tmp_path):
    g = VoxelGrid(np.ones((2, 2, 2), np.uint16), [AIR, "minecraft:stone"], {"label": "cube"})
    save_json(g, tmp_path / "a.json")
    save_npz(g, tmp_path / "b.npz")
    sample = tmp_path / "sample_0000"
    save_json(g, sample / "data.json")
    save_npz(g, sample / "voxels.npz")
    (tmp_path / "manifest.json").write_text("{}")
    paths = iter_structure_paths(tmp_path)
    assert [p.name for p in paths] == ["a.json", "b.npz", "sample_0000"]
    assert read_structure(sample).meta == {"label": "cube"} and read_structure(sample) == g
    with pytest.raises(FormatError, match="no such file"):
        read_structure(tmp_path / "missing.json")
