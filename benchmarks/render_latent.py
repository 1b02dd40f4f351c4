"""BENCHMARKS.md's section for ``benchmarks/latent_study.py`` (voxel against latent DiTs at equal compute)."""

from __future__ import annotations

from machine import git_line, machine_line


def _v(e: dict, key: str) -> float | None:
    return (e.get(key) or {}).get("samples")


def _b(e: dict, key: str) -> float | None:
    return (e.get(key) or {}).get("baseline")


def _f(x: float | None, fmt: str = ".3f") -> str:
    return "-" if x is None else format(x, fmt)


def _ratio(e: dict, key: str) -> str:
    v, b = _v(e, key), _b(e, key)
    return "-" if v is None or not b else f"{v:.3g} ({v / b:.1f}x)"


def render_latent(d: dict) -> list[str]:
    """One study: per variant its compute, the tokenizer's reconstruction, the raw evaluation, the sheets."""
    lines = [f"### `{d['name']}` ({d['budget_min']:g} wall-minutes per variant, tokenizer included)", "",
             f"- machine: {machine_line(d['machine'])}",
             f"- command: `{d['command']}`; date: {d.get('date')}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             "- each variant's DiT steps were set before training from a 30-step probe of its seconds per step, so "
             "the budget is a step count; total = tokenizer wall + DiT wall as measured", "",
             "| variant | tokenizer s | DiT steps | total s | recon occ IoU | recon block acc | sampler | plausible | "
             "same-block (real) | pattern TV (ratio) | hist TV (ratio) | FID (ratio) | pairwise IoU (real) | empty | "
             "near copies |", "|" + "---|" * 15]
    for name, v in d["variants"].items():
        rec = (v.get("reconstruction") or {}).get("all") or {}
        for key, ev in (v.get("evals") or {}).items():
            r = ev["report"]
            lines.append(
                f"| {name} | {v.get('tokenizer_wall_s', 0):.0f} | {v['dit_steps']} | {v.get('total_wall_s', 0):.0f} | "
                f"{_f(rec.get('occupancy_iou'))} | {_f(rec.get('solid_block_accuracy'))} | {key} | "
                f"{_f(_v(r, 'plausible'))} ({_f(_b(r, 'plausible'))}) | {_f(_v(r, 'same_block'))} ({_f(_b(r, 'same_block'))}) | "
                f"{_ratio(r, 'pattern_tv')} | {_ratio(r, 'hist_tv')} | {_ratio(r, 'fid')} | "
                f"{_f(_v(r, 'pairwise_iou'))} ({_f(_b(r, 'pairwise_iou'))}) | {_f(_v(r, 'empty'))} | "
                f"{_f(_v(r, 'near_copies'))} |")
    lines += ["", "In brackets: the real-vs-real baseline (one half of the held-out series against the other).", ""]
    for name, v in d["variants"].items():
        if v.get("recon_sheet"):
            lines += [f"{name}, tokenizer reconstruction of held-out builds (input, reconstruction): "
                      f"![{name} reconstruction]({v['recon_sheet']})", ""]
        for key, ev in (v.get("evals") or {}).items():
            if ev.get("sheet"):
                lines += [f"{name}, raw samples, sampler {key} (held-out real builds left, generated right): "
                          f"![{name} {key}]({ev['sheet']})", ""]
    return lines


def render_model_speed(d: dict) -> list[str]:
    """Trained models' speed as a user meets it, all measured in one run."""
    lines = [f"### `{d['name']}`", "", f"- machine: {machine_line(d['machine'])}",
             f"- command: `{d['command']}`; date: {d.get('date')}; code: {git_line(d.get('git'))}; source: `{d['_file']}`",
             "", "| model | sampler (steps) | one raw building, batch 1 (median s) | `mcgen build --count 4` into a new world (s) |",
             "|---|---|---|---|"]
    for name, r in d["models"].items():
        lines.append(f"| `{name}` | {r.get('sampler')} ({r.get('steps')}) | {r['sample_s']:.3f} | {r['build4_s']:.2f} |")
    return [*lines, ""]
