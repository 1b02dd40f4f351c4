"""Evaluate a finished training run and save the result JSON that ``make_benchmarks_md.py`` reads.

Usage::

    python benchmarks/eval_recipe.py --outputs outputs/ --reference dataset/ --name tiny-cpu \
        [--num-samples 256] [--steps 50] [--device auto] [--out benchmarks/results/eval_tiny-cpu.json]

It samples ``--num-samples`` structures from ``outputs/checkpoints/latest.pt`` (timed), runs the
full ``mcgen evaluate`` report against the reference dataset, and records the training time and
settings found in ``outputs/`` (``metrics.jsonl``, ``config.json``), the machine, the command and
the date. Nothing in the JSON is typed by hand.
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

from machine import describe_machine, git_state  # noqa: E402


def training_summary(outputs: Path) -> dict:
    """Steps, wall time, final loss and config of a run, from ``metrics.jsonl`` and ``config.json``."""
    info: dict = {}
    cfg = outputs / "config.json"
    if cfg.is_file():
        d = json.loads(cfg.read_text())
        info["config"] = d.get("config", d)
        if isinstance(d.get("resolved"), dict):
            info["resolved"] = d["resolved"]
    lines = []
    log = outputs / "metrics.jsonl"
    if log.is_file():
        for raw in log.read_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError:
                continue
    train = [x for x in lines if "loss" in x]
    if train:
        last = train[-1]
        info.update(steps=last.get("step"), final_loss=last.get("loss"), seconds=last.get("time"),
                    samples_per_s=last.get("samples_per_s"))
    evals = [x["eval"] for x in lines if isinstance(x.get("eval"), dict)]
    if evals:
        info["last_quick_eval"] = evals[-1]
    return info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Evaluate a trained outputs/ folder and save the JSON for BENCHMARKS.md.")
    p.add_argument("--outputs", type=Path, required=True, help="the trainer's output folder")
    p.add_argument("--reference", type=Path, required=True, help="the dataset it was trained on")
    p.add_argument("--name", required=True, help="recipe name, e.g. tiny-cpu, small-100-gpu")
    p.add_argument("--checkpoint", type=Path, default=None, help="default: OUTPUTS/checkpoints/latest.pt")
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--steps", type=int, default=50, help="sampler steps")
    p.add_argument("--sampler", default="ddim")
    p.add_argument("--label", default=None,
                   help="class label or 'all' (every class in turn; the default for conditional models)")
    p.add_argument("--guidance", type=float, default=None, help="classifier-free guidance scale")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bootstrap", type=int, default=200)
    p.add_argument("--device", default="auto")
    p.add_argument("--save-samples", type=Path, default=None, help="also write the raw samples (NPZ) here")
    p.add_argument("--cleanup", default=None,
                   help="post-sampling clean-up evaluated next to the raw samples (default: mcgen's default)")
    p.add_argument("--out", type=Path, default=None, help="default: benchmarks/results/eval_NAME.json")
    a = p.parse_args(argv)

    from mcgen.generate.clean import DEFAULT_CLEANUP, cleanup
    from mcgen.evaluate import evaluate, format_table
    from mcgen.files import iter_structures
    from mcgen.fsutil import atomic_write_text
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.generate.sample import generate
    from mcgen.generate.setup import SampleSettings, evaluation_label, resolve_device
    from mcgen.grid import save_npz

    ckpt = a.checkpoint or a.outputs / "checkpoints" / "latest.pt"
    reference = [g for _, g in iter_structures(a.reference)]
    device = resolve_device(a.device)
    t0 = time.perf_counter()
    ck = load_checkpoint(ckpt)
    a.label = evaluation_label(ck, a.label)
    raw = generate(ck, a.num_samples, SampleSettings(seed=a.seed, label=a.label, guidance=a.guidance, sampler=a.sampler,
                                                     num_steps=a.steps, device=str(device)), clean="none")
    sample_s = time.perf_counter() - t0
    mode = a.cleanup or DEFAULT_CLEANUP
    samples = [cleanup(g, mode)[0] for g in raw]  # what `mcgen sample` / `build` hand out
    if a.save_samples:
        for i, g in enumerate(raw):  # the model's output; the clean-up can be re-applied
            save_npz(g, a.save_samples / f"sample_{i:04d}" / "voxels.npz")
    t1 = time.perf_counter()
    report = evaluate(samples, reference, seed=a.seed, n_boot=a.bootstrap)
    report_raw = evaluate(raw, reference, seed=a.seed, n_boot=a.bootstrap) if mode != "none" else None
    eval_s = time.perf_counter() - t1
    removed = [int(g.meta.get("cleanup_removed", 0)) for g in samples]
    blocks = [g.count() for g in raw]
    result = {
        "kind": "eval_recipe", "name": a.name, "machine": describe_machine(), "git": git_state(),
        "command": " ".join(["python", "benchmarks/eval_recipe.py", *(argv if argv is not None else sys.argv[1:])]),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "checkpoint": str(ckpt), "step": samples[0].meta.get("step") if samples else None,
        "training": training_summary(a.outputs),
        "sampling": {"seconds": round(sample_s, 2), "num_samples": a.num_samples, "sampler": a.sampler,
                     "steps": a.steps, "label": a.label, "guidance": a.guidance, "device": str(device), "per_sample_s": round(sample_s / max(a.num_samples, 1), 4)},
        "cleanup": {"mode": mode, "removed_blocks": sum(removed), "raw_blocks": sum(blocks),
                    "samples_touched": sum(r > 0 for r in removed)},
        "evaluation_seconds": round(eval_s, 2), "report": report, "report_raw": report_raw,
    }
    out = a.out or ROOT / "benchmarks" / "results" / f"eval_{a.name}.json"
    atomic_write_text(out, json.dumps(result, indent=1) + "\n")
    if report_raw is not None:
        print(f"raw model output (clean-up none):\n{format_table(report_raw)}\n")
        print(f"after clean-up {mode!r} ({sum(removed)} of {sum(blocks)} blocks removed, "
              f"{sum(r > 0 for r in removed)} of {len(raw)} samples touched):")
    print(format_table(report))
    print(f"\nsampling {sample_s:.1f}s for {a.num_samples} on {device}; evaluation {eval_s:.1f}s; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
