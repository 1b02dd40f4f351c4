"""Never damage a Bedrock save: the game's db/LOCK, dry runs, failures and SIGKILL half way, a full
disk, backups and byte-exact restores, and bad input (neither edition, versions mcgen does not
write, boxes outside the world's height) refused before anything changes."""

from __future__ import annotations

import errno
import os
import signal
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import amulet_nbt as nbt
import numpy as np
import pytest

from mcgen.errors import FileIOError, WorldError
from mcgen.grid import VoxelGrid
from mcgen.vocab import DEFAULT_VOCAB
from mcgen.world import Placement, list_backups, paste, read_log, restore, surface_y
from mcgen.world.bedrock_paste import STAGING
from tests.unit.bedrock_leveldb import BedrockReader, read_db
from tests.unit.test_world_bedrock import digest, world_files

pytestmark = pytest.mark.world
ROOT = Path(__file__).resolve().parents[2]

HOLD_LOCK = textwrap.dedent("""
    import fcntl, sys
    # what LevelDB does on Linux while the game or a server has the world open: an fcntl lock on db/LOCK
    f = open(sys.argv[1], "a+b")
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("locked", flush=True)
    sys.stdin.read()
""")
PROBE = ("import fcntl, sys\nf = open(sys.argv[1], 'r+b')\n"
         "try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n"
         "except OSError:\n    print('held')\n")


def grid(size=(6, 5, 6), seed=0) -> VoxelGrid:
    states = list(DEFAULT_VOCAB.states)
    rng = np.random.default_rng(seed)
    blocks = rng.integers(1, len(states), size)
    blocks[rng.random(size) < 0.3] = 0
    return VoxelGrid(blocks, states).compact()


@pytest.fixture
def flat(world_copy):
    return world_copy("bedrock1_18_superflat")


def set_level_dat(world: Path, **fields) -> None:
    """Rewrite fields of a Bedrock level.dat (header length kept right)."""
    data = (world / "level.dat").read_bytes()
    root = nbt.load(data[8:], compressed=False, little_endian=True).compound
    for key, tag in fields.items():
        root[key] = tag
    payload = nbt.NamedTag(root, "").to_nbt(compressed=False, little_endian=True)
    (world / "level.dat").write_bytes(data[:4] + struct.pack("<i", len(payload)) + payload)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fcntl locks")
def test_refused_while_the_game_holds_db_lock_and_free_again_after(flat):
    from mcgen.importing.world import read_world_box

    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(flat / "db" / "LOCK")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        before = digest(flat)
        for dry in (False, True):
            with pytest.raises(WorldError, match=r"open in Minecraft .*db/LOCK is locked"):
                paste(flat, [Placement(grid(), 2, None, 2)], dry_run=dry)
        with pytest.raises(WorldError, match="db/LOCK is locked"):
            restore(flat)
        with pytest.raises(WorldError, match="db/LOCK is locked"):
            surface_y(flat, 0, 0, 4, 4)
        with pytest.raises(WorldError, match="db/LOCK is locked"):
            read_world_box(flat, (0, -64, 0, 3, -60, 3))
        assert digest(flat) == before
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    report = paste(flat, [Placement(grid(), 2, None, 2)])  # the "game" quit: free again
    assert report.backup_id and BedrockReader(flat).block(2, report.boxes[0].min[1], 2)


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fcntl locks")
def test_while_mcgen_writes_the_game_cannot_open_the_world_and_no_lock_file_is_left(flat):
    assert not (flat / "db" / "LOCK").exists()
    seen = []

    def hook(stage, done, total):
        if not seen:
            seen.append(subprocess.run([sys.executable, "-c", PROBE, str(flat / "db" / "LOCK")],
                                       capture_output=True, text=True, check=True).stdout.strip())

    paste(flat, [Placement(grid(), 2, None, 2)], hook=hook)
    assert seen == ["held"]
    assert not (flat / "db" / "LOCK").exists() and not (flat / STAGING).exists()


def test_dry_run_writes_nothing_but_reports(flat):
    before = digest(flat)
    report = paste(flat, [Placement(grid(), 2, None, 2), Placement(grid(), 900, -60, 0)], dry_run=True)
    assert report.dry_run and report.boxes[0].min == (2, -60, 2) and report.missing_chunks == [(56, 0)]
    assert digest(flat) == before and sorted(p.name for p in flat.iterdir()) == ["db", "level.dat", "levelname.txt"]


@pytest.mark.parametrize("stage,exc", [("write", RuntimeError), ("save", RuntimeError), ("swap", RuntimeError),
                                       ("swap", KeyboardInterrupt)])
def test_a_failure_half_way_leaves_the_save_as_it_was(flat, stage, exc):
    before = digest(flat)

    def hook(s, done, total):
        if s == stage and done >= max(1, total // 2):
            raise exc("injected")

    with pytest.raises(exc, match="injected"):
        paste(flat, [Placement(grid((40, 6, 40)), -40, -60, -40)], hook=hook, create_chunks=True)  # 9 chunks
    assert digest(flat) == before
    assert not list_backups(flat) and not read_log(flat)


def test_a_full_disk_while_staging_leaves_the_save_as_it_was(flat, monkeypatch):
    import mcgen.world.backup as bk

    before = digest(flat)
    real, calls = bk.shutil.copyfile, []

    def copyfile(src, dst, *a, **k):
        calls.append(src)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(bk.shutil, "copyfile", copyfile)
    with pytest.raises(FileIOError, match="No space left"):
        paste(flat, [Placement(grid(), 2, None, 2)])
    assert digest(flat) == before


def test_a_full_disk_while_the_new_store_goes_in_leaves_the_save_as_it_was(flat, monkeypatch):
    import mcgen.world.leveldb_files as lf

    before = digest(flat)
    real = lf.copy_file

    def copy_file(src, dst):
        if dst.parent == flat / "db" and dst.name == "CURRENT":  # the commit point itself fails
            raise FileIOError("cannot copy CURRENT: No space left on device", path=dst)
        return real(src, dst)

    monkeypatch.setattr(lf, "copy_file", copy_file)
    with pytest.raises(FileIOError, match="No space left"):
        paste(flat, [Placement(grid(), 2, None, 2)])
    assert digest(flat) == before and not list_backups(flat)


KILL_IN = textwrap.dedent("""
    import os, sys, time
    from mcgen.world import Placement, paste
    from tests.unit.test_world_bedrock_safety import grid
    stage, when = sys.argv[2], int(sys.argv[3])
    def hook(s, done, total):
        if s == stage and done >= when:
            print("ready", flush=True)
            time.sleep(60)
    paste(sys.argv[1], [Placement(grid((40, 6, 40)), -40, -60, -40)], hook=hook, create_chunks=True)
""")


def solid_cells(world: Path, g: VoxelGrid, origin) -> int:
    reader = BedrockReader(world)
    return sum(reader.block(origin[0] + x, origin[1] + y, origin[2] + z)[0] != "minecraft:air"
               for x, y, z in np.ndindex(*g.size))


@pytest.mark.skipif(sys.platform.startswith("win"), reason="SIGKILL")
@pytest.mark.parametrize("stage,when", [("save", 1), ("swap", 1), ("swap", 4), ("swap", 5)])
def test_sigkill_half_way_leaves_the_old_store_or_the_whole_new_one(flat, stage, when):
    before = read_db(flat / "db")
    g = grid((40, 6, 40))
    proc = subprocess.Popen([sys.executable, "-c", KILL_IN, str(flat), stage, str(when)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "ready"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    # what LevelDB would load: 4 new files + CURRENT are swapped in; only the CURRENT swap (5) commits
    if when < 5:
        assert read_db(flat / "db") == before
    else:
        assert solid_cells(flat, g, (-40, -60, -40)) == g.count()
    paste(flat, [Placement(grid((40, 6, 40), seed=4), -40, -60, -40)], create_chunks=True)  # the next paste works
    assert not (flat / STAGING).exists() and solid_cells(flat, g, (-40, -60, -40)) == grid((40, 6, 40), seed=4).count()


def test_backups_restore_byte_for_byte_and_are_pruned(flat, monkeypatch):
    monkeypatch.setenv("MCGEN_KEEP_BACKUPS", "2")
    original = world_files(flat)
    first = paste(flat, [Placement(grid(seed=1), 2, None, 2)], reason="paste one")
    after_first = world_files(flat)
    assert after_first != original
    second = paste(flat, [Placement(grid(seed=2), 2, None, 2, no_air=True)], reason="paste two")
    third = paste(flat, [Placement(grid(seed=3), 30, -60, 2)], reason="paste three", create_chunks=True)
    assert [b.id for b in list_backups(flat)] == [second.backup_id, third.backup_id]  # the oldest was pruned
    backup = list_backups(flat)[0]
    assert backup.edition == "bedrock" and "level.dat" in backup.files and "db/CURRENT" in backup.files
    restore(flat)  # undo the third
    restore(flat)  # the newest is still the third's: restoring twice is harmless
    restore(flat, second.backup_id)  # undo the second
    assert world_files(flat) == after_first
    assert [e["action"] for e in read_log(flat)] == ["paste"] * 3 + ["restore"] * 3
    with pytest.raises(WorldError, match="no backup 'nope'"):
        restore(flat, "nope")
    assert first.backup_id not in [b.id for b in list_backups(flat)]


@pytest.mark.parametrize("atomic", [True, False])
def test_restore_after_the_game_moved_the_store_on_is_still_byte_exact(flat, monkeypatch, atomic):
    import leveldb

    import mcgen.world.leveldb_files as lf

    if not atomic:  # the two-rename fallback of systems without renameat2
        monkeypatch.setattr(lf, "_renameat2_exchange", lambda a, b: False)
    swaps = []
    real_exchange = lf.exchange
    monkeypatch.setattr(lf, "exchange", lambda live, staged: swaps.append(live) or real_exchange(live, staged))

    paste(flat, [Placement(grid(seed=1), 2, None, 2)], reason="one")
    after_first = world_files(flat)
    two = paste(flat, [Placement(grid(seed=2), 2, None, 2)], reason="two")
    restore(flat, list_backups(flat)[0].id)  # back to the original store
    db = leveldb.LevelDB(str(flat / "db"))  # the game plays on: LevelDB numbers new files from the old count
    db.put(b"mcgen_game_played", b"x" * 100)
    db.close()
    leveldb.LevelDB(str(flat / "db")).close()  # and opens the world again: its write goes into a table
    (flat / "db" / "LOCK").unlink()
    two_files = {Path(f).name for f in next(b for b in list_backups(flat) if b.id == two.backup_id).files}
    live = set(os.listdir(flat / "db"))
    assert two_files & live - {"CURRENT"}, "no file name was reused: the test would not exercise the folder swap"
    assert not swaps
    restore(flat, two.backup_id)  # the state after the first paste, although names now clash
    assert swaps == [flat / "db"]  # the whole folder was swapped, not file by file
    assert world_files(flat) == after_first and not (flat / STAGING).exists()


def test_saves_of_neither_edition_are_refused(tmp_path):
    junk = tmp_path / "junk"
    (junk / "db").mkdir(parents=True)
    (junk / "level.dat").write_bytes(b"\x00" * 40)
    with pytest.raises(WorldError, match="neither a Java save .* nor a Bedrock save"):
        paste(junk, [Placement(grid(), 0, 0, 0)])
    half = tmp_path / "half"
    half.mkdir()
    payload = nbt.NamedTag(nbt.CompoundTag({"LevelName": nbt.StringTag("x")}), "").to_nbt(compressed=False,
                                                                                          little_endian=True)
    (half / "level.dat").write_bytes(struct.pack("<ii", 10, len(payload)) + payload)
    with pytest.raises(WorldError, match="no db/ folder"):
        paste(half, [Placement(grid(), 0, 0, 0)])
    assert sorted(p.name for p in half.iterdir()) == ["level.dat"] and sorted(p.name for p in junk.iterdir()) == [
        "db", "level.dat"]


@pytest.mark.parametrize("version,match", [((1, 2, 13, 0, 0), "from Bedrock 1.2.13; mcgen writes Bedrock saves from 1.16"),
                                           ((99, 1, 0, 0, 0), "from Bedrock 99.1.0; mcgen writes Bedrock saves from 1.16")])
def test_versions_amulet_cannot_write_are_refused_untouched(flat, version, match):
    set_level_dat(flat, lastOpenedWithVersion=nbt.ListTag([nbt.IntTag(v) for v in version]))
    before = digest(flat)
    with pytest.raises(WorldError, match=match):
        paste(flat, [Placement(grid(), 2, None, 2)])
    assert digest(flat) == before


def test_an_unreadable_level_dat_storage_version_is_refused(flat):
    data = bytearray((flat / "level.dat").read_bytes())
    data[0:4] = struct.pack("<i", 3)
    (flat / "level.dat").write_bytes(bytes(data))
    before = digest(flat)
    with pytest.raises(WorldError, match="storage version 3 cannot be read"):
        paste(flat, [Placement(grid(), 2, None, 2)])
    assert digest(flat) == before


@pytest.mark.parametrize("name,y,match", [("bedrock1_18_superflat", -70, r"-70\.\.-66, outside the world's -64\.\.319"),
                                          ("bedrock1_18_superflat", 316, r"316\.\.320, outside the world's -64\.\.319"),
                                          ("bedrock1_16_vanilla", 252, r"outside the world's 0\.\.255")])
def test_boxes_outside_the_worlds_height_are_refused_untouched(world_copy, name, y, match):
    world = world_copy(name)
    before = digest(world)
    with pytest.raises(WorldError, match=match):
        paste(world, [Placement(grid(), 84, y, 4)], create_chunks=True)
    assert digest(world) == before


def test_missing_chunks_are_refused_without_create_chunks(flat):
    before = digest(flat)
    with pytest.raises(WorldError, match=r"not generated yet: \(625, 625\)"):
        paste(flat, [Placement(grid(), 10000, -60, 10000)])
    assert digest(flat) == before
    report = paste(flat, [Placement(grid(), 10000, -60, 10000)], create_chunks=True)
    assert report.missing_chunks == [(625, 625)] and BedrockReader(flat).has_chunk(625, 625)
