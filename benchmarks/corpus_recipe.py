"""A model on the MineColonies corpus, end to end: import, train, evaluate on the held-out series, sheet.

Usage::

    # the CPU recipe (16^3, the buildings that fit, about 30 minutes of training on 2 cores)
    python benchmarks/corpus_recipe.py --name mc16-cpu --work /tmp/mc

    # the GPU recipe (32^3, `small`; at most 10 minutes of GPU)
    python benchmarks/corpus_recipe.py --name mc32-gpu --work /tmp/mc --size 32 --fit scale \\
        --model-size small --max-steps 6000 --batch-size 64 --lr 1e-3 --device cuda

    python benchmarks/corpus_recipe.py ... --skip-import --skip-train   # re-evaluate what is there

Stages, each the real command in a subprocess, each timed:

1. ``mcgen dataset import ../shared/data/minecolonies`` (style labels, 10% of the series held out,
   ``auto:256`` vocabulary);
2. ``mcgen train`` (masked objective, patch 4: what the quality study found best);
3. ``mcgen evaluate --checkpoint ... --cleanup none`` on 256 raw samples over all styles, against
   the **held-out series** (near copies against the training split; the real-build feature net);
4. a contact sheet: for a few styles, held-out real buildings next to generated ones of that style.

The JSON (``benchmarks/results/corpus_<name>.json``) holds the commands, wall times, machine,
the evaluation report and the issue's targets; ``make_benchmarks_md.py`` renders it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, git_state, run_logged, utc_now, write_result  # noqa: E402

MCGEN = [sys.executable, "-m", "mcgen"]
SHEET_STYLES = ("nordic", "medievaloak", "sandstone", "pagoda", "caledonia", "fortress")


def import_summary(imp: dict) -> dict:
    """What the recipe records of the import's report.json: counts, fit, split sizes, seconds."""
    split = {k: (len(v) if isinstance(v, list) else v) for k, v in (imp.get("split") or {}).items()}
    return {"written": imp["written"], "fit": imp["fit"], "split": split, "seconds": imp.get("seconds"),
            "vocabulary": imp.get("vocabulary_size"), "workers": imp.get("workers")}


def targets(report: dict, device: str) -> dict:
    """The corpus issue's targets: empty <= 2%, plausible within 0.1 of the baseline, block-histogram
    TV <= 2x baseline, FID <= 3x baseline on CPU (2x on GPU), near copies < 5%."""
    def val(k: str) -> tuple[float | None, float | None]:
        return report[k]["samples"], report[k]["baseline"]

    fid_x = 2.0 if device.startswith("cuda") else 3.0
    out = {}
    e, _ = val("empty")
    out["empty"] = {"rule": "<= 0.02", "value": e, "pass": None if e is None else e <= 0.02}
    p, pb = val("plausible")
    out["plausible"] = {"rule": "baseline - 0.1", "value": p, "baseline": pb,
                        "pass": None if p is None or pb is None else p >= pb - 0.1}
    for k, x in (("hist_tv", 2.0), ("fid", fid_x)):
        v, b = val(k)
        ratio = None if v is None or not b else v / b
        out[k] = {"rule": f"<= {x:g}x baseline", "value": v, "baseline": b,
                  "ratio": None if ratio is None else round(ratio, 2), "pass": None if ratio is None else ratio <= x}
    n, _ = val("near_copies")
    out["near_copies"] = {"rule": "< 0.05", "value": n, "pass": None if n is None else n < 0.05}
    return out


def sheet(data: Path, samples: Path, path: Path, per_style: int = 3) -> list[str]:
    """Rows of held-out real buildings and generated ones of the same style, side by side."""
    from mcgen.files import iter_structures
    from mcgen.render import contact_sheet

    real = [g for _, g in iter_structures(data) if g.meta.get("split") == "held_out"]
    gen = [g for _, g in iter_structures(samples)]
    items, shown = [], []
    for style in SHEET_STYLES:
        r = [g for g in real if g.meta.get("label") == style][:per_style]
        s = [g for g in gen if g.meta.get("label") == style][:per_style]
        if len(r) < per_style or len(s) < per_style:
            continue
        items += [(f"real {style}", g) for g in r] + [(f"generated {style}", g) for g in s]
        shown.append(style)
    if items:
        contact_sheet(items, path, cols=2 * per_style, cell=150)
    return shown


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", default="mc16-cpu")
    p.add_argument("--work", type=Path, default=Path("/tmp/mc"), help="dataset and run folders go here")
    p.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data" / "minecolonies")
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--fit", default="skip", help="skip: only the buildings that fit (16^3); scale for 32^3")
    p.add_argument("--vocab", default="auto:256")
    p.add_argument("--model-size", default="tiny")
    p.add_argument("--patch-size", type=int, default=4)
    p.add_argument("--mask-schedule", default="cosine", help="cosine or linear")
    p.add_argument("--structured-masks", type=float, default=0.0, help="share of structured masks in training")
    p.add_argument("--head", default="linear", help="output head: linear, voxel or voxel_occupancy")
    p.add_argument("--head-width", type=int, default=16, help="channels per voxel of a voxel head")
    p.add_argument("--max-steps", type=int, default=4500)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", default="2e-3")
    p.add_argument("--ema-decay", default="0.999")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--eval-steps", type=int, default=None, help="sampler steps (default: the objective's)")
    p.add_argument("--run", type=Path, default=None, help="the training run folder (default: WORK/NAME)")
    p.add_argument("--skip-import", action="store_true")
    p.add_argument("--skip-train", action="store_true")
    p.add_argument("--note", default="")
    a = p.parse_args(argv)
    data, run = a.work / f"data{a.size}", a.run or a.work / a.name
    import_cmd = [*MCGEN, "dataset", "import", str(a.source), "-o", str(data), "--size", str(a.size), "--fit", a.fit,
                  "--label-from", "style", "--split-by", "series", "--held-out", "0.1", "--vocab", a.vocab, "-q"]
    train_cmd = [*MCGEN, "train", "--data", str(data), "--out", str(run), "--model-size", a.model_size,
                 "--objective", "masked", "--mask-schedule", a.mask_schedule,
                 *(["--structured-masks", str(a.structured_masks)] if a.structured_masks else []),
                 *(["--head", a.head, "--head-width", str(a.head_width)] if a.head != "linear" else []),
                 "--patch-size", str(a.patch_size),
                 "--max-steps", str(a.max_steps),
                 "--batch-size", str(a.batch_size), "--lr", a.lr, "--ema-decay", a.ema_decay,
                 "--sample-every", str(max(1, a.max_steps // 3)), "--samples-per-step", "8",
                 "--ckpt-every", str(max(1, a.max_steps // 3)), "--log-every", "250", "--seed", "0", "--device", a.device,
                 "--threads", str(a.threads)]
    ck = run / "checkpoints" / "latest.pt"
    samples, report_path = a.work / f"{a.name}_samples", a.work / f"{a.name}_eval.json"
    eval_cmd = [*MCGEN, "evaluate", "--checkpoint", str(ck), "--reference", str(data), "--num-samples",
                str(a.num_samples), "--cleanup", "none", "--device", a.device, "--save-samples", str(samples),
                "--json", str(report_path), *(["--steps", str(a.eval_steps)] if a.eval_steps else [])]
    doc: dict = {"kind": "corpus_recipe", "name": a.name, "note": a.note, "machine": describe_machine(),
                 "git": git_state(), "command": " ".join(["python benchmarks/corpus_recipe.py",
                                                           *(argv if argv is not None else sys.argv[1:])]),
                 "import_command": shlex.join(import_cmd[2:]), "train_command": shlex.join(train_cmd[2:]),
                 "eval_command": shlex.join(eval_cmd[2:])}
    if not a.skip_import:
        doc["import_wall_s"] = run_logged(import_cmd)
    imp = json.loads((data / "report.json").read_text())
    doc["import"] = import_summary(imp)
    if not a.skip_train:
        doc["train_wall_s"] = run_logged(train_cmd)
    recs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if x.strip()]
    steps = [r for r in recs if "loss" in r]
    doc["training"] = {"steps": steps[-1]["step"] if steps else None, "seconds": steps[-1].get("time") if steps else None,
                       "final_loss": steps[-1]["loss"] if steps else None,
                       "samples_per_s": round(sum(r["samples_per_s"] for r in steps) / len(steps), 1) if steps else None}
    doc["eval_wall_s"] = run_logged(eval_cmd)
    report = json.loads(report_path.read_text())
    doc["report"] = report
    doc["targets"] = targets(report, a.device)
    pic = ROOT / "docs" / f"corpus_{a.name}.png"
    doc["sheet_styles"] = sheet(data, samples, pic)
    doc["sheet"] = f"docs/{pic.name}" if doc["sheet_styles"] else None
    doc["date"] = utc_now()
    print(json.dumps(doc["targets"], indent=1))
    write_result(doc, f"corpus_{a.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
