"""Speed of trained models as a user meets them: one raw building at the model's default sampler
settings (batch 1, after a warm-up), and ``mcgen build --count 4`` into a new world, command to saved
world. Every checkpoint is measured in the same run, so the ratios compare like with like.

    python benchmarks/model_speed.py --name cpu --checkpoint minecolonies --checkpoint /tmp/new.pt \\
        --label nordic --repeats 5
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, git_state, utc_now, write_result  # noqa: E402

MCGEN = [sys.executable, "-m", "mcgen"]


def one_building(ck_name: str, label: str, repeats: int, threads: int) -> dict:
    """Median seconds for one raw sample (batch 1) at the model's default settings."""
    import torch

    from mcgen.generate import SampleSettings, generate
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.models import resolve_checkpoint

    torch.set_num_threads(threads)
    ck = load_checkpoint(resolve_checkpoint(ck_name))
    label = label if label in ck.label_names else ("all" if ck.label_names else None)
    generate(ck, 1, SampleSettings(seed=99, label=label, device="cpu"), clean="none")  # warm-up
    times = []
    for r in range(repeats):
        t = time.perf_counter()
        g = generate(ck, 1, SampleSettings(seed=r, label=label, device="cpu"), clean="none")
        times.append(time.perf_counter() - t)
    return {"sample_s": round(statistics.median(times), 3), "sampler": g[0].meta.get("sampler"),
            "steps": g[0].meta.get("steps"), "label": label}


def build_four(ck_name: str, label: str) -> float:
    """Wall seconds of ``mcgen world new`` excluded: ``mcgen build --count 4`` into a fresh world."""
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "w"
        subprocess.run([*MCGEN, "world", "new", str(world)], check=True, capture_output=True, cwd=ROOT)
        t = time.perf_counter()
        subprocess.run([*MCGEN, "build", "--checkpoint", ck_name, "--label", label, "--into", str(world), "--count", "4"],
                       check=True, capture_output=True, cwd=ROOT)
        wall = time.perf_counter() - t
        shutil.rmtree(world, ignore_errors=True)
    return round(wall, 2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", default="cpu")
    p.add_argument("--checkpoint", action="append", required=True, help="a shipped name or a file (repeatable)")
    p.add_argument("--label", default="nordic")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args(argv)
    doc = {"kind": "model_speed", "name": a.name, "machine": describe_machine(), "git": git_state(),
           "command": " ".join(["python benchmarks/model_speed.py", *(argv if argv is not None else sys.argv[1:])]),
           "models": {}}
    for ck in a.checkpoint:
        row = one_building(ck, a.label, a.repeats, a.threads)
        row["build4_s"] = build_four(ck, row["label"] or a.label)
        doc["models"][ck] = row
        print(ck, row, flush=True)
    doc["date"] = utc_now()
    write_result(doc, f"model_speed_{a.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
