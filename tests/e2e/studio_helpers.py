"""A real ``mcgen studio`` server for the tests: started as a subprocess on 127.0.0.1, port 0 (a free
one; the server prints its URL), with a plain HTTP client (``http.client``, so the tests control every
header, Host included)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
FINISHED = ("done", "failed", "cancelled")


class Studio:
    """A running server: its process, URL, folders, and small request helpers."""

    def __init__(self, proc: subprocess.Popen, url: str, models: Path, worlds: Path) -> None:
        self.proc, self.url, self.models, self.worlds = proc, url, models, worlds
        self.port = int(url.rstrip("/").rsplit(":", 1)[1])
        self.host = f"127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
        """One request; ``headers`` may replace Host. Returns status, headers (lower-case names), body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            hdrs = {"Host": self.host, **(headers or {})}
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            if body is not None and not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            res = conn.getresponse()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()
        finally:
            conn.close()

    def call(self, method: str, path: str, data: Any = None, headers: dict[str, str] | None = None,
             ) -> tuple[int, Any]:
        """A JSON request; returns the status and the decoded JSON body (or the raw bytes)."""
        body = None if data is None else json.dumps(data).encode()
        h = {"Content-Type": "application/json", **(headers or {})} if data is not None else dict(headers or {})
        status, hdrs, raw = self.request(method, path, body, h)
        if "json" in hdrs.get("content-type", ""):
            return status, json.loads(raw)
        return status, raw

    def upload(self, data: bytes, filename: str) -> tuple[int, Any]:
        status, hdrs, raw = self.request("POST", f"/api/structures?filename={quote(filename)}", data,
                                         {"Content-Type": "application/octet-stream"})
        return status, json.loads(raw)

    def wait(self, job_id: str, timeout: float = 120) -> dict:
        """Poll a job until it has finished."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            status, job = self.call("GET", f"/api/jobs/{job_id}")
            assert status == 200, job
            if job["state"] in FINISHED:
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def stop(self) -> str:
        """Stop the server (SIGTERM, as Ctrl-C would) and return its stderr."""
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def start_studio(models: Path, worlds: Path, *extra: str, timeout: float = 90) -> Studio:
    """``python -m mcgen studio --port 0 --models M --worlds W --threads 1 ...`` from this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "mcgen", "studio", "--port", "0", "--models", str(models), "--worlds", str(worlds),
           "--threads", "1", *extra]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0].startswith("http://"):
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"mcgen studio did not start: {line} {out} {err}")
    return Studio(proc, line[0].strip(), models, worlds)


def make_models(folder: Path, **kwargs: Any) -> Path:
    """``folder/demo.pt``: a small random-weight masked checkpoint (labels house, tower)."""
    from tests.model_helpers import random_checkpoint  # noqa: PLC0415

    folder.mkdir(parents=True, exist_ok=True)
    random_checkpoint(folder / "demo.pt", objective="masked", air_bias=kwargs.pop("air_bias", 3.0), **kwargs)
    return folder


def copy_world(fixtures: Path, name: str, dest: Path) -> Path:
    """A writable copy of a fixture world (opening a world writes session.lock)."""
    import shutil  # noqa: PLC0415

    shutil.copytree(fixtures / "worlds" / name, dest)
    for p in [dest, *dest.rglob("*")]:
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    return dest
