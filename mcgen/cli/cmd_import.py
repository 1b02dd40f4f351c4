"""CLI command ``mcgen dataset import``: real builds (schematics, structures, a world box) as a dataset.

:func:`add_commands` adds the command to the ``dataset`` group built in ``cmd_dataset``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional

import typer

from mcgen.cli.common import is_tty, out, say

IMPORT_HELP = """Turn real builds into a training dataset (same layout as `dataset synth`).

SOURCES are files or folders (searched recursively) of .schem, .schematic, .nbt, .litematic, .mcstructure, .blueprint (Structurize/MineColonies), and mcgen .json/.npz files or dataset samples. Each build is trimmed of empty margins (and of the terrain layers village pieces are saved standing in; --keep-ground keeps them), fitted into the grid and put on y = 0.

--fit scale (default): a build that is too big is downsampled by one factor on all axes; a cell is solid when it holds half a plane of blocks, so one-block walls and roofs survive, and it takes its most frequent state. Smaller builds are centred as they are.

--fit pad: builds that fit are centred; one that does not is scaled instead, and the summary says so.

--fit crop: the middle of a build that is too big is kept (in y, the lowest layers).

--fit skip: only builds that fit are imported (centred); the others are dropped and listed in report.json.

--vocab default maps every block state onto mcgen's building vocabulary: planks to the nearest planks, stairs keep their facing, slabs their half, logs their axis, doors their facing and half, panes and fences take the best-matching connections, small decoration becomes air or a torch, anything else the nearest full block by colour. --vocab auto:K uses at most K of the most frequent states in the input (air first), taken in whole rotation/mirror groups so the trainer's symmetry augmentation stays exact; the rest go to their nearest member.

Block entities and entities are dropped and counted. Unreadable files are skipped with their reason, never stopping the batch. A build larger than --max-size on some axis is refused from its header before it is loaded (the header is walked without decoding block data). Near-empty builds (fewer than --min-blocks after fitting) and exact duplicates are dropped. report.json beside manifest.json lists all of it.

--world PATH --box X1 Y1 Z1 X2 Y2 Z2 also imports a box of a Java world save (corners inclusive). Nothing in the world is changed, but amulet writes its own session.lock into the world folder even when only reading: close the game first (a world it holds is refused) or import from a copy.

--label-from name (default) takes a label from the file name; style, category and folder take the first folder under a SOURCE folder, the second one, or the folder holding the file (MineColonies: STYLE/CATEGORY/.../NAME.blueprint).

--split-by series --held-out F holds out about F of the building series of each label: a series is the same name without its trailing level digits in the same folder (library1 ... library5), and it never straddles train and held-out. Each sample's meta says its series and split; manifest.json lists both splits.

.blueprint files: mod blocks become vanilla ones (Domum Ornamentum shapes take the material from their block entity); --solid-fill air drops the "fill with ground" placeholders instead of making them dirt. Every remapping is counted in report.json.

The work runs in --workers processes (default: all cores); the result does not depend on it.

Example: mcgen dataset import builds/ --out dataset/ --size 32 --vocab default

Example: mcgen dataset import ../shared/data/minecolonies --out mc16/ --size 16 --label-from style --split-by series --held-out 0.1 --vocab auto:192
"""


def import_cmd(
    sources: list[Path] = typer.Argument(None, help="Structure files or folders (recursive)."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Dataset folder (created; an old mcgen dataset there is replaced)."),
    size: int = typer.Option(32, "--size", help="Grid edge: 16 or 32."),
    fit: str = typer.Option("scale", "--fit", help="crop, pad, scale or skip (see above)."),
    vocab: str = typer.Option("default", "--vocab", help="default, or auto:K for the K most frequent states."),
    min_blocks: int = typer.Option(20, "--min-blocks", help="Drop builds with fewer blocks after fitting."),
    max_size: int = typer.Option(256, "--max-size", help="Refuse builds larger than this on any axis (checked before loading)."),
    keep_ground: bool = typer.Option(False, "--keep-ground", help="Keep the terrain layers under a build."),
    world: Path = typer.Option(None, "--world", help="A Java world save to import a box from (needs --box)."),
    box: Optional[tuple[int, int, int, int, int, int]] = typer.Option(  # noqa: UP007 - typer needs Optional
        None, "--box", help="X1 Y1 Z1 X2 Y2 Z2: the world box, corners inclusive."),
    label_from: str = typer.Option("name", "--label-from", help="name, style, category or folder (see above)."),
    split_by: str = typer.Option("none", "--split-by", help="none, or series (see above)."),
    held_out: float = typer.Option(0.0, "--held-out", help="Share of series held out with --split-by series, e.g. 0.1."),
    solid_fill: str = typer.Option("ground", "--solid-fill", help=".blueprint 'fill with ground' placeholders: ground (dirt) or air."),
    workers: int = typer.Option(0, "--workers", "-j", help="Worker processes (0: one per core)."),
    preview: bool = typer.Option(True, "--preview/--no-preview", help="Also write preview.png (first 40 samples)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only print skipped files and the summary."),
) -> None:
    from mcgen.errors import UsageError  # noqa: PLC0415
    from mcgen.importing import ImportOptions, WorldBox, expand_sources, import_dataset  # noqa: PLC0415

    has_box = box is not None and all(v is not None for v in box)
    if (world is None) != (not has_box):
        raise UsageError("--world and --box go together: --world PATH --box X1 Y1 Z1 X2 Y2 Z2")
    if split_by == "series" and held_out <= 0:
        raise UsageError("--split-by series needs --held-out F with 0 < F < 1")
    if held_out and split_by != "series":
        raise UsageError("--held-out needs --split-by series")
    options = ImportOptions(size=size, fit=fit, vocab=vocab, min_blocks=min_blocks, max_size=max_size,
                            keep_ground=keep_ground, label_from=label_from, split_by=split_by, held_out=held_out,
                            solid_fill=solid_fill, workers=workers or os.cpu_count() or 1)
    items: list = expand_sources(sources or [], exclude=out_dir)
    if world is not None:
        items.append(WorldBox(world, tuple(int(v) for v in box)))  # type: ignore[arg-type]
    if not items:
        raise UsageError("nothing to import: give SOURCES (files or folders) and/or --world PATH --box ...")
    say(f"importing {len(items)} input(s) into {out_dir} ({size}^3, --fit {fit}, --vocab {vocab}, "
        f"{options.workers} worker(s))")
    bar = is_tty() and len(items) >= 200

    def progress(event: str, source: str, detail: str) -> None:
        if event == "skip" and not bar:
            say(f"skipped: {detail}")
        elif not quiet and not bar:
            say(f"{'ok' if event == 'ok' else 'dropped'}: {source}: {detail}")

    roots = [Path(s) for s in sources or [] if Path(s).is_dir()]
    with _progress_bar(len(items) * (2 if options.auto_k() else 1), bar) as tick:
        report = import_dataset(items, out_dir, options, progress, roots=roots, tick=tick)
    for _, reason in report.skipped + report.too_large if bar else []:  # held back while the bar ran
        say(f"skipped: {reason}")
    if preview:
        _preview(out_dir)
    for line in summary_lines(report, out_dir):
        out(line)


@contextlib.contextmanager
def _progress_bar(total: int, show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr when ``show`` (a terminal and a long batch); else no callback."""
    if not show:
        yield None
        return
    with typer.progressbar(length=total, label="importing", file=sys.stderr) as bar:
        yield lambda done, _total: bar.update(done - bar.pos)


def _preview(out_dir: Path) -> None:
    from mcgen.dataset import PREVIEW, sample_dirs  # noqa: PLC0415
    from mcgen.files import read_structure  # noqa: PLC0415
    from mcgen.render import contact_sheet  # noqa: PLC0415

    shown = [read_structure(d) for d in sample_dirs(out_dir)[:40]]
    items = [(f"{i} {Path(str(g.meta.get('source', ''))).stem[-18:]}", g) for i, g in enumerate(shown)]
    contact_sheet(items, out_dir / PREVIEW, cols=min(10, len(items)), cell=160)


def summary_lines(report, out_dir: Path) -> list[str]:
    """The human summary printed on stdout after an import."""
    r = report
    pct = 100.0 * r.blocks_remapped / max(1, r.blocks_total)
    lines = [
        f"imported {len(r.written)} build(s) into {out_dir} in {r.seconds:.1f}s with {r.workers} worker(s) "
        f"({r.options.size}^3, vocabulary {r.options.vocab}: {len(r.vocabulary)} states)",
        f"skipped {len(r.skipped)} unreadable, {len(r.too_large)} larger than --max-size {r.options.max_size}; "
        f"dropped {len(r.near_empty)} near-empty, {len(r.duplicates)} duplicate(s)"
        + (f", {len(r.did_not_fit)} that did not fit {r.options.size}^3 (--fit skip)" if r.did_not_fit else ""),
        f"remapped {r.blocks_remapped} of {r.blocks_total} blocks ({pct:.1f}%), {r.blocks_to_air} of them to air",
        f"dropped {r.block_entities} block entities and {r.entities} entities"
        + (f" (counts unknown for {r.counts_unknown} input(s))" if r.counts_unknown else ""),
    ]
    if r.builds_read:
        modes = ", ".join(f"{v} {k}" for k, v in sorted(r.fit_modes.items()))
        lines.append(f"fit: of {r.builds_read} builds read, {r.fits[16]} fit 16^3 and {r.fits[32]} fit 32^3 after "
                     f"trimming; written: {modes or 'none'}" + (
                         f" (scaled by 1/{min(r.scale_factors):.2f} .. 1/{max(r.scale_factors):.2f})"
                         if r.scale_factors else "") + (" (crop keeps the middle and the lowest layers)"
                                                       if r.fit_modes.get("crop") else ""))
    if r.fell_back:
        lines.append(f"--fit pad: {len(r.fell_back)} build(s) did not fit and were scaled instead")
    if r.split:
        sp = r.split
        lines.append(f"split by series: {len(sp['train'])} train, {len(sp['held_out'])} held out "
                     f"({sp['held_out_series']} of {sp['series']} series)")
    if r.source_remaps:
        lines.append(f"reader remappings (placeholders and mod blocks, {len(r.source_remaps)} pairs, all in "
                     f"report.json); top:")
        for k, v in r.source_remaps.most_common(8):
            lines.append(f"  {v:>8}  {k}")
    if r.ground_stripped:
        lines.append(f"removed the terrain base of {len(r.ground_stripped)} build(s) (--keep-ground keeps it)")
    if r.remaps:
        lines.append("top remappings:")
        from mcgen.importing.mapping import describe_state  # noqa: PLC0415

        for a, b, n in r.top_remaps(10):
            lines.append(f"  {n:>8}  {describe_state(a)} -> {describe_state(b)}")
    lines.append("labels: " + " ".join(f"{k}={v}" for k, v in sorted(r.labels.items())))
    return lines


def add_commands(dataset_app: typer.Typer) -> None:
    """Add ``import`` to the ``dataset`` command group."""
    dataset_app.command("import", help=IMPORT_HELP)(import_cmd)
