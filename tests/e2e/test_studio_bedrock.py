"""The studio on Bedrock saves of its worlds folder (a real server over HTTP): listing, paste read back
from the save's LevelDB files, restore, refusal while the game holds db/LOCK; and structure metadata
that names the model, never the server's checkpoint path."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mcgen.grid import VoxelGrid
from tests.e2e.studio_helpers import copy_world, make_models, start_studio
from tests.unit.bedrock_leveldb import BedrockReader
from tests.unit.test_world_bedrock import digest, world_files

pytestmark = pytest.mark.world
AT = [0, -60, 0]  # chunk (0, 0) of the 1.18 superflat fixture


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio_bedrock")
    worlds = root / "worlds"
    worlds.mkdir()
    server = start_studio(make_models(root / "models", air_bias=1.0), worlds)
    yield server
    server.stop()


@pytest.fixture
def world(studio, fixtures_dir):
    path = copy_world(fixtures_dir, "bedrock1_18_superflat", studio.worlds / "bed")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _generated(studio) -> str:
    status, job = studio.call("POST", "/api/generate", {"model": "demo", "count": 1, "steps": 2, "seed": 3,
                                                         "cleanup": "none"})
    assert status == 202, job
    job = studio.wait(job["id"])
    assert job["state"] == "done", job
    return job["results"][0]


def test_generated_structures_name_the_model_not_the_servers_file(studio):
    sid = _generated(studio)
    status, summary = studio.call("GET", f"/api/structures/{sid}")
    assert status == 200 and summary["meta"]["checkpoint"] == "demo"
    status, _, raw = studio.request("GET", f"/api/structures/{sid}/view")
    status2, _, exported = studio.request("GET", f"/api/structures/{sid}/export?format=json")
    for text in (json.dumps(summary), raw.decode(), exported.decode()):
        assert str(studio.models) not in text and "demo.pt" not in text


def test_paste_into_a_bedrock_world_reads_back_and_restores(studio, world):
    status, listing = studio.call("GET", "/api/worlds")
    assert {"name": "bed", "edition": "bedrock", "version": "Bedrock 1.18.0"}.items() <= next(
        w for w in listing if w["name"] == "bed").items()
    sid = _generated(studio)
    status, _, raw = studio.request("GET", f"/api/structures/{sid}/export?format=json")
    grid = VoxelGrid.from_json_dict(json.loads(raw))
    assert grid.count() > 0
    before = world_files(world)
    status, job = studio.call("POST", "/api/paste", {"structure": sid, "world": "bed", "at": AT})
    job = studio.wait(job["id"])
    assert job["state"] == "done", job
    rep = job["report"]
    assert rep["edition"] == "bedrock" and rep["boxes"][0]["min"] == AT and rep["backup"] and not rep["unknown_states"]
    reader = BedrockReader(world)
    solid = np.array([reader.block(AT[0] + x, AT[1] + y, AT[2] + z)[0] != "minecraft:air"
                      for x, y, z in np.ndindex(*grid.size)]).reshape(grid.size)
    assert (solid == (grid.blocks != 0)).all()
    status, info = studio.call("GET", "/api/worlds/bed")
    assert info["edition"] == "bedrock" and info["backups"][-1]["id"] == rep["backup"]
    status, job = studio.call("POST", "/api/worlds/bed/restore", {"backup": rep["backup"]})
    assert studio.wait(job["id"])["state"] == "done"
    assert world_files(world) == before


def test_a_paste_while_the_game_holds_the_world_fails_and_changes_nothing(studio, world):
    from mcgen.world.lock import hold_lock

    sid = _generated(studio)
    before = digest(world)
    with hold_lock(world):  # as the game's LevelDB would while the world is open (another process)
        status, job = studio.call("POST", "/api/paste", {"structure": sid, "world": "bed", "at": AT})
        job = studio.wait(job["id"])
        assert job["state"] == "failed" and "db/LOCK is locked" in job["error"] and "\n" not in job["error"]
        assert {k: v for k, v in digest(world).items() if k != "db/LOCK"} == before
