"""Fine-tuning from a shipped model against training from scratch, at equal training time.

Usage::

    python benchmarks/finetune_bench.py --base minecolonies --source /tmp/mc/data16 --style nordic --steps 177

The "user's builds" are the held-out series of one style of the corpus import ``--source`` (the
buildings the shipped model never saw; its training split held the style's other series, so the
style itself is not new to it: this measures "my builds, in a style close to one it knows").
They become a dataset of their own, and two runs train on it for the same number of steps, so the
same time (one architecture, the base model's): ``mcgen train --init-from BASE`` (at each
``--finetune-lr``) and the same command from scratch; the base model untrained is scored too. Each is scored raw, ``mcgen evaluate`` with 128 samples of that style,
against those same builds (there are no others of them; near copies say how much is memorised).
The JSON is ``benchmarks/results/finetune_<style>.json``.
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
KEEP = ("plausible", "unsupported", "hist_tv", "fid", "precision", "recall", "empty", "near_copies")


def user_builds(source: Path, style: str, out: Path) -> int:
    """The held-out series of ``style`` in ``source``, written as a dataset of their own (split: train)."""
    from mcgen.dataset import load_manifest, write_dataset
    from mcgen.files import iter_structures

    grids = []
    for _, g in iter_structures(source):
        if g.meta.get("split") == "held_out" and g.meta.get("label") == style:
            g.meta.pop("split")
            grids.append(g)
    if len(grids) < 4:
        raise SystemExit(f"only {len(grids)} held-out builds of {style!r} in {source}")
    m = load_manifest(source)
    write_dataset(out, grids, size=int(m["size"]), vocabulary=m["vocabulary"], generator="finetune_bench", seed=None,
                  extra={"from": str(source), "style": style, "split": "held_out series only"})
    return len(grids)


def score(a: argparse.Namespace, out: Path | None, checkpoint: str, data: Path) -> dict:
    """``mcgen evaluate`` of one checkpoint on the user's builds (raw, the style's label) and its training log."""
    name = out.name if out is not None else "base"
    report_path = a.work / f"{name}_eval.json"
    ev = [*MCGEN, "evaluate", "--checkpoint", checkpoint, "--reference", str(data), "--num-samples",
          str(a.num_samples), "--label", a.style, "--cleanup", "none", "--device", "cpu", "--json", str(report_path)]
    ev_wall = run_logged(ev)
    recs = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if x.strip()] if out else []
    steps = [r for r in recs if "loss" in r]
    r = json.loads(report_path.read_text())
    return {"train_command": None, "train_wall_s": None,
            "train_seconds": steps[-1].get("time") if steps else None,
            "final_loss": steps[-1]["loss"] if steps else None, "eval_command": shlex.join(ev[2:]),
            "eval_wall_s": ev_wall, **{k: r[k]["samples"] for k in KEEP if k in r},
            "baseline": {k: r[k]["baseline"] for k in KEEP if k in r}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", default="minecolonies", help="shipped model name or checkpoint to fine-tune")
    p.add_argument("--source", type=Path, required=True, help="the corpus import (with a held-out split)")
    p.add_argument("--style", default="nordic")
    p.add_argument("--steps", type=int, default=177, help="training steps of each run (equal steps = equal time)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", default="2e-3", help="from scratch")
    p.add_argument("--finetune-lr", default="5e-4", help="one or more, comma-separated: a fine-tuned run each")
    p.add_argument("--reuse", action="store_true",
                   help="a run already in --work that the same command trained is scored, not trained again")
    p.add_argument("--num-samples", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work", type=Path, default=Path("/tmp/finetune"))
    a = p.parse_args(argv)
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.models import resolve_checkpoint

    base_path = resolve_checkpoint(a.base)
    base = load_checkpoint(base_path)
    cfg = base.model_cfg
    data = a.work / f"builds_{a.style}"
    doc: dict = {"kind": "finetune_bench", "style": a.style, "base": a.base, "machine": describe_machine(),
                 "git": git_state(), "command": " ".join(["python benchmarks/finetune_bench.py",
                                                           *(argv if argv is not None else sys.argv[1:])]),
                 "builds": user_builds(a.source, a.style, data), "runs": {}}
    common = ["--data", str(data), "--max-steps", str(a.steps), "--batch-size", str(a.batch_size), "--warmup-steps",
              str(max(1, a.steps // 10)), "--sample-every", "0", "--ckpt-every", str(a.steps), "--log-every",
              str(max(1, a.steps // 5)), "--seed", "0", "--device", "cpu", "--threads", str(a.threads), "-q"]
    scratch_arch = ["--model-size", cfg.preset, "--objective", base.objective().kind, "--patch-size", str(cfg.patch_size),
                    "--head", cfg.head, "--head-width", str(cfg.head_width), "--embed-dim", str(cfg.embed_dim)]
    lrs = [x.strip() for x in a.finetune_lr.split(",") if x.strip()]
    runs = {f"finetuned lr {lr}": ("finetuned" if i == 0 else f"finetuned_lr{lr}", ["--init-from", a.base, "--lr", lr])
            for i, lr in enumerate(lrs)}
    runs["scratch"] = ("scratch", [*scratch_arch, "--lr", a.lr])
    doc["runs"]["base (no training)"] = score(a, None, str(base_path), data)
    for name, (folder, extra) in runs.items():
        out = a.work / folder
        cmd = [*MCGEN, "train", "--out", str(out), *common, *extra]
        command = shlex.join(cmd[2:])
        stamp = out / "bench_run.json"  # the command that trained this folder, and its wall time
        done = json.loads(stamp.read_text()) if a.reuse and stamp.is_file() else {}
        if done.get("command") == command and (out / "checkpoints" / "latest.pt").is_file():
            print(f"reusing {out} (trained by the same command)", flush=True)
            wall = done["train_wall_s"]
        else:
            wall = run_logged(cmd)
            stamp.write_text(json.dumps({"command": command, "train_wall_s": wall}))
        doc["runs"][name] = score(a, out, str(out / "checkpoints" / "latest.pt"), data)
        doc["runs"][name].update(train_command=command, train_wall_s=wall)
    tuned = {k: v for k, v in doc["runs"].items() if k.startswith("finetuned")}
    best = min(tuned, key=lambda k: tuned[k]["fid"])
    f, s = tuned[best]["fid"], doc["runs"]["scratch"]["fid"]
    doc["best_finetuned"] = best
    doc["fid_ratio_finetuned_to_scratch"] = round(f / s, 3)
    doc["fid_ratio_base_to_scratch"] = round(doc["runs"]["base (no training)"]["fid"] / s, 3)
    doc["target"] = {"rule": "finetuned FID <= 0.5 x scratch FID", "pass": f <= 0.5 * s}
    doc["date"] = utc_now()
    print(json.dumps({k: {m: v[m] for m in ("fid", "plausible", "near_copies", "train_seconds")}
                      for k, v in doc["runs"].items()}), doc["target"])
    write_result(doc, f"finetune_{a.style}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
