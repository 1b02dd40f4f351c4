"""Backups do not grow forever: each paste keeps the newest N (default 10), ``world backups`` lists and
prunes, and every kept backup still restores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mcgen.cli import run
from mcgen.errors import ConfigError
from mcgen.grid import VoxelGrid
from mcgen.world import paste, restore
from mcgen.world.backup import BACKUP_DIR, DEFAULT_KEEP, KEEP_ENV, create_backup, list_backups, prune_backups


def _fake_save(tmp_path: Path) -> Path:
    world = tmp_path / "w"
    (world / "region").mkdir(parents=True)
    (world / "level.dat").write_bytes(b"level")
    (world / "region" / "r.0.0.mca").write_bytes(b"v0")
    return world


def _backups(world: Path, n: int, **kw) -> list[str]:
    ids = []
    for i in range(n):
        (world / "region" / "r.0.0.mca").write_bytes(f"v{i}".encode())
        ids.append(create_backup(world, [Path("region/r.0.0.mca")], reason=f"paste {i}", **kw).id)
    return ids


def test_each_backup_prunes_to_the_newest_ten(tmp_path, monkeypatch):
    monkeypatch.delenv(KEEP_ENV, raising=False)
    world = _fake_save(tmp_path)
    ids = _backups(world, 13)  # all in the same second or two: ids -2 ... -13 must sort numerically
    kept = [b.id for b in list_backups(world)]
    assert DEFAULT_KEEP == 10 and kept == ids[-10:]
    assert sorted(p.name for p in (world / BACKUP_DIR).iterdir()) == sorted(ids[-10:])
    # the oldest kept one restores the file as it was then
    restore(world, kept[0])
    assert (world / "region" / "r.0.0.mca").read_bytes() == b"v3"


def test_keep_is_configurable_and_zero_keeps_all(tmp_path, monkeypatch):
    world = _fake_save(tmp_path)
    monkeypatch.setenv(KEEP_ENV, "3")
    ids = _backups(world, 5)
    assert [b.id for b in list_backups(world)] == ids[-3:]
    monkeypatch.setenv(KEEP_ENV, "0")
    _backups(world, 4)
    assert len(list_backups(world)) == 7
    assert len(_backups(world, 1, keep=2)) == 1 and len(list_backups(world)) == 2  # an explicit keep wins
    monkeypatch.setenv(KEEP_ENV, "lots")
    with pytest.raises(ConfigError, match=KEEP_ENV):
        _backups(world, 1)
    assert len(list_backups(world)) == 2  # nothing was copied


def test_prune_leaves_folders_it_did_not_make(tmp_path, monkeypatch):
    monkeypatch.setenv(KEEP_ENV, "0")
    world = _fake_save(tmp_path)
    ids = _backups(world, 4)
    (world / BACKUP_DIR / ".rollback-123-456").mkdir()  # a paste without backup keeps its originals here
    (world / BACKUP_DIR / "notes").mkdir()
    removed = prune_backups(world, 1)
    assert [b.id for b in removed] == ids[:3]
    assert sorted(p.name for p in (world / BACKUP_DIR).iterdir()) == sorted([".rollback-123-456", "notes", ids[-1]])
    with pytest.raises(ConfigError):
        prune_backups(world, 0)


def test_world_backups_lists_and_prunes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(KEEP_ENV, "0")
    world = _fake_save(tmp_path)
    ids = _backups(world, 5)
    assert run(["world", "backups", str(world), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [b["id"] for b in listed["backups"]] == ids and listed["removed"] == [] and listed["keep"] == 0
    assert all(b["bytes"] > 0 and b["files"] for b in listed["backups"])
    assert run(["world", "backups", str(world), "--prune", "--keep", "2"]) == 0
    cap = capsys.readouterr()
    assert [line.split()[0] for line in cap.out.splitlines()] == ids[-2:]
    assert f"pruned 3: {', '.join(ids[:3])}" in cap.err
    assert run(["world", "backups", str(world), "--keep", "2"]) == 2  # --keep without --prune
    assert "--prune" in capsys.readouterr().err
    monkeypatch.setenv(KEEP_ENV, "1")
    assert run(["world", "backups", str(world), "--prune", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == [ids[-2]]


@pytest.mark.world
def test_pastes_keep_the_newest_backups_and_each_restores(world_copy, monkeypatch):
    from tests.unit.world_anvil import RegionReader

    monkeypatch.setenv(KEEP_ENV, "2")
    world = world_copy("mc1_18_superflat")
    region = world / "region" / "r.0.0.mca"
    versions = [region.read_bytes()]
    for i in range(4):
        grid = VoxelGrid(np.full((2, 2, 2), 1), ["minecraft:air", f"minecraft:{['stone', 'dirt', 'glass', 'bricks'][i]}"])
        report = paste(world, [(grid, (i * 3, -60, 0))], reason=f"paste {i}")
        assert report.backup_id
        versions.append(region.read_bytes())
    kept = list_backups(world)
    assert len(kept) == 2 and all(os.path.isdir(b.path) for b in kept)
    restore(world, kept[1].id)  # undo the last paste: the save as after paste 2
    assert region.read_bytes() == versions[3]
    assert RegionReader(world).block(9, -60, 0) != "minecraft:bricks"
    restore(world, kept[0].id)  # and the one before
    assert region.read_bytes() == versions[2]
