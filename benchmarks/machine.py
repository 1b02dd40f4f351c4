"""What the benchmark scripts share: the machine and the commit a figure came from, running a
logged command, and writing a result file into ``benchmarks/results/``."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 2**20, 1)
    except (OSError, ValueError):
        pass
    return None


def describe_machine() -> dict:
    """CPU model, usable cores, memory, GPU (if torch sees one), OS, Python and torch versions."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = {"cpu": _cpu_model(), "cores": cores, "memory_gib": _memory_gib(), "gpu": None,
            "os": platform.platform(terse=True), "python": platform.python_version(), "torch": None}
    try:
        import torch

        info["torch"] = str(torch.__version__)
        if torch.cuda.is_available():
            info["gpu"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info


def git_state() -> dict:
    """The commit the figures came from and whether the working tree had uncommitted changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=ROOT, timeout=20).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=ROOT, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": bool(dirty)}


def git_line(g: dict | None) -> str:
    """``abc1234`` or ``abc1234 + uncommitted changes``."""
    if not g or not g.get("commit"):
        return "unknown commit"
    return f"commit {g['commit']}" + (" + uncommitted changes" if g.get("dirty") else "")


def machine_line(m: dict) -> str:
    """``m`` as one short line for a Markdown table or caption."""
    gpu = f", GPU {m['gpu']}" if m.get("gpu") else ", no GPU"
    mem = f", {m['memory_gib']} GiB RAM" if m.get("memory_gib") else ""
    return f"{m.get('cpu')} ({m.get('cores')} cores{mem}){gpu}; {m.get('os')}; Python {m.get('python')}, torch {m.get('torch')}"


def utc_now() -> str:
    """The date line of a result file: ``2026-12-02 03:06 UTC``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def run_logged(cmd: list[str]) -> float:
    """Print ``$ cmd``, run it in the repository root (a failure raises), return its wall seconds."""
    print("$ " + shlex.join(cmd), flush=True)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    return round(time.perf_counter() - t, 1)


def write_result(doc: dict, name: str) -> Path:
    """``doc`` as ``benchmarks/results/NAME.json`` (what ``make_benchmarks_md.py`` renders); says where."""
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return out
