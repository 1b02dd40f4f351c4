"""Round trip: our writer -> our reader gives the identical structure, for every format."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from mcgen.errors import FormatError
from mcgen.export import FORMATS, bedrock, litematic, nbtio, sponge
from mcgen.export.readers import read_bytes, read_file
from mcgen.export.writers import encode, write_file
from tests.unit._export_helpers import CONNECTABLE, VOCAB, grids, random_grid

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
JAVA_FORMATS = ["schem", "schem3", "nbt", "litematic"]
NON_CONNECTABLE = [s for s in VOCAB if s not in CONNECTABLE]


@pytest.mark.parametrize("fmt", JAVA_FORMATS)
@SETTINGS
@given(grid=grids(extra_states=True))
def test_java_formats_round_trip_identically(fmt, grid):
    back = read_bytes(encode(grid, fmt, mc_version="1.20.4"))
    assert back == grid


@SETTINGS
@given(grid=grids(states=NON_CONNECTABLE))
def test_mcstructure_round_trips_identically(grid):
    assert read_bytes(encode(grid, "mcstructure")) == grid


@settings(max_examples=50, deadline=None)
@given(grid=grids())
def test_mcstructure_round_trip_recomputes_fence_and_pane_connections(grid):
    assert read_bytes(encode(grid, "mcstructure")) == bedrock.reconnect(grid)


@pytest.mark.parametrize("fmt", ["nbt", "mcstructure"])
def test_no_air_leaves_air_out_and_reads_back_as_air(fmt):
    grid = random_grid(1, states=NON_CONNECTABLE)
    with_air, without = encode(grid, fmt), encode(grid, fmt, include_air=False)
    if fmt == "nbt":
        assert len(nbtio.load_bytes(without).root["blocks"]) == grid.count()
    else:
        layer0 = np.array(nbtio.load_bytes(without).root["structure"]["block_indices"][0])
        assert int((layer0 == -1).sum()) == grid.blocks.size - grid.count()
    assert read_bytes(without) == read_bytes(with_air) == grid


def test_write_file_writes_every_format_and_read_file_sniffs_content(tmp_path):
    grid = random_grid(2, states=NON_CONNECTABLE)
    for fmt in FORMATS:
        path = write_file(grid, tmp_path / f"x_{fmt}.bin", fmt)  # suffix says nothing: content decides
        assert read_file(path) == grid


def test_empty_and_all_air_structures_round_trip():
    from mcgen.grid import VoxelGrid

    for grid in (VoxelGrid.empty((0, 0, 0)), VoxelGrid.empty((3, 1, 2))):
        for fmt in FORMATS:
            assert read_bytes(encode(grid, fmt)) == grid


def test_varints_round_trip_at_every_byte_length():
    values = np.array([0, 1, 127, 128, 16383, 16384, 2**21 - 1, 2**21, 2**28, 2**32 - 1], dtype=np.uint32)
    data = np.frombuffer(sponge.encode_varints(values), dtype=np.uint8)
    assert len(data) == 1 + 1 + 1 + 2 + 2 + 3 + 3 + 4 + 5 + 5
    small = values[values < sponge.MAX_PALETTE_ID]  # the decoder reads palette ids: < 2**20
    back = sponge.decode_varints(np.frombuffer(sponge.encode_varints(small), np.uint8), len(small), what="t")
    assert back.tolist() == small.tolist()
    with pytest.raises(FormatError, match="out of range"):
        sponge.decode_varints(data, len(values), what="t")


@pytest.mark.parametrize("bits", [2, 3, 5, 7, 9, 13])
def test_litematic_packing_spans_longs_and_inverts(bits):
    rng = np.random.default_rng(bits)
    values = rng.integers(0, 2**bits, size=1000)
    longs = litematic.pack(values, bits)
    assert longs.size == -(-1000 * bits // 64)
    assert litematic.unpack(longs, bits, 1000, what="t").tolist() == values.tolist()
    if 64 % bits:  # an entry straddles the first two longs: check it by hand
        i = 64 // bits
        lo = int(longs[0]) & (2**64 - 1)
        hi = int(longs[1]) & (2**64 - 1)
        joined = (lo >> (i * bits)) | ((hi << (64 - i * bits)) & (2**bits - 1))
        assert joined == values[i]


def test_litematic_bits_follow_the_palette_size():
    assert [litematic.bits_for(n) for n in (1, 2, 4, 5, 8, 9, 16, 17, 300)] == [2, 2, 2, 3, 3, 4, 4, 5, 9]


def test_sponge_block_order_is_x_then_z_then_y():
    from mcgen.grid import VoxelGrid

    grid = VoxelGrid.empty((3, 2, 4))
    grid = VoxelGrid(grid.blocks, ["minecraft:air", "minecraft:stone"])
    grid.blocks[2, 1, 3] = 1  # index = x + z*W + y*W*L = 2 + 3*3 + 1*12 = 23
    root = nbtio.load_bytes(encode(grid, "schem")).root
    data = root["BlockData"]
    stone = root["Palette"]["minecraft:stone"]
    assert np.flatnonzero(data == stone).tolist() == [23]


@pytest.mark.parametrize("fmt", JAVA_FORMATS)
def test_a_large_structure_with_a_big_palette_round_trips(fmt):
    states = VOCAB + [f"minecraft:test_block_{i}" for i in range(700)]  # 2-byte varints, 10-bit packing
    grid = random_grid(12, size=(40, 30, 50), states=states)
    assert len(grid.palette) > 512
    assert read_bytes(encode(grid, fmt)) == grid


def test_sponge_v3_without_blocks_reads_as_air():
    from mcgen.export.nbtio import COMPOUND, INT, SHORT, encode as nbt_encode, gzip_bytes

    inner = {"Version": (INT, 3), "DataVersion": (INT, 3700), "Width": (SHORT, 2), "Height": (SHORT, 3),
             "Length": (SHORT, 4)}
    grid = read_bytes(gzip_bytes(nbt_encode({"Schematic": (COMPOUND, inner)})))
    assert grid.size == (2, 3, 4) and grid.count() == 0
