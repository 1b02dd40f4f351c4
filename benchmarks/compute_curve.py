"""Quality against training compute: one run's checkpoints, each scored raw like the corpus recipe.

Usage::

    python benchmarks/compute_curve.py --run /tmp/ship/minecolonies --reference /tmp/mc/data16 \\
        --minutes 5 20 60 --name minecolonies-occ16

For each requested number of CPU-minutes, the run's step checkpoint nearest that training time (the
run's ``metrics.jsonl`` has the time of every logged step) is evaluated with ``mcgen evaluate
--cleanup none`` on 256 samples over every label against ``--reference`` (its held-out split when it
has one). The points come from **one** run with one cosine schedule, so the early points were taken
at a higher learning rate than a run that stops there would end with: a lower bound on what a
dedicated run of that length reaches. The JSON (``benchmarks/results/curve_NAME.json``) and a small
plot (``docs/curve_NAME.png``: FID ratio and plausible against minutes) are rendered into
BENCHMARKS.md by ``make_benchmarks_md.py``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, git_state, run_logged, utc_now, write_result  # noqa: E402

MCGEN = [sys.executable, "-m", "mcgen"]
KEEP = ("plausible", "unsupported", "hist_tv", "fid", "precision", "recall", "empty", "near_copies")


def step_times(run: Path) -> dict[int, float]:
    """Step -> training seconds, from the run's logged steps."""
    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    return {r["step"]: r["time"] for r in recs if "loss" in r and "time" in r}


def checkpoints(run: Path) -> dict[int, Path]:
    pat = re.compile(r"^step_(\d+)\.pt$")
    return {int(m.group(1)): p for p in (run / "checkpoints").iterdir() if (m := pat.match(p.name))}


def seconds_at(step: int, times: dict[int, float]) -> float:
    """Training seconds at ``step``, interpolated between logged steps."""
    known = sorted(times)
    lo = max([s for s in known if s <= step], default=0)
    hi = min([s for s in known if s >= step], default=known[-1])
    t_lo, t_hi = times.get(lo, 0.0), times[hi]
    return t_lo if hi == lo else t_lo + (t_hi - t_lo) * (step - lo) / (hi - lo)


def plot(points: list[dict], path: Path, title: str) -> None:
    """Two small line charts side by side (PIL only): FID ratio and plausible against minutes."""
    from PIL import Image, ImageDraw

    w, h, pad = 320, 220, 40
    img = Image.new("RGB", (2 * w, h + 30), "white")
    d = ImageDraw.Draw(img)
    d.text((10, 5), title, fill="black")
    xs = [p["minutes"] for p in points]
    for i, (key, name) in enumerate((("fid_ratio", "FID / baseline (lower is better)"),
                                     ("plausible", "plausible (higher is better)"))):
        ys = [p[key] for p in points]
        ox = i * w
        lo, hi = (0.0, max(ys) * 1.15) if key == "fid_ratio" else (0.0, 1.0)
        x0, x1, y0, y1 = ox + pad, ox + w - 15, h, 45
        d.line([(x0, y0), (x1, y0)], fill="black")
        d.line([(x0, y0), (x0, y1)], fill="black")
        d.text((x0, 25), name, fill="black")
        sx = lambda x: x0 + (x1 - x0) * x / (max(xs) * 1.05)  # noqa: E731
        sy = lambda y: y0 - (y0 - y1) * (y - lo) / (hi - lo or 1)  # noqa: E731
        pts = [(sx(x), sy(y)) for x, y in zip(xs, ys)]
        d.line(pts, fill=(30, 90, 200), width=2)
        for (px, py), x, y in zip(pts, xs, ys):
            d.ellipse([px - 3, py - 3, px + 3, py + 3], fill=(30, 90, 200))
            d.text((px - 12, py - 16), f"{y:.2f}", fill="black")
            d.text((px - 8, y0 + 4), f"{x:.0f}m", fill="black")
        d.text((x0 - 30, y1 - 4), f"{hi:.2g}", fill="gray")
        d.text((x0 - 30, y0 - 10), f"{lo:.2g}", fill="gray")
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", type=Path, required=True)
    p.add_argument("--reference", type=Path, required=True)
    p.add_argument("--minutes", type=float, nargs="+", default=[5, 20, 60])
    p.add_argument("--name", required=True)
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--work", type=Path, default=Path("/tmp/curve"))
    a = p.parse_args(argv)
    times, cks = step_times(a.run), checkpoints(a.run)
    doc: dict = {"kind": "compute_curve", "name": a.name, "machine": describe_machine(), "git": git_state(),
                 "command": " ".join(["python benchmarks/compute_curve.py", *(argv if argv is not None else sys.argv[1:])]),
                 "train_config": json.loads((a.run / "config.json").read_text()).get("config"),
                 "points": []}
    a.work.mkdir(parents=True, exist_ok=True)
    for minutes in a.minutes:
        step = min(cks, key=lambda s: abs(seconds_at(s, times) - 60 * minutes))
        report_path = a.work / f"{a.name}_{step}.json"
        cmd = [*MCGEN, "evaluate", "--checkpoint", str(cks[step]), "--reference", str(a.reference), "--num-samples",
               str(a.num_samples), "--cleanup", "none", "--device", "cpu", "--json", str(report_path),
               "--steps", str(a.steps)]
        wall = run_logged(cmd)
        r = json.loads(report_path.read_text())
        point = {"minutes_asked": minutes, "step": step, "minutes": round(seconds_at(step, times) / 60, 1),
                 "eval_wall_s": wall, "eval_command": shlex.join(cmd[2:]),
                 **{k: r[k]["samples"] for k in KEEP if k in r}, "baseline": {k: r[k]["baseline"] for k in KEEP if k in r}}
        point["fid_ratio"] = round(point["fid"] / point["baseline"]["fid"], 2)
        point["hist_tv_ratio"] = round(point["hist_tv"] / point["baseline"]["hist_tv"], 2)
        doc["points"].append(point)
        print(json.dumps({k: point[k] for k in ("step", "minutes", "plausible", "fid_ratio", "hist_tv_ratio")}), flush=True)
    pic = ROOT / "docs" / f"curve_{a.name}.png"
    plot(doc["points"], pic, f"{a.name}: quality against CPU-minutes of training (one run)")
    doc["plot"] = f"docs/{pic.name}"
    doc["date"] = utc_now()
    write_result(doc, f"curve_{a.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
