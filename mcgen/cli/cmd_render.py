"""CLI command: ``mcgen render`` (isometric PNG of one structure, or a labelled contact sheet)."""

from __future__ import annotations

from pathlib import Path

import typer

from mcgen.cli.common import say

RENDER_HELP = """Draw structures isometrically (shaded faces, preview colours) into a PNG.

Takes voxel JSON, voxels.npz, dataset sample folders, folders of those, and every format the exporter reads (.schem, .schematic, .nbt, .litematic, .mcstructure). One structure gives one picture; several give a labelled contact sheet.

Examples:

  mcgen render dataset/ -o sheet.png --max 40

  mcgen render build.schem -o build.png --size 768
"""


def _caption(path: Path, meta: dict) -> str:
    name = path.name if path.is_file() else path.stem  # keep the suffix: a.schem and a.nbt differ
    label = meta.get("label")
    return f"{name} {label}" if label else name


def render_cmd(
    paths: list[Path] = typer.Argument(..., metavar="FILE_OR_DIR", help="Files or folders of structures."),
    output: Path = typer.Option(..., "--output", "-o", help="PNG to write."),
    cols: int | None = typer.Option(None, "--cols", min=1, help="Columns of the contact sheet (default: about square)."),
    max_items: int = typer.Option(64, "--max", min=1, help="Draw at most this many structures."),
    size: int | None = typer.Option(None, "--size", min=32, max=4096,
                                    help="Picture edge in pixels (default 512 for one structure, 192 per sheet cell)."),
) -> None:
    from mcgen.errors import FormatError  # noqa: PLC0415
    from mcgen.files import iter_structure_paths, read_structure  # noqa: PLC0415
    from mcgen.fsutil import atomic_write_bytes  # noqa: PLC0415
    from mcgen.render import contact_sheet, render_grid  # noqa: PLC0415

    found: list[Path] = []
    for p in paths:
        found += iter_structure_paths(p)
    if not found:
        raise FormatError("no structures found", path=", ".join(map(str, paths)))
    if len(found) > max_items:
        say(f"{len(found)} structures found; drawing the first {max_items} (raise --max for more)")
        found = found[:max_items]
    items = [(p, read_structure(p)) for p in found]
    if len(items) == 1:
        import io  # noqa: PLC0415

        buf = io.BytesIO()
        render_grid(items[0][1], size or 512).save(buf, format="PNG")
        atomic_write_bytes(output, buf.getvalue())
    else:
        contact_sheet([(_caption(p, g.meta), g) for p, g in items], output, cols=cols, cell=size or 192)
    say(f"wrote {output} ({len(items)} structure{'s' if len(items) != 1 else ''})")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("render", help=RENDER_HELP)(render_cmd)
