"""CLI commands: ``mcgen models [--json]`` (the models that ship with this mcgen, usable by name) and
``mcgen models pack`` (a checkpoint's compact, shareable form: EMA weights only, float16)."""

from __future__ import annotations

import json
from typing import Any

import typer

from mcgen.cli.common import CHECKPOINT_HELP, out, say

EMPTY = ("no models ship with this build of mcgen yet: train your own with `mcgen train` "
         "(README: Shipped models and fine-tuning)")


def models_cmd(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON (a list; [] when none ship)."),
) -> None:
    """List the models that ship with mcgen, usable by name.

    `--checkpoint NAME` in sample, build, complete and evaluate; `mcgen train --init-from NAME`
    fine-tunes one on your own builds. `mcgen models pack` makes a compact file of your own model."""
    if ctx.invoked_subcommand:
        return
    from mcgen.models import current  # noqa: PLC0415

    rows = [_row(current(), name) for name in current().names()]
    if as_json:
        out(json.dumps(rows, indent=2))
        return
    if not rows:
        out(EMPTY)
        return
    for line in _table(rows):
        out(line)


def _row(registry, name: str) -> dict[str, Any]:
    """One model as plain values: the table's fields plus where its file is and whether it is intact."""
    path = registry.file(name)
    return {**registry.get(name).to_dict(), "path": str(path), "status": registry.status(name),
            "file_bytes": path.stat().st_size if path.is_file() else None}


def _table(rows: list[dict[str, Any]]) -> list[str]:
    """An aligned table of the short fields, then each model's training command, data and quality."""
    head = ("name", "grid", "labels", "parameters", "file", "licence", "objective")
    cells = [(r["name"], f"{r['grid']}^3", _labels(r["labels"]), f"{r['parameters'] / 1e6:.2f}M", _size(r),
              r["licence"], r["objective"]) for r in rows]
    widths = [max(len(str(c[i])) for c in [head, *cells]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *cells]]
    for r in rows:
        quality = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}"
                            for k, v in r["quality"].items()) or "not measured"
        lines += ["", f"{r['name']}:", f"  trained with: {r['command']} (commit {r['commit']})",
                  f"  data: {r['data']}", f"  quality: {quality}"]
        if r["note"]:
            lines.append(f"  note: {r['note']}")
    return lines


def _labels(labels: list[str]) -> str:
    if not labels:
        return "none"
    shown = ", ".join(labels[:4])
    return f"{len(labels)}: {shown}" + (", ..." if len(labels) > 4 else "")


def _size(row: dict[str, Any]) -> str:
    if row["status"] != "ok":
        return row["status"]
    return f"{row['file_bytes'] / 1e6:.1f} MB"


def pack_cmd(
    checkpoint: str = typer.Argument(..., metavar="CHECKPOINT", help=CHECKPOINT_HELP),
    out_path: str = typer.Argument(..., metavar="OUT", help="The packed checkpoint to write (.pt)."),
    dtype: str = typer.Option("float16", "--dtype", help="float16, bfloat16 or float32."),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT if it exists."),
    sampler: str = typer.Option(None, "--sampler", help="Record the sampler this model samples with by default."),
    steps: int = typer.Option(None, "--steps", min=1, help="Record its default sampler steps."),
    temperature: float = typer.Option(None, "--temperature", min=0.0, help="Record its default temperature."),
) -> None:
    """Pack a checkpoint to share or ship: EMA weights only, float16 by default.

    The packed file samples, evaluates and fine-tunes (`mcgen train --init-from OUT`) like the
    original but cannot resume its run (no optimizer state); it is about a sixth of the size."""
    from pathlib import Path  # noqa: PLC0415

    from mcgen.errors import ConfigError, FileIOError  # noqa: PLC0415
    from mcgen.ml.checkpoint import pack_checkpoint  # noqa: PLC0415
    from mcgen.models import file_sha256, resolve_checkpoint  # noqa: PLC0415

    src, dst = resolve_checkpoint(checkpoint), Path(out_path)
    if dst.exists() and not force:
        raise FileIOError("already exists (use --force to overwrite)", path=dst)
    if dst.exists() and dst.resolve() == src.resolve():
        raise ConfigError("OUT is the checkpoint itself: write the packed file somewhere else")
    ck = pack_checkpoint(src, dst, dtype=dtype,
                         sampling={"sampler": sampler, "num_steps": steps, "temperature": temperature})
    before, after = src.stat().st_size, dst.stat().st_size
    say(f"packed {src} (step {ck.step}, {before / 1e6:.1f} MB) -> {dst} ({dtype}, {after / 1e6:.1f} MB)")
    out(f"{dst}  sha256 {file_sha256(dst)}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    group = typer.Typer(help="The models that ship with mcgen, and packing your own.", invoke_without_command=True)
    group.callback()(models_cmd)
    group.command("pack")(pack_cmd)
    app.add_typer(group, name="models")
