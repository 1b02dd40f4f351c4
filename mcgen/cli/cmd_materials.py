"""CLI command ``mcgen materials``: the items a structure takes to build in survival."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mcgen.cli.common import out, say


def materials_cmd(
    file: Path = typer.Argument(..., help="Structure file (.schem, .litematic, .nbt, .mcstructure, .blueprint, "
                                "voxel .json/.npz) or a sample folder."),
    as_json: bool = typer.Option(False, "--json", help='Print only an object of item id to count, e.g. '
                                 '{"minecraft:oak_door": 2}.'),
) -> None:
    """List the items needed to build a structure in survival.

    Doors, beds and tall flowers count once, double slabs twice, water and lava sources as
    buckets; blocks that no item places (fire, portals, flowing water) are listed apart.
    """
    from mcgen.files import read_structure  # noqa: PLC0415
    from mcgen.materials import material_list  # noqa: PLC0415

    mats = material_list(read_structure(file))
    if as_json:
        out(json.dumps(mats.items, indent=1))
        if mats.no_item:
            say(f"not in the list (no item places them): {_short(mats.no_item)}")
        return
    width = max((len(str(n)) for n in mats.items.values()), default=1)
    for row in mats.rows():
        stacks = f"  ({row['stacks']})" if row["count"] >= row["stack"] else ""
        out(f"{row['count']:>{width}}  {row['item']}{stacks}")
    say(f"{mats.total} item(s) of {len(mats.items)} kind(s)")
    if mats.no_item:
        say(f"no item places these (left out): {_short(mats.no_item)}")


def _short(counts: dict[str, int]) -> str:
    shown = ", ".join(f"{n} {k}" for k, n in list(counts.items())[:8])
    return shown + (f" and {len(counts) - 8} more" if len(counts) > 8 else "")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("materials")(materials_cmd)
