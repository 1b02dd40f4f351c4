"""The study that picks mcgen's default objective, token size and sampler: equal training time.

Usage::

    python benchmarks/quality_study.py                       # CPU: 240 s of training per variant
    python benchmarks/quality_study.py --budget 600 --preset small --device cuda --tag gpu
    python benchmarks/quality_study.py --quick               # toy sizes: checks the script runs

Each variant trains on the demo's dataset (``mcgen dataset synth``, 200 builds at 16^3, seed 0) for
the **same wall-clock budget**: a 30-step probe measures its training speed on this machine, and
the run gets ``budget x speed`` steps (so its learning-rate schedule ends when the time does). Then
every variant is sampled **raw** (``--cleanup none``, every label in turn) and scored with the
report of ``mcgen evaluate`` (:func:`mcgen.evaluate.evaluate`) against the same 200 builds:

1. a small sweep (64 samples, 25 steps) over guidance, and for masked models over the sampler,
   picks each variant's setting by FID;
2. that setting at 10, 25 and 50 sampler steps (and 100 for patch-4 variants, where steps are
   cheap), 256 samples each.

Results go to ``benchmarks/results/quality_study_<tag>.json`` (machine, command, commit, every
number), the raw samples' contact sheets of the two best variants to ``docs/``, and
``make_benchmarks_md.py --no-run`` renders the table into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, git_state  # noqa: E402

# name -> train settings beyond the shared ones (objective, patch size, width/depth)
VARIANTS: dict[str, dict] = {
    "gaussian-p4": {"objective": "gaussian", "patch": 4},
    "gaussian-p2": {"objective": "gaussian", "patch": 2},
    "masked-p4": {"objective": "masked", "patch": 4},
    "masked-p2": {"objective": "masked", "patch": 2},
    "masked-p4-deep": {"objective": "masked", "patch": 4, "depth": 8},
    # loss weighting and schedule of the masked objective (not in the default run)
    "masked-p4-bounded": {"objective": "masked", "patch": 4, "weighting": "bounded"},
    "masked-p4-linear": {"objective": "masked", "patch": 4, "schedule": "linear"},
    # output heads (issue: a network that can draw a wall): the full-resolution path at two widths,
    # and the factorised one whose full-resolution path decides only occupancy
    "masked-p4-voxel16": {"objective": "masked", "patch": 4, "head": "voxel", "head_width": 16},
    "masked-p4-voxel32": {"objective": "masked", "patch": 4, "head": "voxel", "head_width": 32},
    "masked-p4-occ16": {"objective": "masked", "patch": 4, "head": "voxel_occupancy", "head_width": 16},
    "masked-p4-occ32": {"objective": "masked", "patch": 4, "head": "voxel_occupancy", "head_width": 32},
}
DEFAULT_VARIANTS = ["gaussian-p4", "gaussian-p2", "masked-p4", "masked-p2", "masked-p4-deep"]
METRICS = ("plausible", "unsupported", "hist_tv", "fid", "precision", "recall", "near_copies", "empty")


def _train(data: Path, out: Path, v: dict, steps: int, a: argparse.Namespace) -> dict:
    """One training run in-process; returns the trainer's summary."""
    from trainer import build_config, train

    cfg = build_config(
        None, data=str(data), out=str(out), model_size=a.preset, patch_size=v["patch"], objective=v["objective"],
        mask_weighting=v.get("weighting"), mask_schedule=v.get("schedule"),
        max_steps=steps, batch_size=a.batch, lr=a.lr, ema_decay=a.ema, warmup_steps=min(100, max(1, steps // 5)),
        sample_every=0, ckpt_every=0, log_every=10, seed=a.seed, device=a.device, threads=a.threads,
        hidden_size=v.get("hidden"), depth=v.get("depth"), num_heads=v.get("heads"), head=v.get("head"),
        head_width=v.get("head_width"))
    return train(cfg, progress=False)


def _speed(data: Path, work: Path, v: dict, a: argparse.Namespace) -> float:
    """Training samples/s of variant ``v`` here, from a 30-step probe (the trainer's own timer,
    over steps 21-30, which excludes start-up)."""
    out = work / "probe"
    shutil.rmtree(out, ignore_errors=True)
    _train(data, out, v, 30, a)
    recs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
    rates = [r["samples_per_s"] for r in recs if "samples_per_s" in r]
    shutil.rmtree(out, ignore_errors=True)
    return float(rates[-1])


def _evaluate(ck, reference: list, n: int, steps: int, sampler: str, guidance: float, a) -> tuple[dict, list, float]:
    from mcgen.evaluate import evaluate
    from mcgen.generate.sample import generate
    from mcgen.generate.setup import SampleSettings

    t0 = time.perf_counter()
    settings = SampleSettings(seed=a.seed, label="all", guidance=guidance, sampler=sampler, num_steps=steps,
                              device=a.device)
    grids = generate(ck, n, settings, clean="none")
    seconds = time.perf_counter() - t0
    report = evaluate(grids, reference, seed=a.seed, n_boot=a.bootstrap)
    return report, grids, seconds


def _row(report: dict) -> dict:
    return {m: report[m]["samples"] for m in METRICS if m in report}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget", type=float, default=240.0, help="training seconds per variant")
    p.add_argument("--preset", default="tiny")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--ema", type=float, default=0.99)
    p.add_argument("--variants", nargs="*", default=DEFAULT_VARIANTS, help=f"any of {', '.join(VARIANTS)}")
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--sweep-samples", type=int, default=64)
    p.add_argument("--step-counts", type=int, nargs="*", default=[10, 25, 50])
    p.add_argument("--guidances", type=float, nargs="*", default=[1.0, 1.5, 2.0])
    p.add_argument("--samplers", nargs="*", default=None, help="masked samplers to sweep (default: all)")
    p.add_argument("--extra-steps-p4", type=int, nargs="*", default=[100],
                   help="more step counts for patch-4 variants only (cheap there)")
    p.add_argument("--bootstrap", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--tag", default="cpu", help="results file suffix (cpu, gpu)")
    p.add_argument("--quick", action="store_true", help="toy sizes, to check the script end to end")
    p.add_argument("--keep", type=Path, default=None, help="keep the runs (checkpoints) in this folder")
    p.add_argument("--train-steps", type=int, default=None,
                   help="train every variant this many steps instead of budget x probed speed (equal steps)")
    p.add_argument("--variant-steps", nargs="*", default=[], metavar="NAME=STEPS",
                   help="train these variants exactly this many steps (equal compute from step costs measured "
                        "apart, when a busy machine makes the 30-step probe unreliable)")
    p.add_argument("--note", default="", help="one line shown above the table in BENCHMARKS.md")
    p.add_argument("--eval-only", nargs="*", default=None, metavar="VARIANT",
                   help="with --keep: re-evaluate these variants' kept checkpoints (after a sampler change) "
                        "instead of training again; their training figures come from the previous results file")
    a = p.parse_args(argv)
    if a.quick:
        a.budget, a.num_samples, a.sweep_samples, a.step_counts, a.bootstrap = 4.0, 8, 4, [2, 4], 0
        a.guidances, a.extra_steps_p4 = [1.0, 2.0], []
    fixed_steps = {k: int(v) for k, v in (item.split("=", 1) for item in a.variant_steps)}
    unknown = [v for v in [*a.variants, *fixed_steps] if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")

    from mcgen.dataset import synthesize
    from mcgen.files import iter_structures
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.fsutil import atomic_write_text
    from mcgen.render import contact_sheet

    work = a.keep or Path(tempfile.mkdtemp(prefix="mcgen-study-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "dataset"
    if not (data / "manifest.json").is_file():
        synthesize(data, count=20 if a.quick else 200, size=16, seed=0)
    reference = [g for _, g in iter_structures(data)]
    results: dict = {
        "kind": "quality_study", "machine": describe_machine(), "git": git_state(),
        "command": " ".join(["python", "benchmarks/quality_study.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "budget_s": a.budget, "preset": a.preset, "batch": a.batch, "lr": a.lr, "ema": a.ema,
        "num_samples": a.num_samples, "note": a.note, "variants": {},
    }
    out_json = ROOT / "benchmarks" / "results" / f"quality_study_{a.tag}.json"
    previous = json.loads(out_json.read_text()) if a.eval_only is not None and out_json.is_file() else {}
    if a.eval_only is not None:
        if a.keep is None:
            p.error("--eval-only needs --keep (the folder with the kept runs)")
        results["training_runs_from"] = {"command": previous.get("command"), "git": previous.get("git"),
                                         "date": previous.get("date"), "variants": a.eval_only}
    grids_of: dict[str, list] = {}
    for name in a.variants:
        v = VARIANTS[name]
        run = work / name
        if a.eval_only is not None and name not in a.eval_only and name in previous.get("variants", {}):
            results["variants"][name] = previous["variants"][name]  # kept as measured (no samples to redraw)
            continue
        if a.eval_only is not None and name in a.eval_only:
            old = previous["variants"][name]
            sps = old["probe_samples_per_s"]
            summary = {"steps": old["train_steps"], "seconds": old["train_seconds"], "final_loss": old["final_loss"]}
        else:
            sps = _speed(data, work, v, a)
            steps = fixed_steps.get(name) or a.train_steps or max(1, int(a.budget * sps / a.batch))
            shutil.rmtree(run, ignore_errors=True)
            summary = _train(data, run, v, steps, a)
        ck = load_checkpoint(run / "checkpoints" / "latest.pt")
        obj = ck.objective()
        samplers = (a.samplers or obj.samplers) if obj.kind == "masked" else (obj.default_sampler,)
        sweep = []
        for sampler in samplers:
            for gd in a.guidances:
                rep, _, _ = _evaluate(ck, reference, a.sweep_samples, 25 if not a.quick else 2, sampler, gd, a)
                sweep.append({"sampler": sampler, "guidance": gd, **_row(rep)})
                print(f"{name} sweep {sampler} g{gd}: fid {rep['fid']['samples']:.2f} "
                      f"plausible {rep['plausible']['samples']:.2f}", flush=True)
        best = min(sweep, key=lambda r: r.get("fid", float("inf")))
        finals = []
        for n_steps in a.step_counts + (a.extra_steps_p4 if v["patch"] == 4 else []):
            rep, grids, sec = _evaluate(ck, reference, a.num_samples, n_steps, best["sampler"], best["guidance"], a)
            finals.append({"steps": n_steps, "sample_ms_per_structure": round(1000 * sec / a.num_samples, 2),
                           **_row(rep), "baseline": {m: rep[m]["baseline"] for m in METRICS if m in rep}})
            grids_of[f"{name}@{n_steps}"] = grids
            print(f"{name} {best['sampler']} g{best['guidance']} x{n_steps}: " +
                  " ".join(f"{k} {v:.3f}" for k, v in _row(rep).items()), flush=True)
        results["variants"][name] = {
            "settings": v, "probe_samples_per_s": round(sps, 2), "train_steps": summary["steps"],
            "train_seconds": round(summary["seconds"], 1), "final_loss": summary.get("final_loss"),
            "parameters": sum(t.numel() for t in ck.ema_state.values()), "sampler": best["sampler"],
            "guidance": best["guidance"],
            "sweep": sweep, "final": finals,
        }
        atomic_write_text(out_json, json.dumps(results, indent=1) + "\n")  # partial results survive a crash
    # the two best (variant, steps) by FID: contact sheets of their raw samples next to the data
    ranked = sorted((f["fid"], name, f["steps"]) for name, r in results["variants"].items() for f in r["final"]
                    if f"{name}@{f['steps']}" in grids_of)
    sheets = []
    seen = set()
    for fid, name, n_steps in ranked:
        if name in seen:
            continue
        seen.add(name)
        grids = grids_of[f"{name}@{n_steps}"][:20]
        path = ROOT / "docs" / f"study_{a.tag}_{len(sheets) + 1}_{name}.png"
        contact_sheet([(f"{g.meta.get('label')}", g) for g in grids], path)
        sheets.append({"variant": name, "steps": n_steps, "fid": fid, "png": str(path.relative_to(ROOT))})
        if len(sheets) == 2:
            break
    data_sheet = ROOT / "docs" / "study_data.png"
    contact_sheet([(g.meta.get("label", ""), g) for g in reference[:20]], data_sheet)
    results["sheets"] = sheets
    results["data_sheet"] = str(data_sheet.relative_to(ROOT))
    atomic_write_text(out_json, json.dumps(results, indent=1) + "\n")
    print(f"wrote {out_json}")
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
