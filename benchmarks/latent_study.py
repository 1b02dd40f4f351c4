"""Voxel-space DiT against latent DiTs on the MineColonies corpus, at equal compute.

Usage::

    python benchmarks/latent_study.py --name cpu --work /tmp/mc --budget-min 15 \\
        --variants voxel,latent-p4-13k,latent-p2-4k

Every variant gets the same wall-clock budget on this machine, **the tokenizer's training
included**: a latent variant first trains its tokenizer (a fixed step count, timed), then its DiT
gets what is left of the budget. Budgets are turned into step counts before training (a short
calibration run measures each DiT's seconds per step), so a run is fixed by its steps and light
work beside it only slows it. Every stage is the real command in a subprocess:

1. ``mcgen tokenizer train`` and ``mcgen tokenizer eval`` (reconstruction of the held-out series);
2. ``mcgen train`` (``--tokenizer`` for a latent variant);
3. ``mcgen evaluate --cleanup none`` on 256 raw samples over every style against the held-out series
   (plus the local-structure figures: same-block neighbour share, 2x2x2 pattern TV), once per
   ``--samplers`` x ``--temperatures`` setting (``support``: grow from the ground up);
4. a contact sheet per variant: held-out real builds next to generated ones of the same style.

``--reuse`` skips a stage whose output already exists and was made by the same command (its
recorded wall time is used). The JSON goes to ``benchmarks/results/latent_study_<name>.json``;
``make_benchmarks_md.py`` renders it.
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

from corpus_recipe import sheet  # noqa: E402
from machine import describe_machine, git_state, run_logged, utc_now, write_result  # noqa: E402

MCGEN = [sys.executable, "-m", "mcgen"]
# name -> tokenizer settings (None: voxel space) and DiT settings. The voxel recipe is the shipped
# minecolonies model's (registry row); the latent DiTs are `tiny` trunks over the code grid.
VOXEL_DIT = ["--model-size", "tiny", "--objective", "masked", "--mask-schedule", "cosine", "--head", "voxel_occupancy",
             "--head-width", "16", "--patch-size", "4", "--embed-dim", "10", "--batch-size", "32", "--lr", "2e-3"]
LATENT_DIT = ["--model-size", "tiny", "--objective", "masked", "--mask-schedule", "cosine", "--batch-size", "32",
              "--lr", "1e-3"]
VARIANTS: dict[str, tuple[list[str] | None, list[str]]] = {
    "voxel": (None, VOXEL_DIT),
    "latent-p4-13k": (["--patch", "4", "--codes", "13k", "--width", "24"], LATENT_DIT),
    "latent-p4-1k": (["--patch", "4", "--codes", "1k", "--width", "24"], LATENT_DIT),
    "latent-p2-4k": (["--patch", "2", "--codes", "4k", "--width", "16"], LATENT_DIT),
    "latent-p2-1k": (["--patch", "2", "--codes", "1k", "--width", "16"], LATENT_DIT),
}


def stage(cmd: list[str], done: Path, reuse: bool, record: Path) -> float:
    """Run ``cmd`` unless ``--reuse`` finds ``done`` made by the same command; wall seconds either way."""
    line = shlex.join(cmd[2:])
    if reuse and done.exists() and record.exists():
        rec = json.loads(record.read_text())
        if rec.get("command") == line:
            print(f"reusing {done} ({rec['wall_s']} s)", flush=True)
            return float(rec["wall_s"])
    wall = run_logged(cmd)
    record.write_text(json.dumps({"command": line, "wall_s": wall}))
    return wall


def seconds_per_step(cmd: list[str], out: Path, steps: int = 30) -> float:
    """A short training run of ``cmd`` (``--out`` replaced): seconds per optimizer step from its log."""
    probe = [*cmd[: cmd.index("--out") + 1], str(out), *cmd[cmd.index("--out") + 2:], "--max-steps", str(steps),
             "--log-every", "10", "--sample-every", "0", "--ckpt-every", str(10 * steps), "-q"]
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    run_logged(probe)
    recs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()]
    last = [r for r in recs if "samples_per_s" in r][-1]
    batch = int(cmd[cmd.index("--batch-size") + 1])
    return batch / float(last["samples_per_s"])


def run_variant(name: str, a: argparse.Namespace, data: Path) -> dict:
    tok_args, dit_args = VARIANTS[name]
    run = a.work / f"study_{a.name}_{name}"
    run.mkdir(parents=True, exist_ok=True)
    doc: dict = {"variant": name, "budget_s": a.budget_min * 60}
    train_cmd = [*MCGEN, "train", "--data", str(data), "--out", str(run / "dit"), *dit_args, "--seed", "0",
                 "--device", "cpu", "--threads", str(a.threads), "--ema-decay", "0.999"]
    spent = 0.0
    if tok_args is not None:
        tok_dir = run / "tokenizer"
        tok_cmd = [*MCGEN, "tokenizer", "train", "--data", str(data), "--out", str(tok_dir), *tok_args,
                   "--max-steps", str(a.tok_steps), "--batch-size", "16", "--lr", "2e-3", "--seed", "0",
                   "--threads", str(a.threads), "-q"]
        if not a.reuse:
            import shutil

            shutil.rmtree(tok_dir, ignore_errors=True)
        spent = stage(tok_cmd, tok_dir / "tokenizer.pt", a.reuse, run / "tokenizer_stage.json")
        recon = run / "recon.json"
        eval_tok = [*MCGEN, "tokenizer", "eval", "-t", str(tok_dir / "tokenizer.pt"), "--data", str(data),
                    "--json", str(recon), "--sheet", str(ROOT / "docs" / f"recon_{a.name}_{name}.png"),
                    "--threads", str(a.threads)]
        run_logged(eval_tok)
        doc.update(tokenizer_command=shlex.join(tok_cmd[2:]), tokenizer_wall_s=spent,
                   reconstruction=json.loads(recon.read_text()), recon_sheet=f"docs/recon_{a.name}_{name}.png")
        train_cmd += ["--tokenizer", str(tok_dir / "tokenizer.pt")]
    sps = seconds_per_step(train_cmd, run / "probe")
    steps = max(50, int((a.budget_min * 60 - spent) / sps))
    train_cmd += ["--max-steps", str(steps), "--sample-every", str(max(1, steps // 3)), "--samples-per-step", "8",
                  "--ckpt-every", str(max(1, steps // 3)), "--log-every", "50", "-q"]
    doc.update(seconds_per_step=round(sps, 3), dit_steps=steps, train_command=shlex.join(train_cmd[2:]))
    doc["train_wall_s"] = stage(train_cmd, run / "dit" / "checkpoints" / "latest.pt", a.reuse, run / "train_stage.json")
    doc["total_wall_s"] = round(spent + doc["train_wall_s"], 1)
    doc["evals"] = {}
    samplers = a.samplers_for.get(name, a.samplers)
    for sampler, temp in [(s, t) for s in samplers for t in a.temperatures]:
        key = f"{sampler}-T{temp:g}"
        samples, report = run / f"samples_{key}", run / f"eval_{key}.json"
        eval_cmd = [*MCGEN, "evaluate", "--checkpoint", str(run / "dit" / "checkpoints" / "latest.pt"), "--reference",
                    str(data), "--num-samples", str(a.num_samples), "--cleanup", "none", "--device", "cpu",
                    "--sampler", sampler, "--temperature", str(temp), "--save-samples", str(samples),
                    "--json", str(report)]
        wall = stage(eval_cmd, report, a.reuse, run / f"eval_{key}_stage.json")
        pic = ROOT / "docs" / f"study_{a.name}_{name}_{key}.png"
        shown = sheet(data, samples, pic)
        doc["evals"][key] = {"command": shlex.join(eval_cmd[2:]), "wall_s": wall, "report": json.loads(report.read_text()),
                             "sheet": f"docs/{pic.name}" if shown else None}
    return doc


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", default="cpu")
    p.add_argument("--work", type=Path, default=Path("/tmp/mc"))
    p.add_argument("--data", type=Path, default=None, help="the imported corpus (default WORK/data16)")
    p.add_argument("--variants", default="voxel,latent-p4-13k,latent-p2-1k")
    p.add_argument("--budget-min", type=float, default=15.0, help="wall minutes per variant, tokenizer included")
    p.add_argument("--tok-steps", type=int, default=900)
    p.add_argument("--temperatures", default="1", help="comma-separated sampler temperatures to evaluate")
    p.add_argument("--samplers", default="confidence,support", help="comma-separated samplers to evaluate")
    p.add_argument("--samplers-for", action="append", default=[], metavar="VARIANT=S1,S2",
                   help="other samplers for one variant")
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reuse", action="store_true")
    p.add_argument("--note", default="")
    a = p.parse_args(argv)
    a.temperatures = [float(t) for t in a.temperatures.split(",")]
    a.samplers = [s.strip() for s in a.samplers.split(",") if s.strip()]
    a.samplers_for = {k: [x for x in v.split(",") if x] for k, v in (o.split("=", 1) for o in a.samplers_for)}
    data = a.data or a.work / "data16"
    names = [v.strip() for v in a.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    doc: dict = {"kind": "latent_study", "name": a.name, "note": a.note, "machine": describe_machine(), "git": git_state(),
                 "command": " ".join(["python benchmarks/latent_study.py", *(argv if argv is not None else sys.argv[1:])]),
                 "data": str(data), "budget_min": a.budget_min, "variants": {}}
    for name in names:
        doc["variants"][name] = run_variant(name, a, data)
        doc["date"] = utc_now()
        write_result(doc, f"latent_study_{a.name}")  # after each variant: a cut-off run keeps what it measured
    return 0


if __name__ == "__main__":
    sys.exit(main())
