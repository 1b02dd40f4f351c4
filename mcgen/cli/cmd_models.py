"""CLI command: ``mcgen models [--json]`` (the models that ship with this mcgen, usable by name)."""

from __future__ import annotations

import json
from typing import Any

import typer

from mcgen.cli.common import out

EMPTY = ("no models ship with this build of mcgen yet: train your own with `mcgen train` "
         "(README: Shipped models and fine-tuning)")


def models_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON (a list; [] when none ship)."),
) -> None:
    """List the models that ship with mcgen, usable by name.

    `--checkpoint NAME` in sample, build, complete and evaluate; `mcgen train --init-from NAME`
    fine-tunes one on your own builds."""
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


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("models")(models_cmd)
