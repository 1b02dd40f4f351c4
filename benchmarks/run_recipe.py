"""Run one training recipe end to end and save its evaluation for BENCHMARKS.md.

    python benchmarks/run_recipe.py --name tiny-cpu --count 100 --model-size tiny --max-steps 300
    python benchmarks/run_recipe.py --name small-1000-gpu --count 1000 --model-size small \
        --max-steps 4000 --batch-size 64 --num-samples 256

Stages (each timed, each a subprocess running the real command): ``mcgen dataset synth``,
``mcgen train`` (``--train-arg`` passes anything else through), then ``benchmarks/eval_recipe.py``
on the result. The JSON lands in ``benchmarks/results/eval_NAME.json`` with the commands, the
wall times, the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import run_logged as _run  # noqa: E402


def _probe_rate(train_cmd: list[str], out: Path, steps: int) -> float:
    """Optimizer steps per second of a short run of the same command (start-up excluded)."""
    cmd = list(train_cmd)
    cmd[cmd.index("--out") + 1] = str(out)
    cmd[cmd.index("--max-steps") + 1] = str(steps)
    _run([*cmd, "--log-every", str(max(1, steps // 3)), "--ckpt-every", str(10 * steps)])
    recs = [json.loads(x) for x in (ROOT / out / "metrics.jsonl").read_text().splitlines() if x.strip()]
    recs = [r for r in recs if "loss" in r and "time" in r]
    first, last = recs[0], recs[-1]
    return (last["step"] - first["step"]) / max(last["time"] - first["time"], 1e-6)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="synth -> train -> evaluate, timed; writes benchmarks/results/eval_NAME.json")
    p.add_argument("--name", required=True)
    p.add_argument("--work", type=Path, default=None, help="folder for dataset/ and outputs/ (default: outputs/recipes/NAME)")
    p.add_argument("--count", type=int, default=100, help="synthetic training builds")
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--model-size", default="tiny")
    p.add_argument("--max-steps", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--device", default="auto")
    p.add_argument("--train-seconds", type=float, default=None,
                   help="instead of --max-steps: probe the speed, then train for about this long")
    p.add_argument("--probe-steps", type=int, default=60)
    p.add_argument("--train-arg", action="append", default=[], help="extra `mcgen train` argument (repeatable)")
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--sample-steps", type=int, default=50)
    p.add_argument("--bootstrap", type=int, default=200)
    p.add_argument("--eval-arg", action="append", default=[],
                   help="extra eval_recipe.py argument (repeatable), e.g. --eval-arg=--guidance=1.5")
    a = p.parse_args(argv)
    work = a.work.resolve() if a.work else Path("outputs") / "recipes" / a.name  # relative to the repository root; git-ignored
    data, outputs = work / "dataset", work / "outputs"
    mcgen = [sys.executable, "-m", "mcgen"]
    synth_cmd = [*mcgen, "dataset", "synth", "--out", str(data), "--count", str(a.count), "--size", str(a.size),
                 "--seed", "0"]
    train_cmd = [*mcgen, "train", "--data", str(data), "--out", str(outputs), "--model-size", a.model_size,
                 "--max-steps", str(a.max_steps), "--batch-size", str(a.batch_size), "--device", a.device,
                 "--quiet", *a.train_arg]
    synth_s = _run(synth_cmd)
    probe = None
    if a.train_seconds:
        probe = _probe_rate(train_cmd, work / "probe", a.probe_steps)
        a.max_steps = max(a.probe_steps, int(a.train_seconds * probe))
        train_cmd[train_cmd.index("--max-steps") + 1] = str(a.max_steps)
        print(f"probe: {probe:.2f} steps/s -> --max-steps {a.max_steps} for ~{a.train_seconds} s", flush=True)
    train_s = _run(train_cmd)
    out = Path("benchmarks") / "results" / f"eval_{a.name}.json"
    _run([sys.executable, "benchmarks/eval_recipe.py", "--outputs", str(outputs), "--reference", str(data),
          "--name", a.name, "--num-samples", str(a.num_samples), "--steps", str(a.sample_steps),
          "--bootstrap", str(a.bootstrap), "--device", a.device, "--out", str(out), *a.eval_arg])
    result = json.loads((ROOT / out).read_text())
    result["recipe"] = {"command": shlex.join(["python", "benchmarks/run_recipe.py", *(argv or sys.argv[1:])]),
                        "synth_command": shlex.join(["python", *synth_cmd[1:]]), "synth_wall_s": synth_s,
                        "train_command": shlex.join(["python", *train_cmd[1:]]), "train_wall_s": train_s,
                        "probe_steps_per_s": probe}
    (ROOT / out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
