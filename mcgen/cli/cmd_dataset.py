"""CLI commands: ``mcgen dataset synth`` (procedural dataset) and ``mcgen dataset info``.

The ``dataset`` group is a Typer sub-app built in :func:`register`; other dataset commands
(e.g. ``dataset import``) add themselves to the same group there.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import typer

from mcgen.cli.common import is_tty, out, say

SYNTH_HELP = """Write a procedural dataset of recognisable builds (houses, towers, huts, walls, bridges, wells, lighthouses, pyramids, windmills, trees) plus manifest.json and preview.png.

The same --seed, --count and --size give the same files, byte for byte, whatever --workers is.

Example: mcgen dataset synth --out dataset/ --count 100 --size 16 --seed 0
"""

INFO_HELP = """Summarise a dataset folder: sample count, label histogram, block histogram, mean fill.

Example: mcgen dataset info dataset/
"""


@contextlib.contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal for long runs; nothing in logs and pipes."""
    if not is_tty() or total < 200:
        yield None
        return
    with typer.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda done, _total: bar.update(done - bar.pos)


def synth_cmd(
    out_dir: Path = typer.Option(Path("dataset"), "--out", "-o", help="Dataset folder (created; an old mcgen dataset there is replaced)."),
    count: int = typer.Option(100, "--count", "-n", min=1, help="Number of samples."),
    size: int = typer.Option(16, "--size", help="Grid edge: 16 or 32 (32 gives bigger, more detailed builds)."),
    seed: int = typer.Option(0, "--seed", help="Dataset seed."),
    workers: int = typer.Option(1, "--workers", "-j", min=1, help="Processes drawing samples (the result does not depend on it)."),
    preview: bool = typer.Option(True, "--preview/--no-preview", help="Also write preview.png (a contact sheet of the first 40 samples)."),
) -> None:
    from mcgen.dataset import PREVIEW, synthesize  # noqa: PLC0415

    t0 = time.perf_counter()
    say(f"drawing {count} samples ({size}^3, seed {seed}, {workers} worker(s))")
    with _progress(2 * count, "drawing, then writing") as step:
        write = (lambda done, total: step(count + done, 2 * count)) if step else None
        manifest = synthesize(out_dir, count=count, size=size, seed=seed, workers=workers, preview=preview,
                              draw_progress=step, write_progress=write)
    msg = f"wrote {count} samples to {out_dir} in {time.perf_counter() - t0:.1f}s"
    if preview:
        msg += f"; preview {out_dir / PREVIEW}"
    say(msg)
    out(" ".join(f"{k}={v}" for k, v in manifest["labels"].items()))


def info_cmd(
    path: Path = typer.Argument(..., help="Dataset folder (with manifest.json)."),
    top: int = typer.Option(20, "--top", min=1, help="Block states shown in the histogram."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as one JSON object."),
) -> None:
    from mcgen.dataset import dataset_stats  # noqa: PLC0415

    st = dataset_stats(path)
    if as_json:
        out(json.dumps(st))
        return
    out(f"dataset   {path}")
    out(f"count     {st['count']}" + ("" if st["count"] == st["manifest_count"] else f" (manifest says {st['manifest_count']})"))
    out(f"size      {st['size']}^3, vocabulary {st['vocabulary_size']} states, generator {st['generator']}")
    out(f"mean fill {st['mean_fill']:.2%}")
    out("labels:")
    for k, v in st["labels"].items():
        out(f"  {k:<14} {v:>6}  {v / max(1, st['count']):6.1%}")
    total = sum(st["blocks"].values())
    out(f"blocks ({len(st['blocks'])} states, {total} placed; top {min(top, len(st['blocks']))}):")
    for k, v in list(st["blocks"].items())[:top]:
        out(f"  {v:>9}  {v / max(1, total):6.1%}  {k}")


def register(app: typer.Typer) -> None:
    """Add the ``dataset`` command group to ``app``."""
    group = typer.Typer(
        name="dataset", no_args_is_help=True,
        help="Make, import and inspect training datasets.\n\nExample: mcgen dataset synth --out dataset/ --count 100",
    )
    group.command("synth", help=SYNTH_HELP)(synth_cmd)
    group.command("info", help=INFO_HELP)(info_cmd)
    from mcgen.cli.cmd_import import add_commands  # noqa: PLC0415 - `dataset import` lives in its own module

    add_commands(group)
    app.add_typer(group, name="dataset")

