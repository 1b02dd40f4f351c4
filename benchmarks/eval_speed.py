"""How long the evaluation takes, and what a perfect generator scores (fresh synthetic builds).

Usage::

    python benchmarks/eval_speed.py [--quick] [--reference 1000] [--samples 256] [--json results.json]

"Samples" are synthetic builds drawn with another dataset seed, i.e. what an ideal generator
would produce; their table is the calibration of every metric (values near the baseline,
nothing flagged). Timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, machine_line  # noqa: E402


def _timed(fn, repeat: int = 1) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Time mcgen's evaluation and print its calibration table.")
    p.add_argument("--quick", action="store_true", help="small settings (200 reference, 64 samples)")
    p.add_argument("--reference", type=int, default=1000)
    p.add_argument("--samples", type=int, default=256)
    p.add_argument("--json", type=Path, default=None)
    a = p.parse_args(argv)
    if a.quick:
        a.reference, a.samples = 200, 64
    from mcgen.evaluate import evaluate, format_table, quick_eval
    from mcgen.synth import generate_dataset

    t_data, reference = _timed(lambda: generate_dataset(a.reference, 16, seed=0))
    samples = generate_dataset(a.samples, 16, seed=7)
    rows = [("synth reference builds", f"{a.reference}", f"{t_data:.2f}")]
    t, _ = _timed(lambda: quick_eval(samples[:8], reference[:64]), repeat=5)
    rows.append(("quick_eval (trainer --eval-every)", "8 vs 64", f"{t:.3f}"))
    t, _ = _timed(lambda: evaluate(samples, reference, n_boot=200, features=False))
    rows.append(("evaluate, no features, 200 bootstrap", f"{a.samples} vs {a.reference}", f"{t:.2f}"))
    t, report = _timed(lambda: evaluate(samples, reference, n_boot=200, features=True))
    rows.append(("evaluate, full (feature net), 200 bootstrap", f"{a.samples} vs {a.reference}", f"{t:.2f}"))
    print(f"machine: {machine_line(describe_machine())}")
    print(f"{'step':<45} {'size':>12} {'seconds':>9}")
    for r in rows:
        print(f"{r[0]:<45} {r[1]:>12} {r[2]:>9}")
    print("\ncalibration: fresh synthetic builds (seed 7) scored as if generated, against the seed-0 dataset")
    print(format_table(report))
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "report": report, "machine": describe_machine(),
                                      "date": datetime.datetime.now(datetime.timezone.utc).isoformat()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
