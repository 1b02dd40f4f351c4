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
                                          "a training output folder (outputs/), or a model: a checkpoint file "
                                          "(.pt) or the name of a shipped one (`mcgen models`)."),
    output: Path = typer.Option(Path("view.html"), "-o", "--output", help="HTML file to write."),
    open_: bool = typer.Option(False, "--open", help="Open the page in the default web browser."),
    limit: int = typer.Option(400, "--limit", min=1, help="Most structures to embed (training runs keep evenly spaced steps)."),
    per_label: int = typer.Option(2, "--per-label", min=1, max=16,
                                  help="For a model: structures to sample per label (8 for a model without labels)."),
    seed: int = typer.Option(0, "--seed", help="For a model: the sampling seed."),
) -> None:
    """Write ONE self-contained HTML page (no server, no network) to look at structures in 3-D.

    Drag to orbit, right-drag to pan, wheel to zoom, hover for the block state; a y-slice shows the inside.

    For a training output folder, a step slider walks through inference_samples/ next to the loss curve.
    For a model (`mcgen view minecolonies`), a few fresh samples of every label, as `mcgen sample` makes them.
    """
    import tempfile  # noqa: PLC0415

    from mcgen.view import write_view  # noqa: PLC0415 - keep `mcgen --help` fast

    model = _model_path(path)
    if model is None:
        summary = write_view(path, output, limit=limit)
    else:
        with tempfile.TemporaryDirectory(prefix="mcgen-view-") as tmp:
            n = _sample_model(model, Path(tmp), per_label, seed)
            say(f"sampled {n} structure(s) from {path}")
            summary = write_view(Path(tmp), output, limit=limit)
    for note in summary.notes:
        say(f"note: {note}")
    what = f"{summary.structures} structure(s)"
    if summary.kind == "training":
        what += f" over {summary.steps} step(s)"
    say(f"view: {summary.kind}, {what}, {summary.bytes / 1024:.0f} KiB")
    out(str(summary.out))
    if open_:
        webbrowser.open(summary.out.resolve().as_uri())


def _model_path(path: Path) -> Path | None:
    """The checkpoint ``path`` names (a ``.pt`` file, or a shipped model's name), else ``None``.

    Unlike ``--checkpoint``, an existing folder of a shipped model's name is viewed as the folder.
    """
    from mcgen.models.registry import resolve_checkpoint, shipped_name  # noqa: PLC0415 - no torch

    if path.is_file() and path.suffix == ".pt":
        return path
    if not path.exists() and shipped_name(path) is not None:
        return resolve_checkpoint(path)
    return None


def _sample_model(checkpoint: Path, folder: Path, per_label: int, seed: int) -> int:
    """``per_label`` samples of every label (8 without labels) of ``checkpoint`` into ``folder``."""
    from mcgen.generate import SampleSettings, generate  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415

    ck = load_checkpoint(checkpoint)
    labels = ck.label_names
    n = per_label * len(labels) if labels else 8
    grids = generate(ck, n, SampleSettings(seed=seed, label="all" if labels else None, device="auto"))
    for i, g in enumerate(sorted(grids, key=lambda g: str(g.meta.get("label", "")))):
        save_json(g, folder / f"sample_{i:04d}.json")
    return len(grids)
