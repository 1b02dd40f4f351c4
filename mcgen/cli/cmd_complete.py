"""CLI command: ``mcgen complete`` (finish a structure with a trained model, keeping every given block)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mcgen.cli.cmd_model import SAMPLER_HELP, STEPS_HELP, TEMPERATURE_HELP
from mcgen.cli.common import CHECKPOINT_HELP, out, say
from mcgen.errors import UsageError

_EXAMPLES = """
Examples:
  mcgen complete half_house.schem --checkpoint latest.pt --above 6 -o roofed.schem
  mcgen complete walls.nbt -c latest.pt --fill-air --label house --num-samples 4 -o options/
  mcgen complete plot.json -c latest.pt --region 0 0 0 15 10 7 -o done.litematic
  mcgen complete --world myworld --box 100 64 200 109 71 209 -c latest.pt --above 6 --into myworld --dry-run
"""


def complete_cmd(
    src: Path | None = typer.Argument(None, help="Structure to finish: any file mcgen reads (.schem, .nbt, "
                                      ".litematic, .mcstructure, .blueprint, voxel .json/.npz) or a sample folder; "
                                      "or give --world and --box instead."),
    checkpoint: str = typer.Option(..., "--checkpoint", "-c", help=CHECKPOINT_HELP),
    region: tuple[int, int, int, int, int, int] | None = typer.Option(
        None, "--region", help="Generate inside this box X1 Y1 Z1 X2 Y2 Z2 (inclusive, relative to the structure)."),
    above: int | None = typer.Option(None, "--above", help="Generate everything from height H up (new floors, a roof)."),
    fill_air: bool = typer.Option(False, "--fill-air", help="Every air cell of the structure may get a block; "
                                  "existing blocks stay."),
    world: str | None = typer.Option(None, "--world", help="Take the structure from this world save (a path, or a "
                                     "name in ./worlds or the Minecraft saves folder); needs --box."),
    box: tuple[int, int, int, int, int, int] | None = typer.Option(
        None, "--box", help="X1 Y1 Z1 X2 Y2 Z2: the box of --world holding the build (corners inclusive)."),
    into: str | None = typer.Option(None, "--into", help="Paste the completion into this world save (may be the "
                                    "--world one) at the box's min corner; needs --world and --num-samples 1."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output file (suffix picks the format) or, "
                                       "with --num-samples > 1, a folder. Needed unless --into is given."),
    fmt: str | None = typer.Option(None, "--format", help="schem, schem3, nbt, litematic, mcstructure, blueprint or "
                                   "json (default: from the output suffix; json in a folder)."),
    num_samples: int = typer.Option(1, "--num-samples", "-n", min=1, max=64, help="Alternatives side by side."),
    label: str | None = typer.Option(None, "--label", help="Class label for a conditional model."),
    guidance: float | None = typer.Option(None, "--guidance", help="Classifier-free guidance scale (with --label)."),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    num_steps: int | None = typer.Option(None, "--num-steps", min=1, help=STEPS_HELP),
    temperature: float | None = typer.Option(None, "--temperature", min=0.0, help=TEMPERATURE_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed; completion i uses seed + i."),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:N or mps."),
    dry_run: bool = typer.Option(False, "--dry-run", help="With --into: show what would change; write nothing to "
                                 "the world."),
    no_backup: bool = typer.Option(False, "--no-backup", help="With --into: no backup in the save's mcgen_backups/."),
    create_chunks: bool = typer.Option(False, "--create-chunks", help="With --into: also write into chunks the game "
                                       "has not generated."),
) -> None:
    """Finish a structure: generate a region, the floors above a height, or the air inside it; every
    given block comes out unchanged.

    With --world W --box X1 Y1 Z1 X2 Y2 Z2 the structure is that box of a Java or Bedrock world save
    (corners inclusive, world coordinates; --region and --above count from the box's min corner, as for
    a file). --into TARGET pastes the completion back with its min corner at the box's min corner, with
    the safety of `mcgen paste`: refused while the game has the world open, a backup for `mcgen world
    restore` unless --no-backup, files swapped in atomically, --dry-run, --create-chunks. Only
    the generated cells are written: the given blocks stay exactly as the world has them, and the
    completion can reach past the box up to the model's grid (--above frees the whole grid from H up).
    """
    from mcgen.cli.cmd_model import check_sampling  # noqa: PLC0415
    from mcgen.generate.completion import complete  # noqa: PLC0415 - torch only for this command
    from mcgen.generate.setup import SampleSettings  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415
    from mcgen.models import resolve_checkpoint  # noqa: PLC0415

    box = _box(box)
    _check_usage(src, world, box, into, output, num_samples, region, above, fill_air,
                 with_into=dry_run or no_backup or create_chunks)
    if guidance is not None and label is None:
        raise UsageError("--guidance needs --label (guidance pushes samples towards a label)")
    many = num_samples > 1
    fmt = _format(output, fmt, many) if output is not None else None
    ck_path = resolve_checkpoint(checkpoint)  # an unknown name fails before the input is read
    structure, what, name, target = _read_input(src, world, box, into)
    ck = load_checkpoint(ck_path)
    sampler, num_steps = check_sampling(ck, sampler, num_steps)
    say(f"completing {what} ({structure.size[0]}x{structure.size[1]}x{structure.size[2]}, {structure.count()} "
        f"blocks) with {checkpoint} ({ck.objective().kind}, {sampler} x {num_steps}) ...")
    with typer.progressbar(length=num_steps, label="sampling", file=sys.stderr) as bar:
        settings = SampleSettings(seed=seed, label=label, guidance=guidance, sampler=sampler, num_steps=num_steps,
                                  temperature=temperature, device=device)
        grids = complete(ck, structure, region=region, above=above, fill_air=fill_air, num_samples=num_samples,
                         settings=settings, progress=_advance(bar))
    if output is not None:
        paths = [output / f"completion_{i:02d}.{_SUFFIX[fmt]}" for i in range(len(grids))] if many else [output]
        for grid, path in zip(grids, paths):
            _write(grid, path, fmt, name)
            out(str(path))
    import numpy as np  # noqa: PLC0415

    from mcgen.given import GIVEN_KEY, decode_given  # noqa: PLC0415

    g0 = grids[0]
    free = ~decode_given(g0.meta[GIVEN_KEY], g0.size)
    before = np.zeros(g0.size, dtype=bool)
    sx, sy, sz = structure.size
    before[:sx, :sy, :sz] = structure.blocks != 0
    solid = [int(((g.blocks != 0) & free).sum()) for g in grids]
    say(f"{'wrote' if output is not None else 'made'} {len(grids)} completion(s) of {g0.size[0]}x{g0.size[1]}x"
        f"{g0.size[2]} ({g0.meta.get('windows', 1)} window(s)); {int(free.sum())} cells generated, "
        f"{min(solid)}..{max(solid)} of them solid (the input had {int((before & free).sum())} blocks there); "
        "given blocks unchanged")
    if target is not None:
        _paste_back(target, grids[0], box, name, what, dry_run=dry_run, no_backup=no_backup,
                    create_chunks=create_chunks)


def _box(box: tuple | None) -> tuple[int, int, int, int, int, int] | None:
    if box is None or all(v is None for v in box):
        return None
    return tuple(int(v) for v in box)  # type: ignore[return-value]


def _check_usage(src: Path | None, world: str | None, box: tuple | None, into: str | None, output: Path | None,
                 num_samples: int, region: tuple | None, above: int | None, fill_air: bool, *, with_into: bool) -> None:
    """The option combinations ``mcgen complete`` refuses, each as a one-line usage error."""
    if src is not None and world is not None:
        raise UsageError("give the structure as SRC (a file) or as --world W --box X1 Y1 Z1 X2 Y2 Z2, not both")
    if src is None and world is None:
        raise UsageError("give the structure: SRC (a file) or --world W --box X1 Y1 Z1 X2 Y2 Z2")
    if (world is None) != (box is None):
        raise UsageError("--world and --box go together: --world W --box X1 Y1 Z1 X2 Y2 Z2")
    if sum(x is not None for x in (region, above)) + int(fill_air) != 1:
        raise UsageError("say what to generate: exactly one of --region, --above or --fill-air")
    if into is not None and world is None:
        raise UsageError("--into pastes at the --box's min corner: it needs --world and --box (to paste a file, "
                         "use `mcgen paste`)")
    if into is not None and num_samples != 1:
        raise UsageError(f"--into pastes one completion: use --num-samples 1 (got {num_samples}), or -o alone")
    if into is None and output is None:
        raise UsageError("say where the completion goes: -o FILE and/or --into WORLD")
    if into is None and with_into:
        raise UsageError("--dry-run, --no-backup and --create-chunks go with --into")


def _read_input(src: Path | None, world: str | None, box: tuple | None, into: str | None):
    """``(structure, description, name, paste target or None)``; the target is checked for the game's
    lock before any sampling."""
    if world is None:
        from mcgen.files import read_structure  # noqa: PLC0415

        return read_structure(src), str(src), Path(src).stem, None
    from mcgen.generate.world import read_box  # noqa: PLC0415
    from mcgen.world import resolve_world  # noqa: PLC0415
    from mcgen.world.lock import check_unlocked  # noqa: PLC0415

    path = resolve_world(world)
    target = resolve_world(into) if into is not None else None
    if target is not None:
        check_unlocked(target)
    structure = read_box(path, box)
    return structure, f"{path} box {' '.join(map(str, box))}", f"{path.name}_box", target


def _advance(bar):
    """A ``progress(done, total)`` for ``bar`` (the total grows when a completion takes several windows)."""

    def progress(done: int, total: int) -> None:
        bar.length = max(bar.length or 0, total)
        bar.update(done - bar.pos)

    return progress


def _paste_back(target: Path, grid, box: tuple, name: str, what: str, *, dry_run: bool, no_backup: bool,
                create_chunks: bool) -> None:
    """Paste the completion's generated cells at the box's min corner (``mcgen paste``'s safety)."""
    from mcgen.cli.cmd_world import paste_opts, print_report  # noqa: PLC0415
    from mcgen.generate.world import box_origin, completion_placement  # noqa: PLC0415
    from mcgen.world import paste  # noqa: PLC0415

    placement = completion_placement(grid, box_origin(box), name)
    report = paste(target, [placement], reason=f"complete {what}", **paste_opts(dry_run, no_backup, create_chunks))
    print_report(report, verb="completed")


_SUFFIX = {"schem": "schem", "schem3": "schem", "nbt": "nbt", "litematic": "litematic", "mcstructure": "mcstructure",
           "blueprint": "blueprint", "json": "json"}


def _format(output: Path, fmt: str | None, many: bool) -> str:
    if fmt is not None:
        if fmt not in _SUFFIX:
            raise UsageError(f"--format must be one of {', '.join(_SUFFIX)}, got {fmt!r}")
        return fmt
    if many:
        return "json"
    if output.suffix.lower() == ".json":
        return "json"
    from mcgen.export.writers import format_for_path  # noqa: PLC0415

    return format_for_path(output)


def _write(grid, path: Path, fmt: str, name: str) -> None:
    from mcgen.export.writers import write_file  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415

    if fmt == "json":
        save_json(grid, path)
    else:
        write_file(grid, path, fmt, name=name)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("complete", epilog=_EXAMPLES)(complete_cmd)

