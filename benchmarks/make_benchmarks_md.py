"""Write ``BENCHMARKS.md`` from benchmark runs: nothing in it is typed by hand.

Usage::

    python benchmarks/make_benchmarks_md.py               # run the speed scripts here, then write BENCHMARKS.md
    python benchmarks/make_benchmarks_md.py --no-run      # only re-render from benchmarks/results/*.json
    python benchmarks/make_benchmarks_md.py --capture-only  # run and save results (e.g. on a GPU machine)

Every speed script (``SPEED_SCRIPTS``) runs as a subprocess with small settings (``--quick`` when
its ``--help`` offers it; ``MCGEN_BENCH_QUICK=1`` in its environment either way); its printed
table is captured verbatim into ``benchmarks/results/speed_<script>_<machine>.json`` together with
the machine, the command, the date and the exit code. Evaluations of trained runs come from
``benchmarks/results/eval_*.json``, written by ``benchmarks/eval_recipe.py``. The document is
rendered from all result files, so figures captured on another machine (a lent GPU) appear too.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks"
RESULTS = BENCH / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from machine import describe_machine, git_line, git_state, machine_line  # noqa: E402
from render_latent import render_latent, render_model_speed  # noqa: E402

# script -> what it measures (owners: sampling = model engineer, training = trainer, ...)
SPEED_SCRIPTS = {
    "sample_speed.py": "Sampling speed",
    "train_speed.py": "Training throughput and MFU",
    "export_speed.py": "Export speed",
    "paste_speed.py": "World paste speed",
    "eval_speed.py": "Evaluation cost and metric calibration",
}

# Small settings for scripts whose --help offers no --quick (used only if every flag is offered).
SMALL_FALLBACK = {
    "sample_speed.py": ["--repeats", "1"],
    "export_speed.py": ["--n", "100"],
}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _machine_tag(m: dict) -> str:
    name = m.get("gpu") or f"cpu{m.get('cores')}"
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def run_speed_script(script: str, timeout: int, extra: list[str]) -> dict:
    """Run one speed script with small settings; capture its output, exit code and wall time."""
    path = BENCH / script
    result = {"kind": "speed", "script": script, "machine": describe_machine(), "date": _now(), "git": git_state()}
    if not path.is_file():
        return {**result, "missing": True}
    env = {**os.environ, "MCGEN_BENCH_QUICK": "1", "PYTHONPATH": str(ROOT)}
    args = list(extra)
    if not args:
        try:
            helptext = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True,
                                      timeout=120, env=env, cwd=ROOT).stdout
        except subprocess.TimeoutExpired:
            helptext = ""
        fallback = SMALL_FALLBACK.get(script, [])
        if "--quick" in helptext:
            args = ["--quick"]
        elif all(f in helptext for f in fallback if f.startswith("--")):
            args = list(fallback)
    cmd = [sys.executable, f"benchmarks/{script}", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, stdout, stderr = "timeout", exc.stdout or "", f"killed after {timeout}s"
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
    return {**result, "command": "python " + " ".join(cmd[1:]), "exit_code": code,
            "seconds": round(time.perf_counter() - t0, 1), "stdout": stdout, "stderr_tail": (stderr or "")[-2000:]}


def capture(timeout: int, only: list[str] | None, extra: dict[str, list[str]]) -> list[Path]:
    """Run the speed scripts and save each capture under ``benchmarks/results/``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    written = []
    for script in SPEED_SCRIPTS:
        if only and script not in only:
            continue
        print(f"running {script} ...", file=sys.stderr, flush=True)
        res = run_speed_script(script, timeout, extra.get(script, []))
        out = RESULTS / f"speed_{Path(script).stem}_{_machine_tag(res['machine'])}.json"
        out.write_text(json.dumps(res, indent=1) + "\n")
        written.append(out)
    return written


def _load_results() -> list[dict]:
    out = []
    for p in sorted(RESULTS.glob("*.json")):
        try:
            d = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        d["_file"] = p.relative_to(ROOT).as_posix()
        out.append(d)
    return out


def _fence(text: str) -> list[str]:
    return ["```", text.rstrip("\n"), "```"]


def render_eval(d: dict) -> list[str]:
    """One trained recipe: training, sampling and the full evaluation table."""
    from mcgen.evaluate import format_table

    tr, sm = d.get("training", {}), d.get("sampling", {})
    cfg = tr.get("config", {})
    lines = [f"### Recipe `{d['name']}`", "",
             f"- machine: {machine_line(d['machine'])}", f"- command: `{d['command']}`",
             f"- date: {d['date']}; code: {git_line(d.get('git'))}",
             f"- source: `{d['_file']}`; checkpoint `{d.get('checkpoint')}` (step {d.get('step')})"]
    if cfg:
        cfg = {**cfg, **{k: v for k, v in tr.get("resolved", {}).items() if k in ("device", "amp")}}
        keys = [k for k in ("model_size", "patch_size", "max_steps", "epochs", "batch_size", "lr", "lr_schedule",
                            "ema_decay", "device", "amp") if k in cfg]
        lines.append("- training config: " + ", ".join(f"{k}={cfg[k]}" for k in keys))
    rec = d.get("recipe")
    if rec:
        lines += [f"- recipe: `{rec['command']}`", f"- dataset: `{rec['synth_command']}` ({rec['synth_wall_s']} s)",
                  f"- training command: `{rec['train_command']}` ({rec['train_wall_s']} s wall, start-up included)"]
    secs, loss = tr.get("seconds"), tr.get("final_loss")
    lines.append(f"- training: {tr.get('steps')} steps in {secs if secs is None else round(secs, 1)} s, "
                 f"final loss {loss if loss is None else round(loss, 4)}")
    lines.append(f"- sampling: {sm.get('num_samples')} samples, {sm.get('sampler')} {sm.get('steps')} steps on "
                 f"{sm.get('device')}: {sm.get('seconds')} s ({sm.get('per_sample_s')} s/sample)")
    lines.append(f"- evaluation: {d.get('evaluation_seconds')} s")
    cl = d.get("cleanup")
    if not d.get("report_raw") or not cl:
        return [*lines, "", *_fence(format_table(d["report"])), ""]
    return [*lines, "", "Raw model output (`--cleanup none`):", "", *_fence(format_table(d["report_raw"])), "",
            f"After the clean-up (`--cleanup {cl['mode']}`{_cleanup_note(cl['mode'])}; removed "
            f"{cl['removed_blocks']} of {cl['raw_blocks']} blocks, touching {cl['samples_touched']} of "
            f"{d.get('sampling', {}).get('num_samples')} samples):", "", *_fence(format_table(d["report"])), ""]


def _cleanup_note(mode: str) -> str:
    from mcgen.generate.clean import DEFAULT_CLEANUP

    return ", the default of `mcgen sample` / `build`" if mode == DEFAULT_CLEANUP else ", what `mcgen demo` hands out"


def render_speed(d: dict) -> list[str]:
    title = SPEED_SCRIPTS.get(d["script"], d["script"])
    lines = [f"### {title} (`benchmarks/{d['script']}`)", ""]
    if d.get("missing"):
        return [*lines, f"`benchmarks/{d['script']}` does not exist yet (checked {d['date']}).", ""]
    lines += [f"- machine: {machine_line(d['machine'])}", f"- command: `{d['command']}`",
              f"- date: {d['date']}; code: {git_line(d.get('git'))}; exit code {d['exit_code']}; {d['seconds']} s;"
              f" source `{d['_file']}`", ""]
    if d.get("exit_code") != 0:
        lines += ["The script failed; the end of its error output:", "", *_fence(d.get("stderr_tail") or "(none)"), ""]
    return [*lines, "Output, verbatim:", "", *_fence(d.get("stdout") or "(no output)"), ""]


STUDY_COLS = (("plausible", "plausible", 3), ("unsupported", "unsupported", 3), ("hist_tv", "hist TV", 3),
              ("fid", "FID", 2), ("precision", "precision", 3), ("recall", "recall", 2),
              ("near_copies", "near copies", 3), ("empty", "empty", 3))


def render_study(d: dict) -> list[str]:
    """The objective / token-size study (``benchmarks/quality_study.py``): one row per variant and step count."""
    tag = Path(d["_file"]).stem.removeprefix("quality_study_")
    lines = [f"### Quality study `{tag}` ({d.get('preset')}, {d.get('budget_s'):g} s of training each)", "",
             f"- machine: {machine_line(d['machine'])}", f"- command: `{d['command']}`",
             f"- date: {d['date']}; code: {git_line(d.get('git'))}; source `{d['_file']}`",
             f"- every variant: batch {d.get('batch')}, lr {d.get('lr')}, EMA {d.get('ema')}; raw output "
             f"(`--cleanup none`), {d.get('num_samples')} samples, every label in turn, scored against the "
             "200 training builds with `mcgen evaluate`'s report; guidance (and the masked sampler) picked per "
             "variant by FID in a 25-step sweep (the sweep table below)"]
    if d.get("note"):
        lines.append(f"- note: {d['note']}")
    if d.get("training_runs_from"):
        tr = d["training_runs_from"]
        lines.append(f"- re-evaluated from the kept checkpoints: {', '.join(tr['variants'])} (trained by "
                     f"`{tr['command']}` at {git_line(tr.get('git'))}, {tr['date']}); the other rows are that run's")
    lines.append("")
    variants = d.get("variants", {})
    base = next((f.get("baseline", {}) for v in variants.values() for f in v.get("final", [])), {})
    head = "| variant | train steps (s) | sampler, guidance | steps | ms/structure | " + \
        " | ".join(c[1] for c in STUDY_COLS) + " |"
    lines += [head, "|" + "---|" * (5 + len(STUDY_COLS))]
    lines.append("| real vs real (baseline) | | | | | " +
                 " | ".join(f"{base[k]:.{n}f}" if k in base else "" for k, _, n in STUDY_COLS) + " |")
    for name, v in variants.items():
        for f in v.get("final", []):
            cells = " | ".join(f"{f[k]:.{n}f}" if k in f else "" for k, _, n in STUDY_COLS)
            lines.append(f"| {name} | {v['train_steps']} ({v['train_seconds']}) | {v['sampler']}, {v['guidance']:g} "
                         f"| {f['steps']} | {f['sample_ms_per_structure']} | {cells} |")
    lines.append("")
    sweeps = ["| variant | sampler | guidance | FID | plausible |", "|---|---|---|---|---|"]
    for name, v in variants.items():
        for r in v.get("sweep", []):
            sweeps.append(f"| {name} | {r['sampler']} | {r['guidance']:g} | {r.get('fid', float('nan')):.2f} | "
                          f"{r.get('plausible', float('nan')):.3f} |")
    lines += ["<details><summary>The guidance / sampler sweep (25 steps)</summary>", "", *sweeps, "",
              "</details>", ""]
    for sh in d.get("sheets", []):
        lines += [f"Raw samples of `{sh['variant']}` at {sh['steps']} steps (FID {sh['fid']:.2f}), every label in turn:",
                  "", f"![{sh['variant']}]({sh['png']})", ""]
    if d.get("data_sheet"):
        lines += ["The training data, for comparison:", "", f"![training data]({d['data_sheet']})", ""]
    return lines


def render_feature_net() -> list[str]:
    from mcgen.evaluate.features import SHIPPED, load_net

    lines = ["`mcgen evaluate --feature-net auto` picks the synthetic net for a `mcgen dataset synth` reference "
             "and the real-build net for anything else; the report names the net and why.", ""]
    for kind, path in SHIPPED.items():
        try:
            _, meta = load_net(path)
        except Exception as exc:  # noqa: BLE001 - the document should still be written
            lines += [f"### `{kind}`", "", f"Feature net not available: {exc}", ""]
            continue
        i = meta["info"]
        chance = f"; chance (the largest class) {i['chance_accuracy']}" if i.get("chance_accuracy") else ""
        lines += [f"### `{kind}`: `mcgen/evaluate/{path.name}` ({path.stat().st_size // 1024} KiB)", "",
                  f"- trained on: {i.get('trained_on', 'synthetic archetypes')}; input: "
                  f"{meta['config'].get('encoding', 'families')}",
                  f"- {len(meta['labels'])} classes: {', '.join(meta['labels'])}",
                  f"- held-out accuracy: **{i.get('heldout_accuracy')}** on {i.get('heldout_count')} builds{chance}; "
                  f"train accuracy {i.get('train_accuracy')} on {i.get('train_count')}",
                  f"- held-out accuracy on the extra `junk` class (noise, shuffled voxels, corrupted builds, blobs): "
                  f"{i.get('heldout_junk_accuracy')} on {i.get('heldout_junk_count')}",
                  f"- machine: {i.get('machine')}, torch {i.get('torch')}; {i.get('train_seconds')} s training",
                  f"- command: `{i.get('command')}`", f"- date: {i.get('date')}", ""]
    return lines


def render_corpus_summary(runs: list[dict]) -> list[str]:
    """One line per corpus run: its training and sampling, and the issue's targets (ratios to baseline)."""
    lines = ["Every run: the same 16^3 import, `tiny`, masked, patch 4, 4500 steps of batch 32 (the CPU budget of "
             "about 30 minutes); raw samples, 256 over all styles, against the held-out series. Targets: empty "
             "<= 2%, plausible within 0.1 of the baseline, block-histogram TV <= 2x, FID <= 3x (CPU), near copies < 5%.",
             "", "| run | training | sampler | empty | plausible (baseline) | hist TV ratio | FID ratio | precision | "
             "near copies |", "|---|---|---|---|---|---|---|---|---|"]
    for d in runs:
        t, r = d["targets"], d["report"]
        cmd = d.get("train_command", "")
        sched = "linear schedule" if "--mask-schedule linear" in cmd else "cosine schedule"
        extra = ", structured masks 0.3" if "--structured-masks" in cmd else ""
        steps = d["eval_command"].split("--steps ")[-1].split()[0] if "--steps" in d["eval_command"] else "25"
        mark = lambda k: "" if t[k]["pass"] else " **(missed)**"  # noqa: E731
        lines.append(f"| `{d['name']}` | {sched}{extra}, {round(d['training']['seconds'] or 0)} s | confidence x {steps} | "
                     f"{t['empty']['value']:.3f}{mark('empty')} | {t['plausible']['value']:.3f} ({t['plausible']['baseline']:.3f})"
                     f"{mark('plausible')} | {t['hist_tv']['ratio']}{mark('hist_tv')} | {t['fid']['ratio']}{mark('fid')} | "
                     f"{r['precision']['samples']:.3f} | {t['near_copies']['value']:.3f}{mark('near_copies')} |")
    return [*lines, ""]


def render_corpus(d: dict) -> list[str]:
    """A model on the MineColonies corpus: import, training, raw evaluation on held-out series, targets, sheet."""
    from mcgen.evaluate import format_table

    imp, tr = d.get("import", {}), d.get("training", {})
    sp = imp.get("split", {})
    lines = [f"### `{d['name']}`", "", f"- machine: {machine_line(d['machine'])}", f"- command: `{d['command']}`",
             f"- date: {d['date']}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             f"- import: `{d['import_command']}`: {imp.get('written')} buildings "
             f"({sp.get('train', '?')} train / {sp.get('held_out', '?')} held out) in {imp.get('seconds')} s; "
             f"vocabulary {imp.get('vocabulary')} states; of {imp.get('fit', {}).get('read')} read, "
             f"{imp.get('fit', {}).get('fit_16')} fit 16^3 and {imp.get('fit', {}).get('fit_32')} fit 32^3",
             f"- training: `{d['train_command']}`: {tr.get('steps')} steps in "
             f"{tr.get('seconds') and round(tr['seconds'])} s ({tr.get('samples_per_s')} samples/s), "
             f"final loss {tr.get('final_loss') and round(tr['final_loss'], 4)}",
             f"- evaluation: `{d['eval_command']}` ({d.get('eval_wall_s')} s, sampling included)"]
    if d.get("note"):
        lines.append(f"- note: {d['note']}")
    lines += ["", "Raw samples (`--cleanup none`) against the held-out series:", "",
              *_fence(format_table(d["report"])), "", "The issue's targets:", "",
              "| target | rule | value | baseline | ratio | met |", "|---|---|---|---|---|---|"]
    for k, t in d["targets"].items():
        met = {True: "yes", False: "**no**", None: "n/a"}[t["pass"]]
        v, b = t.get("value"), t.get("baseline")
        lines.append(f"| {k} | {t['rule']} | {'' if v is None else f'{v:.4g}'} | {'' if b is None else f'{b:.4g}'} | "
                     f"{t.get('ratio', '') if t.get('ratio') is not None else ''} | {met} |")
    if d.get("sheet"):
        lines += ["", f"Held-out real buildings (left) and raw generated ones (right) of the same style, per row "
                  f"({', '.join(d['sheet_styles'])}):", "", f"![corpus samples]({d['sheet']})"]
    return [*lines, ""]


def render_seams(d: dict) -> list[str]:
    """Builds larger than the grid: cut seams of overlapping windows against a naive tiling."""
    lines = [f"### Seams, `{d['tag']}`: {d['num_samples']} raw builds of {' x '.join(map(str, d['size']))} "
             f"from a {d['grid']}^3 model", "",
             f"- machine: {machine_line(d['machine'])}", f"- command: `{d['command']}`",
             f"- date: {d['date']}; code: {git_line(d.get('git'))}; checkpoint `{d['checkpoint']}`",
             f"- a seam *cuts* a building part when more than {d['cut_threshold']} of the blocks touching it end "
             "flush there (air across); control: the same on planes that are no seam", "",
             "| method | overlap | windows | seams | seams cut | mean cut rate at seams | control planes cut | "
             "mean cut rate, control | seconds |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in d["rows"].items():
        lines.append(f"| {name} | {r['overlap']} | {r['windows']} | {r['seams']} | {r['seams_cut']} | "
                     f"{r['seam_cut_rate']} | {r['control_cut']} | {r['control_cut_rate']} | {r['seconds']} |")
    pic = f"docs/seams_{d['tag']}.png"
    if (ROOT / pic).is_file():
        lines += ["", f"First three of each (top: overlapping, bottom: naive tiling): ![seams]({pic})"]
    return [*lines, ""]


COMPLETE_METHODS_NOTE = ("block accuracy: hidden voxels with exactly the true state over those solid in the truth or "
                         "the prediction; occupancy IoU over the hidden voxels; plausible: the completed build is one "
                         "grounded piece (the real held-out builds' rate is the baseline)")


def render_complete(d: dict) -> list[str]:
    """The completion benchmark: one table per mask type, models against the two baselines."""
    lines = [f"### Completion, `{d['tag']}` ({d['count']} held-out builds, {d['train_count']} training builds)", "",
             f"- machine: {machine_line(d['machine'])}", f"- command: `{d['command']}`",
             f"- date: {d['date']}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             f"- models: " + ", ".join(f"`{k}` = `{v}`" for k, v in d["models"].items()),
             f"- {COMPLETE_METHODS_NOTE}; real held-out builds plausible: {d['real_plausible']}"]
    if d.get("note"):
        lines.append(f"- note: {d['note']}")
    lines += ["", "| mask | hidden (solid share) | method | block accuracy | occupancy IoU | plausible | seconds |",
              "|---|---|---|---|---|---|---|"]
    for kind, row in d["masks"].items():
        for name, r in row.items():
            if not isinstance(r, dict):
                continue
            how = f" ({r['objective']}, {r['sampler']} x {r['steps']}" + (
                f", {r['resample']} resampling rounds" if r.get("objective") == "gaussian" else "") + ")" \
                if r.get("objective") else ""
            lines.append(f"| {kind} | {row['hidden_share']:.3f} ({row['hidden_solid_share']:.3f}) | `{name}`{how} | "
                         f"{r['block_accuracy']:.3f} | {r['occupancy_iou']:.3f} | {r['plausible']:.3f} | "
                         f"{r.get('seconds', '')} |")
    lines += ["", "Targets (the model beats both baselines on both scores for every mask; completed builds at least "
              "as plausible as the real ones minus 0.05): "
              + "; ".join(f"`{k}`: beats baselines {'yes' if v['beats_both_baselines'] else 'NO'}, plausibility "
                          f"{'yes' if v['plausible_within_0.05'] else 'NO'}" for k, v in d["targets"].items()), ""]
    sheet = f"docs/complete_{d['tag']}.png"
    if (ROOT / sheet).is_file():
        lines += [f"Examples (per row: truth, what the methods were given, then each method): ![completion]({sheet})", ""]
    return lines


def render_shipped(d: dict) -> list[str]:
    """A shipped model: its file, the packed file's fidelity, its raw evaluation and its style sheet."""
    from mcgen.evaluate import format_table

    f, m, fi, r = d["file"], d["model"], d["fidelity"], d["report"]
    lines = [f"### `{d['name']}` (`{f['path']}`)", "", f"- machine: {machine_line(d['machine'])}",
             f"- command: `{d['command']}`; date: {d['date']}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             f"- model: {m['parameters'] / 1e6:.2f}M parameters, head `{m['head']}`, {m['objective']}, "
             f"{m['grid']}^3, {len(m['labels'])} labels, {m['vocabulary']} block states, step {m['step']}",
             f"- file: {f['bytes'] / 1e6:.2f} MB float16, EMA weights only (the training checkpoint: "
             f"{f['source_bytes'] / 1e6:.1f} MB); sha256 `{f['sha256']}`",
             f"- float16 against float32, same seeds ({fi['samples']} samples, {fi['steps']} steps): "
             f"{fi['voxels_equal']:.2%} of voxels equal, occupancy {fi['occupancy_equal']:.2%}, "
             f"{fi['identical_samples']} samples identical; largest logit difference {fi['max_logit_diff']:.3g}",
             f"- evaluation: `{d['eval_command']}` ({d.get('eval_wall_s')} s, sampling included)", "",
             "Raw samples (`--cleanup none`), 256 over every label:", "", *_fence(format_table(r)), "",
             f"Style sheet (raw samples, a few per label): ![{d['name']}]({d['sheet']})", ""]
    return lines


def render_curve(d: dict) -> list[str]:
    """Quality against training minutes: one row per point, and the plot."""
    lines = [f"### `{d['name']}`", "", f"- machine: {machine_line(d['machine'])}",
             f"- command: `{d['command']}`; date: {d['date']}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             "- the points are checkpoints of **one** run (one cosine schedule), so the early ones were taken at a "
             "higher learning rate than a run that stops there ends with", "",
             "| CPU-minutes | step | plausible | FID ratio | hist TV ratio | unsupported | precision | empty | near copies |",
             "|---|---|---|---|---|---|---|---|---|"]
    for q in d["points"]:
        lines.append(f"| {q['minutes']} | {q['step']} | {q['plausible']:.3f} | {q['fid_ratio']} | {q['hist_tv_ratio']} | "
                     f"{q['unsupported']:.3f} | {q['precision']:.3f} | {q['empty']:.3f} | {q['near_copies']:.3f} |")
    b = d["points"][0]["baseline"]
    lines += ["", f"Baselines (real against real): plausible {b['plausible']:.3f}, FID {b['fid']:.3f}, "
              f"hist TV {b['hist_tv']:.3f}.", "", f"![quality against compute]({d['plot']})", ""]
    return lines


def render_finetune(d: dict) -> list[str]:
    """Fine-tuning a shipped model against training from scratch, equal steps."""
    lines = [f"### `{d['base']}` on the held-out series of `{d['style']}` ({d['builds']} builds)", "",
             f"- machine: {machine_line(d['machine'])}",
             f"- command: `{d['command']}`; date: {d['date']}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             "", "| run | training | plausible | FID (baseline) | hist TV | precision | near copies |",
             "|---|---|---|---|---|---|---|"]
    for name, r in d["runs"].items():
        trained = f"{round(r['train_seconds'] or 0)} s, `{r['train_command']}`" if r.get("train_command") else "none"
        lines.append(f"| {name} | {trained} | {r['plausible']:.3f} | "
                     f"{r['fid']:.3f} ({r['baseline']['fid']:.3f}) | {r['hist_tv']:.3f} | {r['precision']:.3f} | "
                     f"{r['near_copies']:.3f} |")
    met = "met" if d["target"]["pass"] else "**missed**"
    best = f" ({d['best_finetuned']}, the lowest)" if d.get("best_finetuned") else ""
    lines += ["", f"FID of the fine-tuned run{best} over the scratch run's: {d['fid_ratio_finetuned_to_scratch']} "
              f"(target: {d['target']['rule']}: {met})"
              + (f"; the base model untrained: {d['fid_ratio_base_to_scratch']}." if "fid_ratio_base_to_scratch" in d
                 else "."), ""]
    return lines


# result kind -> its section's heading lines and the renderer of one result (in document order)
SECTIONS = (
    ("compute_curve", ["## Quality against training compute (`benchmarks/compute_curve.py`)", ""], render_curve),
    ("shipped_model", ["## Shipped models (`benchmarks/ship_model.py`)", "",
                       "The models in `mcgen/models/files/` (`mcgen models`), each scored raw as it ships (float16).", ""],
     render_shipped),
    ("finetune_bench", ["## Fine-tuning a shipped model (`benchmarks/finetune_bench.py`)", ""], render_finetune),
    ("complete_bench", ["## Completion (`benchmarks/complete_bench.py`)", ""], render_complete),
    ("latent_study", ["## Voxel against latent DiTs at equal compute (`benchmarks/latent_study.py`)", ""],
     render_latent),
    ("model_speed", ["## Trained models' speed (`benchmarks/model_speed.py`)", ""], render_model_speed),
)


def render(results: list[dict], argv: list[str]) -> str:
    """The whole document."""
    lines = ["# Benchmarks", "",
             f"Generated by `python benchmarks/make_benchmarks_md.py {' '.join(argv)}`".rstrip() + f" on {_now()} "
             f"(this machine: {machine_line(describe_machine())}).",
             "Every figure below was written by a script, with the machine, command and date it came from; "
             "none is typed by hand. Re-run the command to refresh. What the studies asked, what they found "
             "and which defaults they set is told in [docs/STUDIES.md](docs/STUDIES.md); what each figure "
             "means, in [how quality is measured](docs/guide/quality.md).", "",
             "## Quality of trained recipes (`mcgen evaluate`)", "",
             "Each table: the metric for the generated samples, its real-vs-real baseline (one half of the "
             "reference set against the other) and a bootstrap 95% interval; then the issue's targets "
             "(plausible >= 0.95, block-histogram and feature distance within 2x baseline, < 5% near-copies).", ""]
    from mcgen.evaluate.report import DESCRIPTIONS, PROTOCOL

    lines += ["<details><summary>What each metric means</summary>", "",
              *[f"- `{k}` ({better} is better): {desc}" for k, (better, desc) in DESCRIPTIONS.items()],
              f"- protocol: {PROTOCOL}", "", "</details>", ""]
    for d in [d for d in results if d.get("kind") == "quality_study"]:
        lines += render_study(d)
    evals = [d for d in results if d.get("kind") == "eval_recipe"]
    for d in evals:
        lines += render_eval(d)
    if not evals:
        lines += ["No trained run has been evaluated yet. After training, run "
                  "`python benchmarks/eval_recipe.py --outputs outputs/ --reference dataset/ --name tiny-cpu`.", ""]
    if not any(d["machine"].get("gpu") for d in evals):
        lines += ["No GPU recipe has been evaluated yet: on a GPU machine run `bash benchmarks/gpu_recipes.sh` "
                  "(the `small` recipe on 100 and on 1,000 synthetic builds) and copy its "
                  "`benchmarks/results/eval_small-*.json` here, then re-run this script with `--no-run`.", ""]
    corpus = sorted((d for d in results if d.get("kind") == "corpus_recipe"), key=lambda d: d.get("date", ""))
    if corpus:
        lines += ["## Models on the MineColonies corpus (`benchmarks/corpus_recipe.py`)", "",
                  *render_corpus_summary(corpus)]
        for d in corpus:
            lines += render_corpus(d)
    for kind, heading, render_one in SECTIONS:
        found = [d for d in results if d.get("kind") == kind]
        if found:
            lines += heading
            for d in found:
                lines += render_one(d)
    for d in [d for d in results if d.get("kind") == "seam_bench"]:
        lines += render_seams(d)
    lines += ["## Evaluation feature nets", "", *render_feature_net(), "## Speed benchmarks", ""]
    speeds = [d for d in results if d.get("kind") == "speed"]
    for script in SPEED_SCRIPTS:
        found = [d for d in speeds if d["script"] == script]
        for d in found:
            lines += render_speed(d)
        if not found:
            lines += [f"### {SPEED_SCRIPTS[script]} (`benchmarks/{script}`)", "", "Not run yet.", ""]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description="Run the benchmark scripts and write BENCHMARKS.md.")
    p.add_argument("--no-run", action="store_true", help="do not run the speed scripts; render saved results")
    p.add_argument("--capture-only", action="store_true", help="run and save results, do not write BENCHMARKS.md")
    p.add_argument("--only", nargs="*", default=None, help="run only these scripts (e.g. sample_speed.py)")
    p.add_argument("--args", action="append", default=[], metavar="SCRIPT=ARGS",
                   help="arguments for one script instead of --quick, e.g. 'train_speed.py=--steps 5'")
    p.add_argument("--timeout", type=int, default=900, help="seconds per script")
    p.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    a = p.parse_args(argv)
    extra = {k: v.split() for k, _, v in (s.partition("=") for s in a.args)}
    if not a.no_run:
        for path in capture(a.timeout, a.only, extra):
            print(f"saved {path.relative_to(ROOT)}", file=sys.stderr)
    if a.capture_only:
        return 0
    from mcgen.fsutil import atomic_write_text

    atomic_write_text(a.out, render(_load_results(), argv))
    print(f"wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
