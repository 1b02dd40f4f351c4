"""`mcgen complete`: what is generated, given blocks bit-identical, both objectives, one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.errors import ConfigError
from mcgen.generate import SampleSettings, complete, generate_large, region_mask
from mcgen.files import read_structure
from mcgen.given import decode_given
from mcgen.grid import VoxelGrid, save_json
from tests.model_helpers import random_checkpoint

ODD = "minecraft:diamond_block"  # not in the default vocabulary: kept, shown to the model as stone
STAIRS = "minecraft:oak_stairs[facing=east,half=bottom,shape=straight,waterlogged=false]"


@pytest.fixture(scope="module", params=["masked", "gaussian"])
def checkpoint(request, tmp_path_factory) -> Path:
    return random_checkpoint(tmp_path_factory.mktemp("ck") / f"{request.param}.pt", air_bias=1.0,
                             objective=request.param)


def walled_box() -> VoxelGrid:
    """A 10 x 6 x 9 walled box with a vocabulary block, a stairs state and a block outside the vocabulary."""
    pal = ["minecraft:air", "minecraft:stone_bricks", STAIRS, ODD]
    b = np.zeros((10, 6, 9), dtype=np.int64)
    b[:, 0, :] = 1
    b[0, 1:5, :] = b[9, 1:5, :] = 1
    b[:, 1:5, 0] = b[:, 1:5, 8] = 1
    b[3, 1, 3] = 2
    b[5, 1:3, 5] = 3
    return VoxelGrid(b, pal, {"label": "house"})


def test_region_mask_ways_and_errors() -> None:
    m = region_mask(16, (10, 6, 9), above=4)
    assert m[:, 4:].all() and not m[:, :4].any()
    r = region_mask(16, (10, 6, 9), region=(2, 1, 2, 20, 3, 4))  # clipped to the grid
    assert r.sum() == 14 * 3 * 3 and r[15, 3, 4] and not r[1, 1, 2]
    air = np.zeros((10, 6, 9), dtype=bool)
    air[4, 2, 4] = True
    f = region_mask(16, (10, 6, 9), fill_air=air)
    assert f.sum() == 1 and f[4, 2, 4]
    with pytest.raises(ConfigError, match="exactly one"):
        region_mask(16, (10, 6, 9))
    with pytest.raises(ConfigError, match="exactly one"):
        region_mask(16, (10, 6, 9), above=3, region=(0, 0, 0, 1, 1, 1))
    with pytest.raises(ConfigError, match="larger than the 16x16x16 output box"):
        region_mask(16, (20, 6, 9), above=3)  # the caller sizes the box: see output_shape
    with pytest.raises(ConfigError, match="outside"):
        region_mask(16, (10, 6, 9), region=(17, 0, 0, 20, 3, 3))


@pytest.mark.parametrize("how", ["above", "region", "fill_air"])
def test_given_blocks_come_out_bit_identical(checkpoint: Path, how: str) -> None:
    s = walled_box()
    kw = {"above": {"above": 3}, "region": {"region": (2, 1, 2, 7, 4, 6)}, "fill_air": {"fill_air": True}}[how]
    grids = complete(checkpoint, s, num_samples=2, settings=SampleSettings(num_steps=4, seed=3, device="cpu"), **kw)
    free = region_mask(16, s.size, fill_air=s.blocks == 0) if how == "fill_air" else \
        region_mask(16, s.size, **kw)
    for g in grids:
        assert g.size == (16, 16, 16) and g.meta["completed"] and g.meta["generated"] == int(free.sum())
        assert (decode_given(g.meta["given_runs"], g.size) == ~free).all()  # what `mcgen view` marks
        states = np.array(g.palette, dtype=object)[g.blocks]
        given = np.array(s.palette, dtype=object)[s.blocks]
        held = ~free[:10, :6, :9]
        assert (states[:10, :6, :9][held] == given[held]).all()  # every given state, exactly
        outside = ~free
        outside[:10, :6, :9] = False
        assert (states[outside] == "minecraft:air").all()  # beyond the structure and not free: air
    if how == "fill_air":  # existing blocks stay, including the one outside the vocabulary
        assert ODD in grids[0].palette and STAIRS in grids[0].palette


def test_structure_larger_than_the_grid_is_completed_window_by_window(checkpoint: Path) -> None:
    """A 30 x 6 x 9 street of two houses: the output box is 30 x 16 x 16, several windows are
    sampled, every given block comes back exactly, and every free voxel got a state."""
    one = walled_box()
    b = np.zeros((30, 6, 9), dtype=np.int64)
    b[:10], b[20:] = one.blocks, one.blocks
    b[10:20, 0, :] = 1  # a floor between them
    s = VoxelGrid(b, one.palette, {})
    grids = complete(checkpoint, s, above=2, num_samples=2, settings=SampleSettings(num_steps=3, seed=5, device="cpu"))
    free = region_mask((30, 16, 16), s.size, above=2)
    for g in grids:
        assert g.size == (30, 16, 16) and g.meta["windows"] >= 3 and g.meta["generated"] == int(free.sum())
        states = np.array(g.palette, dtype=object)[g.blocks]
        given = np.array(s.palette, dtype=object)[s.blocks]
        held = ~free[:30, :6, :9]
        assert (states[:30, :6, :9][held] == given[held]).all()
        assert (decode_given(g.meta["given_runs"], g.size) == ~free).all()
    again = complete(checkpoint, s, above=2, num_samples=2, settings=SampleSettings(num_steps=3, seed=5, device="cpu"))
    assert all(x == y for x, y in zip(grids, again))  # deterministic for a seed


def test_cli_writes_a_schematic_and_alternatives(checkpoint: Path, tmp_path: Path) -> None:
    src = tmp_path / "half.json"
    save_json(walled_box(), src)
    out = tmp_path / "done.schem"
    assert run(["complete", str(src), "-c", str(checkpoint), "--above", "4", "-o", str(out), "--num-steps", "3",
                "--device", "cpu"]) == 0
    back = read_structure(out)
    assert back.size == (16, 16, 16)
    assert np.array(back.palette, dtype=object)[back.blocks][5, 1, 5] == ODD
    folder = tmp_path / "alts"
    assert run(["complete", str(src), "-c", str(checkpoint), "--fill-air", "-n", "3", "-o", str(folder),
                "--num-steps", "2", "--device", "cpu"]) == 0
    assert len(list(folder.glob("completion_*.json"))) == 3


@pytest.mark.parametrize("flags, message", [
    ([], "exactly one of --region, --above or --fill-air"),
    (["--above", "3", "--fill-air"], "exactly one of"),
    (["--above", "40"], "--above must be in 0..15"),
    (["--above", "3", "--sampler", "euler"], "does not fit"),
])
def test_bad_input_is_one_line(checkpoint: Path, tmp_path: Path, capsys, flags, message) -> None:
    src = tmp_path / "half.json"
    save_json(walled_box(), src)
    out = tmp_path / "x.schem"
    rc = run(["complete", str(src), "-c", str(checkpoint), "-o", str(out), "--num-steps", "2", "--device", "cpu", *flags])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc != 0 and err[-1].startswith("mcgen: error: ") and message in err[-1]
    assert not out.exists()


def test_window_starts_cover_the_axis_with_the_overlap() -> None:
    from mcgen.generate.windows import window_starts

    assert window_starts(16, 16, 8) == [0] and window_starts(10, 16, 8) == [0]
    assert window_starts(48, 16, 8) == [0, 8, 16, 24, 32]
    assert window_starts(40, 16, 0) == [0, 16, 24]  # the last window flush with the end
    with pytest.raises(ConfigError, match="overlap"):
        window_starts(48, 16, 16)


def test_structures_larger_than_the_grid_come_window_by_window(checkpoint: Path, monkeypatch, tmp_path: Path) -> None:
    """Each window after the first holds what earlier windows placed in its overlap (the sampler
    is asked to keep those voxels), and the result is deterministic for a seed."""
    from mcgen.ml.checkpoint import load_checkpoint

    ck = load_checkpoint(checkpoint)
    obj_cls = type(ck.objective())
    seen = []
    real = obj_cls.sample

    def spy(self, model, n, **kw):
        seen.append(kw["known"].clone())
        return real(self, model, n, **kw)

    monkeypatch.setattr(obj_cls, "sample", spy)
    a = generate_large(ck, (24, 16, 20), num_samples=2, settings=SampleSettings(seed=1, num_steps=3, device="cpu"))
    assert [g.size for g in a] == [(24, 16, 20)] * 2 and a[0].meta["windows"] == 4
    assert (seen[0] == -1).all()  # the first window is free everywhere
    # frontier order: next comes the window overlapping the most generated voxels, z0 = 4
    # (z 4..15 generated: 3/4 of it) before x0 = 8 (1/2 of it)
    later = seen[1]
    assert (later[:, :, :, :12] >= 0).all() and (later[:, :, :, 12:] == -1).all()
    assert ((seen[2] >= 0).float().mean() == 0.5) and ((seen[3] >= 0).float().mean() == 0.75 + 0.25 * 0.5)
    b = generate_large(ck, (24, 16, 20), num_samples=2, settings=SampleSettings(seed=1, num_steps=3, device="cpu"))
    assert all(x == y for x, y in zip(a, b))
    monkeypatch.setattr(obj_cls, "sample", real)
    out = tmp_path / "big"
    assert run(["sample", "-c", str(checkpoint), "--size", "20", "16", "18", "-n", "1", "--num-steps", "2",
                "--cleanup", "none", "--device", "cpu", "-o", str(out)]) == 0
    from mcgen.grid import load_json

    assert load_json(out / "sample_0000.json").size == (20, 16, 18)
