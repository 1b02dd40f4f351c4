"""CLI command: ``mcgen view PATH [-o view.html] [--open]`` writes a self-contained 3-D viewer page."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import typer

from mcgen.cli.common import out, say


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("view")(view)


def view(
    path: Path = typer.Argument(..., help="A structure file (any readable format), a folder of samples, a dataset, "
                                          "or a training output folder (outputs/)."),
    output: Path = typer.Option(Path("view.html"), "-o", "--output", help="HTML file to write."),
    open_: bool = typer.Option(False, "--open", help="Open the page in the default web browser."),
    limit: int = typer.Option(400, "--limit", min=1, help="Most structures to embed (training runs keep evenly spaced steps)."),
) -> None:
    """Write ONE self-contained HTML page (no server, no network) to look at structures in 3-D.

    Drag to orbit, right-drag to pan, wheel to zoom, hover for the block state; a y-slice shows the inside.

    For a training output folder, a step slider walks through inference_samples/ next to the loss curve.
    """
    from mcgen.view import write_view  # noqa: PLC0415 - keep `mcgen --help` fast

    summary = write_view(path, output, limit=limit)
    for note in summary.notes:
        say(f"note: {note}")
    what = f"{summary.structures} structure(s)"
    if summary.kind == "training":
        what += f" over {summary.steps} step(s)"
    say(f"view: {summary.kind}, {what}, {summary.bytes / 1024:.0f} KiB")
    out(str(summary.out))
    if open_:
        webbrowser.open(summary.out.resolve().as_uri())
