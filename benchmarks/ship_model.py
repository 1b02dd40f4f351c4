"""Pack a trained checkpoint as a shipped model and measure it: the numbers its registry row carries.

Usage::

    python benchmarks/ship_model.py --name minecolonies --checkpoint /tmp/ship/minecolonies/checkpoints/latest.pt \\
        --reference /tmp/mc/data16 --licence GPL-3.0
    python benchmarks/ship_model.py --name synthetic --checkpoint /tmp/ship/synthetic/checkpoints/latest.pt \\
        --reference /tmp/syn/heldout --licence MIT

Stages, each timed:

1. ``mcgen models pack`` into ``mcgen/models/files/NAME.pt`` (EMA weights only, float16);
2. **fidelity of the packed file**: the same seeded samples from the float32 checkpoint and the packed
   one (share of voxels that agree; the first step's logits, largest difference), so "fp16 is fine"
   is a measured statement;
3. ``mcgen evaluate --checkpoint PACKED --cleanup none`` on 256 raw samples over every label, against
   ``--reference`` (a dataset with a held-out split is scored on that split, as ``corpus_recipe.py``);
4. the model's style sheet, ``docs/models/NAME.png``: a few raw samples of every label.

The JSON (``benchmarks/results/shipped_NAME.json``) holds the commands, machine, the file's size and
sha256, the fidelity figures and the evaluation report; ``make_benchmarks_md.py`` renders it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from machine import describe_machine, git_state, run_logged, utc_now, write_result  # noqa: E402

MCGEN = [sys.executable, "-m", "mcgen"]
FILES = ROOT / "mcgen" / "models" / "files"


def fidelity(source: Path, packed: Path, n: int, steps: int, seed: int = 0) -> dict:
    """How far the packed (float16) model's output is from the float32 one's, same seeds."""
    import numpy as np
    import torch

    from mcgen.generate import SampleSettings, generate
    from mcgen.ml.checkpoint import load_checkpoint

    a, b = load_checkpoint(source), load_checkpoint(packed)
    settings = SampleSettings(seed=seed, label="all", num_steps=steps, device="cpu")
    ga, gb = generate(a, n, settings, clean="none"), generate(b, n, settings, clean="none")
    same = float(np.mean([np.mean(x.blocks == y.blocks) for x, y in zip(ga, gb)]))
    occ = float(np.mean([np.mean((x.blocks != 0) == (y.blocks != 0)) for x, y in zip(ga, gb)]))
    identical = sum(bool(np.array_equal(x.blocks, y.blocks)) for x, y in zip(ga, gb))
    ma, mb = a.build_model(), b.build_model()
    cfg = a.model_cfg
    torch.manual_seed(seed)
    # the first sampler step of a masked model (everything masked) and a half-masked input
    x = torch.full((4, *(cfg.grid_size,) * 3), cfg.vocab_size, dtype=torch.long) if cfg.mask_token else None
    diffs = []
    if x is not None:
        half = x.clone()
        keep = torch.rand(half.shape) < 0.5
        half[keep] = torch.randint(0, cfg.vocab_size, (int(keep.sum()),))
        labels = torch.arange(4) % max(1, cfg.num_labels)
        with torch.no_grad():
            for inp, level in ((x, 1.0), (half, 0.5)):
                t = torch.full((4,), 1000.0 * level)
                tok = ma.to_tokens(inp)
                la = ma.logits(ma.features(tok, t, labels))
                lb = mb.logits(mb.features(tok, t, labels))
                diffs.append(float((la - lb).abs().max()))
    return {"samples": n, "steps": steps, "voxels_equal": round(same, 5), "occupancy_equal": round(occ, 5),
            "identical_samples": identical, "max_logit_diff": max(diffs) if diffs else None}


def style_sheet(samples: Path, path: Path, labels: list[str], per_label: int = 4) -> None:
    from mcgen.files import iter_structures
    from mcgen.render import contact_sheet

    grids = [g for _, g in iter_structures(samples)]
    items = []
    for lab in labels:
        items += [(lab, g) for g in [g for g in grids if g.meta.get("label") == lab][:per_label]]
    path.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(items, path, cols=2 * per_label if len(labels) > 12 else per_label, cell=128)


TOP_STYLES = ("cavern", "colonial", "darkoak", "fortress", "warped", "sandstone", "medievaldarkoak", "truedwarven")


def top_sheet(samples: Path, path: Path, styles: tuple[str, ...] = TOP_STYLES, rows: int = 2) -> bool:
    """The README's picture: ``rows`` raw samples of each of ``styles`` (one column per style);
    ``False`` (nothing written) when the samples lack a style."""
    from mcgen.files import iter_structures
    from mcgen.render import contact_sheet

    by = {st: [g for _, g in iter_structures(samples) if g.meta.get("label") == st][:rows] for st in styles}
    if any(len(v) < rows for v in by.values()):
        return False
    contact_sheet([(st, by[st][r]) for r in range(rows) for st in styles], path, cols=len(styles), cell=128)
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--name", required=True)
    p.add_argument("--checkpoint", type=Path, required=True, help="the trained run's checkpoint (float32)")
    p.add_argument("--reference", type=Path, required=True, help="dataset to evaluate against")
    p.add_argument("--licence", default="MIT")
    p.add_argument("--num-samples", type=int, default=256)
    p.add_argument("--fidelity-samples", type=int, default=32)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--work", type=Path, default=Path("/tmp/ship"))
    p.add_argument("--skip-eval", action="store_true")
    a = p.parse_args(argv)
    from mcgen.ml.checkpoint import load_checkpoint
    from mcgen.ml.network import count_parameters
    from mcgen.models import file_sha256

    packed = FILES / f"{a.name}.pt"
    doc: dict = {"kind": "shipped_model", "name": a.name, "machine": describe_machine(), "git": git_state(),
                 "command": " ".join(["python benchmarks/ship_model.py", *(argv if argv is not None else sys.argv[1:])])}
    doc["pack_wall_s"] = run_logged([*MCGEN, "models", "pack", str(a.checkpoint), str(packed), "--force"])
    ck = load_checkpoint(packed)
    doc["file"] = {"path": str(packed.relative_to(ROOT)), "bytes": packed.stat().st_size, "sha256": file_sha256(packed),
                   "source_bytes": a.checkpoint.stat().st_size}
    tok_params = count_parameters(ck.tokenizer_module().requires_grad_(True)) if ck.latent else 0
    doc["model"] = {"parameters": count_parameters(ck.build_model()) + tok_params, "step": ck.step, "grid": ck.grid_size,
                    "tokenizer_parameters": tok_params,
                    "labels": ck.label_names, "objective": ck.objective().kind, "head": ck.model_cfg.head,
                    "vocabulary": len(ck.vocabulary)}
    t = time.perf_counter()
    doc["fidelity"] = fidelity(a.checkpoint, packed, a.fidelity_samples, a.steps)
    doc["fidelity"]["seconds"] = round(time.perf_counter() - t, 1)
    print(json.dumps(doc["fidelity"]), flush=True)
    samples, report_path = a.work / f"{a.name}_samples", a.work / f"{a.name}_eval.json"
    eval_cmd = [*MCGEN, "evaluate", "--checkpoint", str(packed), "--reference", str(a.reference), "--num-samples",
                str(a.num_samples), "--cleanup", "none", "--device", "cpu", "--save-samples", str(samples),
                "--json", str(report_path), "--steps", str(a.steps)]
    doc["eval_command"] = shlex.join(eval_cmd[2:])
    if not a.skip_eval:
        doc["eval_wall_s"] = run_logged(eval_cmd)
    doc["report"] = json.loads(report_path.read_text())
    pic = ROOT / "docs" / "models" / f"{a.name}.png"
    style_sheet(samples, pic, ck.label_names)
    doc["sheet"] = f"docs/models/{pic.name}"
    top = ROOT / "docs" / "models" / f"{a.name}_top.png"
    doc["top_sheet"] = f"docs/models/{top.name}" if top_sheet(samples, top) else None
    doc["date"] = utc_now()
    out = write_result(doc, f"shipped_{a.name}")
    r = doc["report"]
    print(json.dumps({k: r[k]["samples"] for k in ("plausible", "unsupported", "hist_tv", "fid", "empty",
                                                   "near_copies", "precision") if k in r}))
    print(f"file {doc['file']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
