"""Never damage a world: the game's lock, missing chunks, dry runs, failures half-way, backups."""

from __future__ import annotations

import errno
import subprocess
import sys
import textwrap

import pytest

from mcgen.errors import FileIOError, WorldError
from mcgen.world import Placement, list_backups, paste, read_log, restore
from mcgen.world.paste import STAGING
from tests.unit.test_world_paste import _expected, test_grid
from tests.unit.world_anvil import RegionReader, chunk_status, tree_digest

pytestmark = pytest.mark.world

HOLD_LOCK = textwrap.dedent("""
    import fcntl, sys, time
    # what Java's FileChannel.tryLock does on Linux: a POSIX (fcntl) lock on the whole file
    f = open(sys.argv[1], "a+b")
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    f.seek(0); f.truncate(); f.write("\\u2603".encode()); f.flush()
    print("locked", flush=True)
    sys.stdin.read()
""")


@pytest.fixture
def flat(world_copy):
    return world_copy("mc1_18_superflat")


def two_region_paste(world):
    """A placement in mc1_21_3 that spans regions r.102.-1 and r.102.0 (both generated there)."""
    reader = RegionReader(world)
    for cx in range(102 * 32, 103 * 32 - 1):
        if all(chunk_status(reader, cx + i, cz) == "full" for i in (0, 1) for cz in (-1, 0)):
            return Placement(test_grid((20, 6, 20)), cx * 16 + 6, None, -10)
    pytest.fail("no 2x2 full chunks across the two regions")


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fcntl locks")
def test_refuses_while_another_process_holds_the_lock_like_the_game(flat):
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(flat / "session.lock")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        before = tree_digest(flat)
        for dry in (False, True):
            with pytest.raises(WorldError, match="open in Minecraft"):
                paste(flat, [Placement(test_grid((4, 4, 4)), 2, None, 2)], dry_run=dry)
        with pytest.raises(WorldError, match="open in Minecraft"):
            restore(flat)
        assert tree_digest(flat) == before
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    paste(flat, [Placement(test_grid((4, 4, 4)), 2, None, 2)])  # free again once the "game" quits


def test_missing_chunks_are_refused_and_listed(flat):
    before = tree_digest(flat)
    with pytest.raises(WorldError, match=r"not generated yet: \(625, 625\)"):
        paste(flat, [Placement(test_grid((4, 4, 4)), 10000, -40, 10000)])
    assert tree_digest(flat) == before
    assert not (flat / STAGING).exists() and not list_backups(flat)


def test_create_chunks_writes_them_and_restore_removes_the_new_region(flat):
    report = paste(flat, [Placement(test_grid((4, 4, 4)), 10000, -40, 10000)], create_chunks=True)
    assert report.missing_chunks == [(625, 625)]
    region = flat / "region" / "r.19.19.mca"
    assert RegionReader(flat).block(10000, -37, 10000) == "minecraft:torch"
    restore(flat, report.backup_id)
    assert not region.exists()


def test_dry_run_writes_nothing_but_reports(flat):
    before = tree_digest(flat)
    report = paste(flat, [Placement(test_grid((20, 4, 4)), 10, None, 10), Placement(test_grid((4, 4, 4)), 9000, 0, 0)],
                   dry_run=True)
    assert report.dry_run and report.boxes[0].min == (10, -60, 10)
    assert report.missing_chunks == [(562, 0)]
    assert tree_digest(flat) == before and not (flat / "session.lock").exists()


@pytest.mark.parametrize("stage,exc", [("write", RuntimeError), ("save", RuntimeError), ("save", KeyboardInterrupt)])
def test_failure_half_way_through_the_chunks_leaves_the_world_as_it_was(flat, stage, exc):
    before = tree_digest(flat)

    def hook(s, done, total):
        if s == stage and done >= total // 2:
            raise exc("injected")

    with pytest.raises(exc, match="injected"):
        paste(flat, [Placement(test_grid((40, 6, 40)), 1, None, 1)], hook=hook)  # 9 chunks
    assert tree_digest(flat) == before
    assert not (flat / STAGING).exists() and not list_backups(flat) and not read_log(flat)


@pytest.mark.parametrize("backup", [True, False])
def test_failure_after_half_the_region_files_are_swapped_rolls_back(world_copy, backup):
    world = world_copy("mc1_21_3_flat_redstone")
    placement = two_region_paste(world)
    before = tree_digest(world)

    def hook(stage, done, total):
        if stage == "swap" and done == 1:
            assert total == 2
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        paste(world, [placement], hook=hook, backup=backup)
    assert tree_digest(world) == before
    assert not list_backups(world)


def test_disk_full_while_staging_leaves_the_world_as_it_was(flat, monkeypatch):
    import mcgen.world.backup as bk

    before = tree_digest(flat)
    real = bk.shutil.copyfile
    calls = []

    def copyfile(src, dst, *a, **k):
        calls.append(src)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(bk.shutil, "copyfile", copyfile)
    with pytest.raises(FileIOError, match="No space left"):
        paste(flat, [Placement(test_grid((4, 4, 4)), 2, None, 2)])
    assert tree_digest(flat) == before and not (flat / STAGING).exists()


def test_backup_and_restore_round_trip(flat):
    original = tree_digest(flat)
    first = paste(flat, [Placement(test_grid((6, 4, 6), seed=1), 2, None, 2)], reason="paste one")
    after_first = tree_digest(flat)
    second = paste(flat, [Placement(test_grid((6, 4, 6), seed=2), 2, None, 2, no_air=True)], reason="paste two")
    assert [b.id for b in list_backups(flat)] == [first.backup_id, second.backup_id]
    backup = list_backups(flat)[0]
    assert set(backup.files) == {"level.dat", "region/r.0.0.mca"}
    restore(flat)  # newest: undo the second paste

    def world_files(d):  # our own log and relight data pack are not part of what a restore undoes
        return {k: v for k, v in d.items() if k != "mcgen_log.json" and not k.startswith("datapacks/")}

    assert world_files(tree_digest(flat)) == world_files(after_first)
    restore(flat, first.backup_id)
    assert world_files(tree_digest(flat)) == original
    assert [e["action"] for e in read_log(flat)] == ["paste", "paste", "restore", "restore"]
    with pytest.raises(WorldError, match="no backup 'nope'"):
        restore(flat, "nope")


def test_no_air_keeps_the_worlds_blocks(flat):
    grid = test_grid((6, 4, 6), seed=5)
    paste(flat, [Placement(grid, 2, -61, 2, no_air=True)], backup=False)  # layer 0 overlaps the grass
    reader = RegionReader(flat)
    for x in range(6):
        for z in range(6):
            want = _expected(grid.state_at(x, 0, z), 2860)
            got = reader.block(2 + x, -61, 2 + z)
            assert got == (want if want != "minecraft:air" else "minecraft:grass_block[snowy=false]")


def test_if_undoing_a_failed_swap_fails_too_the_backup_is_kept_and_restores(world_copy, monkeypatch):
    import importlib

    paste_mod = importlib.import_module("mcgen.world.paste")  # the package exports a function of that name

    world = world_copy("mc1_21_3_flat_redstone")
    placement = two_region_paste(world)
    before = tree_digest(world)

    def broken_copy(*a, **k):
        raise OSError(errno.EIO, "I/O error")

    def hook(stage, done, total):
        if stage == "swap" and done == 1:
            monkeypatch.setattr(paste_mod, "copy_file", broken_copy)
            raise RuntimeError("injected")

    with pytest.raises(WorldError, match="so did undoing it") as err:
        paste(world, [placement], hook=hook)
    backups = list_backups(world)
    assert len(backups) == 1 and str(backups[0].path) in str(err.value)
    restore(world)
    assert {k: v for k, v in tree_digest(world).items() if k != "mcgen_log.json"} == before


def test_pairs_are_accepted_and_empty_pastes_refused(flat):
    report = paste(flat, [(test_grid((3, 3, 3)), (1, -60, 1))], backup=False)
    assert report.boxes[0].min == (1, -60, 1)
    with pytest.raises(WorldError, match="nothing to paste"):
        paste(flat, [])
    from mcgen.grid import VoxelGrid

    with pytest.raises(WorldError, match="is empty"):
        paste(flat, [(VoxelGrid.empty((0, 0, 0)), (0, 0, 0))])


@pytest.mark.skipif(sys.platform.startswith("win"), reason="fcntl locks")
def test_while_mcgen_writes_the_game_cannot_open_the_world(flat):
    probe = ("import fcntl, sys\nf = open(sys.argv[1], 'r+b')\n"
             "try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n"
             "except OSError:\n    print('held')\n")
    seen = []

    def hook(stage, done, total):
        if not seen:
            seen.append(subprocess.run([sys.executable, "-c", probe, str(flat / "session.lock")],
                                       capture_output=True, text=True, check=True).stdout.strip())

    paste(flat, [Placement(test_grid((4, 4, 4)), 2, None, 2)], hook=hook)
    assert seen == ["held"]
    assert subprocess.run([sys.executable, "-c", probe, str(flat / "session.lock")],
                          capture_output=True, text=True, check=True).stdout.strip() == "free"


def test_chunks_stored_outside_the_region_file_are_refused(flat):
    (flat / "region" / "c.0.0.mcc").write_bytes(b"\x02")
    with pytest.raises(WorldError, match=r"external \.mcc"):
        paste(flat, [Placement(test_grid((4, 4, 4)), 2, None, 2)])
