"""The studio's JSON API against a real server (``mcgen studio`` on 127.0.0.1, a free port), over HTTP.

Every endpoint, the bad inputs (oversized and broken uploads, traversal, unknown models, negative
counts), the Host / Origin checks, concurrent jobs (queued one at a time, all finish or are
cancelled), a client that disconnects, and a job that fails leaving the server and the world as
they were.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mcgen.export.readers import read_bytes
from mcgen.grid import VoxelGrid
from mcgen.materials import material_list
from mcgen.view.encode import decode_blocks
from tests.e2e.studio_helpers import copy_world, make_models, start_studio

WORLD = "mc1_21_3_flat_redstone"  # spawn (-15, -60, 42); 1.21 has every state of the vocabulary
AT = [-20, -60, 36]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("studio")
    models = make_models(root / "models")
    (root / "models" / "broken.pt").write_bytes(b"not a checkpoint at all")
    worlds = root / "worlds"
    worlds.mkdir()
    server = start_studio(models, worlds, "--max-upload-mb", "1", "--max-count", "8")
    yield server
    server.stop()


@pytest.fixture
def world(studio, fixtures_dir):
    """A fresh copy of a fixture world in the server's worlds folder (removed afterwards)."""
    import shutil

    path = copy_world(fixtures_dir, WORLD, studio.worlds / "flat")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _generate(studio, **kw) -> dict:
    body = {"model": "demo", "count": 2, "steps": 2, "seed": 1, **kw}
    status, job = studio.call("POST", "/api/generate", body)
    assert status == 202, job
    return studio.wait(job["id"])


def _grid_of(studio, sid: str) -> VoxelGrid:
    status, hdrs, raw = studio.request("GET", f"/api/structures/{sid}/export?format=json")
    assert status == 200
    return VoxelGrid.from_json_dict(json.loads(raw))


def _is_one_line_error(status: int, body) -> bool:
    return (400 <= status < 500 and isinstance(body, dict) and set(body) == {"error"}
            and body["error"] and "\n" not in body["error"] and "Traceback" not in body["error"])


# --- reading ---------------------------------------------------------------------------------------------
def test_page_assets_schema_and_listings(studio):
    status, hdrs, page = studio.request("GET", "/")
    assert status == 200 and b"mcgen studio" in page and b"/assets/gl.js" in page
    assert b"http://" not in page.replace(b"http://127.0.0.1", b"")  # no network assets
    for name in ("studio.js", "studio.css", "gl.js"):
        status, _, body = studio.request("GET", f"/assets/{name}")
        assert status == 200 and len(body) > 1000
    assert studio.call("GET", "/assets/..%2Fapp.py")[0] == 404
    status, schema = studio.call("GET", "/openapi.json")
    assert status == 200
    paths = schema["paths"]
    for p in ("/api/generate", "/api/complete", "/api/paste", "/api/jobs/{job_id}", "/api/jobs/{job_id}/cancel",
              "/api/models", "/api/worlds", "/api/worlds/{name}/restore", "/api/structures",
              "/api/structures/{sid}/export", "/api/structures/{sid}/materials", "/api/materials"):
        assert p in paths, p
    assert set(paths["/api/generate"]) == {"post"} and set(paths["/api/paste"]) == {"post"}
    assert studio.call("GET", "/docs")[0] == 404  # Swagger would load scripts from the network
    status, index = studio.call("GET", "/api")
    assert "POST /api/generate" in index["endpoints"]
    status, health = studio.call("GET", "/api/health")
    assert health["ok"] and health["limits"]["max_upload_bytes"] == 1024 * 1024 and "litematic" in health["export_formats"]
    status, models = studio.call("GET", "/api/models")
    by_name = {m["name"]: m for m in models}
    assert by_name["demo"]["labels"] == ["house", "tower"] and by_name["demo"]["objective"] == "masked"
    assert by_name["broken"]["error"]  # listed with its problem, the others still work
    assert studio.call("GET", "/api/worlds")[0] == 200


# --- generate, preview, export, materials ----------------------------------------------------------------
def test_generate_previews_exports_and_materials(studio):
    job = _generate(studio, count=2, label="house")
    assert job["state"] == "done" and len(job["results"]) == 2 and job["progress"]["fraction"] == 1.0
    sid = job["results"][0]
    status, summary = studio.call("GET", f"/api/structures/{sid}")
    assert summary["kind"] == "generated" and summary["meta"]["label"] == "house" and summary["meta"]["seed"] == 1
    grid = _grid_of(studio, sid)
    status, rec = studio.call("GET", f"/api/structures/{sid}/view")
    assert (np.array(rec["palette"], dtype=object)[decode_blocks(rec)] ==
            np.array(grid.palette, dtype=object)[grid.blocks]).all()
    for fmt in ("schem", "schem3", "litematic", "nbt", "blueprint"):
        status, hdrs, data = studio.request("GET", f"/api/structures/{sid}/export?format={fmt}&mc_version=1.20.4")
        assert status == 200 and "attachment" in hdrs["content-disposition"], fmt
        assert read_bytes(data) == grid, fmt
    status, hdrs, data = studio.request("GET", f"/api/structures/{sid}/export?format=mcstructure")
    assert status == 200 and read_bytes(data).count() == grid.count()
    status, hdrs, data = studio.request("GET", f"/api/structures/{sid}/export?format=datapack")
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "pack.mcmeta" in names and any(n.endswith(".nbt") for n in names)
    status, mats = studio.call("GET", f"/api/structures/{sid}/materials")
    expect = material_list(grid)
    assert {r["item"]: r["count"] for r in mats["items"]} == expect.items and mats["total"] == expect.total
    status, hdrs, csv = studio.request("GET", f"/api/structures/{sid}/materials?format=csv")
    assert hdrs["content-type"].startswith("text/csv") and csv.decode().startswith("item,count,stack,kind\n")
    assert any(s["id"] == sid for s in studio.call("GET", "/api/structures")[1])


def test_upload_any_format_then_complete_keeps_the_given_blocks(studio):
    from mcgen.export.writers import encode

    base = _grid_of(studio, _generate(studio, count=1, seed=7)["results"][0])
    status, up = studio.upload(encode(base, "litematic"), "my house.litematic")
    assert status == 201 and up["kind"] == "upload" and up["blocks"] == base.count() and up["name"] == "my house"
    status, _, raw = studio.request("POST", "/api/materials?filename=a.schem", encode(base, "schem"),
                                    {"Content-Type": "application/octet-stream"})
    assert status == 200 and json.loads(raw)["total"] == material_list(base).total
    for mode, extra in (("above", {"above": 8}), ("region", {"region": [2, 2, 2, 9, 9, 9]}), ("fill_air", {})):
        status, job = studio.call("POST", "/api/complete", {"model": "demo", "structure": up["id"], "mode": mode,
                                                            "count": 2 if mode == "above" else 1, "steps": 2, **extra})
        assert status == 202, job
        job = studio.wait(job["id"])
        assert job["state"] == "done", job
        for sid in job["results"]:
            out = _grid_of(studio, sid)
            states = np.array(out.palette, dtype=object)[out.blocks]
            given = np.array(base.palette, dtype=object)[base.blocks]
            keep = np.ones(base.size, dtype=bool)
            if mode == "above":
                keep[:, 8:, :] = False
            elif mode == "region":
                keep[2:10, 2:10, 2:10] = False
            else:
                keep = base.blocks != 0
            assert (states[keep] == given[keep]).all(), mode
            assert studio.call("GET", f"/api/structures/{sid}/view")[1]["given_count"] >= 0


# --- worlds ------------------------------------------------------------------------------------------------
def test_paste_backup_restore_and_dry_run(studio, world):
    from tests.unit.world_anvil import RegionReader, tree_digest

    sid = _generate(studio, count=1, cleanup="none")["results"][0]
    grid = _grid_of(studio, sid)
    before = tree_digest(world)
    status, job = studio.call("POST", "/api/paste", {"structure": sid, "world": "flat", "at": AT, "dry_run": True})
    assert studio.wait(job["id"])["report"]["dry_run"] and tree_digest(world) == before
    status, job = studio.call("POST", "/api/paste", {"structure": sid, "world": "flat", "at": AT})
    job = studio.wait(job["id"])
    assert job["state"] == "done", job
    rep = job["report"]
    assert rep["boxes"][0]["min"] == AT and rep["boxes"][0]["tp"].startswith("/tp @s ") and rep["backup"]
    got = RegionReader(world).box(*AT, *grid.size)
    assert (got == np.array(grid.palette, dtype=object)[grid.blocks]).all()
    status, info = studio.call("GET", "/api/worlds/flat")
    assert info["backups"][-1]["id"] == rep["backup"] and info["pastes"][-1]["boxes"][0]["min"] == AT
    status, job = studio.call("POST", "/api/worlds/flat/restore", {"backup": rep["backup"]})
    assert studio.wait(job["id"])["state"] == "done"
    after = tree_digest(world)
    assert {k: v for k, v in after.items() if "region" in k} == {k: v for k, v in before.items() if "region" in k}


def test_failed_paste_leaves_the_world_and_the_server_as_they_were(studio, world):
    from mcgen.world.lock import hold_lock
    from tests.unit.world_anvil import tree_digest

    sid = _generate(studio, count=1)["results"][0]
    before = tree_digest(world)
    with hold_lock(world):  # as the game would while the world is open
        status, job = studio.call("POST", "/api/paste", {"structure": sid, "world": "flat", "at": AT})
        job = studio.wait(job["id"])
    assert job["state"] == "failed" and "session.lock" in job["error"] and "\n" not in job["error"]
    assert tree_digest(world) == before
    assert _generate(studio, count=1)["state"] == "done"  # the worker lives on


def test_names_from_requests_stay_in_their_folders(studio, world, tmp_path):
    import shutil

    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(world, elsewhere)
    (studio.worlds / "link").symlink_to(elsewhere, target_is_directory=True)
    (studio.models / "linked.pt").symlink_to(studio.models / ".." / "models" / "demo.pt")
    outside_pt = tmp_path / "outside.pt"
    shutil.copy(studio.models / "demo.pt", outside_pt)
    (studio.models / "escape.pt").symlink_to(outside_pt)
    try:
        assert "link" not in [w["name"] for w in studio.call("GET", "/api/worlds")[1]]
        listed = [m["name"] for m in studio.call("GET", "/api/models")[1]]
        assert "escape" not in listed and "linked" in listed  # a link that stays in the folder is fine
        sid = _generate(studio, count=1)["results"][0]
        for name, code in (("link", 403), ("..", 400), ("../worlds", 400), ("/etc", 400), ("flat/../flat", 400),
                           (str(elsewhere), 400), ("nope", 404), (".hidden", 400)):
            status, body = studio.call("POST", "/api/paste", {"structure": sid, "world": name, "at": [0, -60, 0]})
            assert status == code and _is_one_line_error(status, body), (name, status, body)
        for name, code in (("escape", 403), ("../models/demo", 400), ("/tmp/demo", 400), ("demo.pt", 404)):
            status, body = studio.call("POST", "/api/generate", {"model": name, "count": 1})
            assert status == code and _is_one_line_error(status, body), (name, status, body)
        assert not (elsewhere / "mcgen_backups").exists()
    finally:
        for n in ("link",):
            (studio.worlds / n).unlink()
        for n in ("linked.pt", "escape.pt"):
            (studio.models / n).unlink()


# --- bad requests ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method,path,body,code", [
    ("POST", "/api/generate", {"model": "nope", "count": 1}, 404),
    ("POST", "/api/generate", {"model": "demo", "count": -1}, 422),
    ("POST", "/api/generate", {"model": "demo", "count": 0}, 422),
    ("POST", "/api/generate", {"model": "demo", "count": 9}, 400),  # over --max-count 8
    ("POST", "/api/generate", {"model": "demo", "steps": 0}, 422),
    ("POST", "/api/generate", {"model": "demo", "seed": -3}, 422),
    ("POST", "/api/generate", {"model": "demo", "label": "castle"}, 400),
    ("POST", "/api/generate", {"model": "demo", "sampler": "ddim", "count": 1}, 400),  # a Gaussian sampler
    ("POST", "/api/generate", {"model": "demo", "colour": "red"}, 422),
    ("POST", "/api/generate", {"model": "broken", "count": 1}, 400),
    ("POST", "/api/generate", None, 422),
    ("POST", "/api/complete", {"model": "demo", "structure": "s000000000000", "mode": "above", "above": 3}, 404),
    ("POST", "/api/complete", {"model": "demo", "structure": "x", "mode": "sideways"}, 422),
    ("POST", "/api/paste", {"structure": "s000000000000", "world": "flat"}, 404),
    ("POST", "/api/paste", {"structure": "s1", "world": "flat", "rotate": 45}, 422),
    ("GET", "/api/generate", None, 405),
    ("GET", "/api/jobs/j000000000000/cancel", None, 405),
    ("POST", "/api/models", {}, 405),
    ("GET", "/api/jobs/nope", None, 404),
    ("POST", "/api/jobs/nope/cancel", {}, 404),
    ("GET", "/api/structures/../../etc/passwd", None, 404),
    ("GET", "/api/structures/s000000000000/export?format=schem", None, 404),
    ("GET", "/api/nothing", None, 404),
    ("POST", "/api/worlds/nope/restore", {}, 404),
])
def test_bad_requests_get_a_one_line_4xx(studio, method, path, body, code):
    status, got = studio.call(method, path, body)
    assert status == code and _is_one_line_error(status, got), (status, got)


def test_broken_bad_format_and_unknown_export_format(studio):
    sid = _generate(studio, count=1)["results"][0]
    status, body = studio.call("GET", f"/api/structures/{sid}/export?format=exe")
    assert status == 400 and _is_one_line_error(status, body)
    status, body = studio.call("GET", f"/api/structures/{sid}/export?format=schem&mc_version=0.9")
    assert status == 400 and _is_one_line_error(status, body)
    for data, name in ((b"\x1f\x8b\x08\x00garbage", "x.schem"), (b"\x0a\x00\x00\x01", "x.nbt"), (b"{nope", "x.json"),
                       (b"PK\x03\x04rubbish", "x.npz"), (b"", "empty.litematic"), (os.urandom(5000), "noise.schem")):
        status, body = studio.upload(data, name)
        assert status == 400 and _is_one_line_error(status, body), (name, body)


# --- limits ----------------------------------------------------------------------------------------------
def test_upload_over_the_cap_is_refused_before_it_is_read(studio):
    sock = socket.create_connection(("127.0.0.1", studio.port), timeout=10)
    try:  # a 2 GB Content-Length and no body at all: the answer must come without waiting for it
        sock.sendall(f"POST /api/structures?filename=a.schem HTTP/1.1\r\nHost: {studio.host}\r\n"
                     f"Content-Type: application/octet-stream\r\nContent-Length: {2 << 30}\r\n\r\n".encode())
        t0 = time.monotonic()
        answer = b""
        while b"}" not in answer:  # the head, then the one-line JSON body (maybe in two packets)
            more = sock.recv(4096)
            if not more:
                break
            answer += more
        assert time.monotonic() - t0 < 5
        head, _, body = answer.decode().partition("\r\n\r\n")
        assert head.startswith("HTTP/1.1 413") and "limit" in json.loads(body)["error"], answer
    finally:
        sock.close()
    # no Content-Length: counted while it streams (chunked), refused past the cap
    status, hdrs, body = studio.request("POST", "/api/structures?filename=a.schem", _chunked(b"\0" * (1 << 20), 3),
                                        {"Transfer-Encoding": "chunked", "Content-Type": "application/octet-stream"})
    assert status == 413 and "limit" in json.loads(body)["error"]


def _chunked(piece: bytes, times: int) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(times)) + b"0\r\n\r\n"


def test_reader_limits_apply_to_uploads(studio):
    from mcgen.export.nbtio import BYTE_ARRAY, COMPOUND, INT, encode, gzip_bytes

    # a schematic that declares 100000^3 blocks: refused from its header, at once
    root = {"Version": (INT, 2), "DataVersion": (INT, 3700), "Width": (INT, 100000), "Height": (INT, 100000),
            "Length": (INT, 100000), "PaletteMax": (INT, 1), "Palette": (COMPOUND, {"minecraft:air": (INT, 0)}),
            "BlockData": (BYTE_ARRAY, np.zeros(1, dtype=np.int8))}
    t0 = time.monotonic()
    status, body = studio.upload(gzip_bytes(encode(root, root_name="Schematic")), "huge.schem")
    assert status == 400 and "too large" in body["error"] and time.monotonic() - t0 < 5, body
    # voxel JSON declaring a huge size, and one over the server's cell limit
    status, body = studio.upload(json.dumps({"format": "mcgen.voxels", "version": 1, "size": [4096, 4096, 4096],
                                             "palette": ["minecraft:air"], "voxels": []}).encode(), "big.json")
    assert status in (400, 413) and _is_one_line_error(status, body)
    status, body = studio.upload(json.dumps({"format": "mcgen.voxels", "version": 1, "size": [200, 200, 200],
                                             "palette": ["minecraft:air"], "voxels": []}).encode(), "big.json")
    assert status == 413 and _is_one_line_error(status, body)
    # gzip that inflates past the server's limit (64 MiB here): refused while inflating
    bomb = gzip.compress(b"\0" * (65 << 20), compresslevel=9)
    assert len(bomb) < (1 << 20)
    status, body = studio.upload(bomb, "bomb.nbt")
    assert status == 413 and _is_one_line_error(status, body)


def test_host_and_origin_must_be_this_server(studio):
    h = studio.host
    port = studio.port
    assert studio.call("GET", "/api/health", headers={"Host": f"localhost:{port}"})[0] == 200
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1:{port + 1}", f"attacker.test:{port}"):
        status, body = studio.call("GET", "/api/health", headers={"Host": host})
        assert status == 403 and _is_one_line_error(status, body), host
    gen = {"model": "demo", "count": 1, "steps": 1}
    for origin in ("http://evil.example", f"http://evil.example:{port}", "null", f"https://{h}"):
        status, body = studio.call("POST", "/api/generate", gen, headers={"Origin": origin})
        assert status == 403 and _is_one_line_error(status, body), origin
    status, body = studio.call("POST", "/api/generate", gen, headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, job = studio.call("POST", "/api/generate", gen, headers={"Origin": f"http://{h}"})
    assert status == 202 and studio.wait(job["id"])["state"] == "done"


# --- jobs --------------------------------------------------------------------------------------------------
def test_concurrent_jobs_queue_one_at_a_time_and_all_end_cleanly(studio):
    long = {"model": "demo", "count": 8, "steps": 400, "seed": 100}
    status, slow = studio.call("POST", "/api/generate", long)
    assert status == 202
    ids, errors = [], []

    def submit(i: int) -> None:
        try:
            status, job = studio.call("POST", "/api/generate", {"model": "demo", "count": 1, "steps": 2, "seed": 200 + i})
            assert status == 202, job
            ids.append(job["id"])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(ids) == 6
    status, queued = studio.call("POST", f"/api/jobs/{ids[-1]}/cancel", {})
    assert queued["state"] == "cancelled"  # still waiting: cancelled at once
    running_seen = []
    end = time.monotonic() + 30
    while time.monotonic() < end:
        jobs = {j["id"]: j for j in studio.call("GET", "/api/jobs")[1]}
        running_seen.append(sum(j["state"] == "running" for j in jobs.values()))
        if jobs[slow["id"]]["state"] == "running" and jobs[slow["id"]]["progress"]["fraction"] > 0:
            break
        time.sleep(0.05)
    status, _ = studio.call("POST", f"/api/jobs/{slow['id']}/cancel", {})
    slow_job = studio.wait(slow["id"])
    assert slow_job["state"] == "cancelled" and len(slow_job["results"]) < 8  # stopped mid-sampling
    finished = [studio.wait(i) for i in ids]
    assert [j["state"] for j in finished] == ["done"] * 5 + ["cancelled"]
    assert all(len(j["results"]) == 1 for j in finished[:5]) and finished[-1]["results"] == []
    assert max(running_seen) <= 1
    starts = sorted((j["started"], j["finished"]) for j in finished[:5] + [slow_job])
    assert all(a[1] <= b[0] + 1e-3 for a, b in zip(starts, starts[1:]))  # never two at once


def test_a_client_that_disconnects_does_not_stop_its_job(studio):
    body = json.dumps({"model": "demo", "count": 1, "steps": 3, "seed": 4242}).encode()
    sock = socket.create_connection(("127.0.0.1", studio.port), timeout=10)
    sock.sendall(b"POST /api/generate HTTP/1.1\r\nHost: " + studio.host.encode() +
                 b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    sock.close()  # gone before the answer
    end = time.monotonic() + 30
    job = None
    while time.monotonic() < end and job is None:
        job = next((j for j in studio.call("GET", "/api/jobs")[1] if j["params"].get("seed") == 4242), None)
        time.sleep(0.05)
    assert job is not None and studio.wait(job["id"])["state"] == "done"
    assert studio.call("GET", "/api/health")[0] == 200


def test_a_crashing_job_is_reported_and_the_worker_goes_on():
    from mcgen.studio.jobs import JobQueue

    q = JobQueue()
    q.start()
    try:
        bad = q.submit("generate", {}, lambda ctx: (_ for _ in ()).throw(RuntimeError("boom\nsecond line")))
        good = q.submit("generate", {}, lambda ctx: ctx.add_result("s000000000001"))
        assert q.wait_idle(10)
        b, g = q.snapshot(bad.id), q.snapshot(good.id)
        assert b["state"] == "failed" and b["error"] == "internal error (RuntimeError): boom second line"
        assert g["state"] == "done" and g["results"] == ["s000000000001"]
    finally:
        q.close()


def test_importing_the_studio_package_stays_light():
    import subprocess
    import sys

    code = "import sys, mcgen.studio, mcgen.studio.engine; print(' '.join(sorted(sys.modules)))"
    mods = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parents[2]).stdout.split())
    assert not {"torch", "fastapi", "uvicorn", "amulet", "trainer"} & mods


def test_studio_command_refuses_bad_folders_and_a_taken_port(tmp_path, capsys):
    from mcgen.cli import run

    assert run(["studio", "--models", str(tmp_path / "nope")]) == 3
    assert capsys.readouterr().err.splitlines()[-1].startswith("mcgen: error: ")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        assert run(["studio", "--port", str(taken.getsockname()[1])]) == 3
        err = capsys.readouterr().err.splitlines()[-1]
        assert err.startswith("mcgen: error: cannot listen on 127.0.0.1:"), err
    finally:
        taken.close()


def test_host_names_of_a_config():
    from mcgen.studio.config import StudioConfig

    assert StudioConfig(port=8765).host_names(8765) == {"127.0.0.1:8765", "localhost:8765", "[::1]:8765"}
    assert "localhost" in StudioConfig(port=80).host_names(80)
    assert "build-box:9000" in StudioConfig(host="0.0.0.0", allow_hosts=("Build-Box",)).host_names(9000)
    assert not StudioConfig(host="0.0.0.0").loopback and StudioConfig(host="::1").loopback
