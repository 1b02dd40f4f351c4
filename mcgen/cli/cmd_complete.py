"""CLI command: ``mcgen complete`` (finish a structure with a trained model, keeping every given block)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from mcgen.cli.cmd_model import SAMPLER_HELP, STEPS_HELP, TEMPERATURE_HELP
from mcgen.cli.common import out, say
from mcgen.errors import UsageError

_EXAMPLES = """
Examples:
  mcgen complete half_house.schem --checkpoint latest.pt --above 6 -o roofed.schem
  mcgen complete walls.nbt -c latest.pt --fill-air --label house --num-samples 4 -o options/
  mcgen complete plot.json -c latest.pt --region 0 0 0 15 10 7 -o done.litematic
"""


def complete_cmd(
    src: Path = typer.Argument(..., help="Structure to finish: any file mcgen reads (.schem, .nbt, .litematic, "
                               ".mcstructure, .blueprint, voxel .json/.npz) or a sample folder."),
    checkpoint: Path = typer.Option(..., "--checkpoint", "-c", help="Trained checkpoint."),
    region: tuple[int, int, int, int, int, int] | None = typer.Option(
        None, "--region", help="Generate inside this box X1 Y1 Z1 X2 Y2 Z2 (inclusive, relative to the structure)."),
    above: int | None = typer.Option(None, "--above", help="Generate everything from height H up (new floors, a roof)."),
    fill_air: bool = typer.Option(False, "--fill-air", help="Every air cell of the structure may get a block; "
                                  "existing blocks stay."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (suffix picks the format) or, with "
                                "--num-samples > 1, a folder."),
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
) -> None:
    """Finish a structure: generate a region, the floors above a height, or the air inside it; every
    given block comes out unchanged."""
    from mcgen.cli.cmd_model import check_sampling  # noqa: PLC0415
    from mcgen.checkpoint import load_checkpoint  # noqa: PLC0415 - torch only for this command
    from mcgen.complete import complete  # noqa: PLC0415
    from mcgen.files import read_structure  # noqa: PLC0415

    if sum(x is not None for x in (region, above)) + int(fill_air) != 1:
        raise UsageError("say what to generate: exactly one of --region, --above or --fill-air")
    if guidance is not None and label is None:
        raise UsageError("--guidance needs --label (guidance pushes samples towards a label)")
    many = num_samples > 1
    fmt = _format(output, fmt, many)
    structure = read_structure(src)
    ck = load_checkpoint(checkpoint)
    sampler, num_steps = check_sampling(ck, sampler, num_steps)
    say(f"completing {src} ({structure.size[0]}x{structure.size[1]}x{structure.size[2]}, {structure.count()} "
        f"blocks) with {checkpoint} ({ck.objective().kind}, {sampler} x {num_steps}) ...")
    with typer.progressbar(length=num_steps, label="sampling", file=sys.stderr) as bar:
        grids = complete(ck, structure, region=region, above=above, fill_air=fill_air, num_samples=num_samples,
                         seed=seed, label=label, guidance=guidance, sampler=sampler, num_steps=num_steps,
                         temperature=temperature, device=device, progress=lambda done, total: bar.update(done - bar.pos))
    paths = [output / f"completion_{i:02d}.{_SUFFIX[fmt]}" for i in range(len(grids))] if many else [output]
    for grid, path in zip(grids, paths):
        _write(grid, path, fmt, src)
        out(str(path))
    added = [g.count() - structure.count() for g in grids]
    say(f"wrote {len(grids)} completion(s); blocks added {min(added)}..{max(added)} (given blocks unchanged)")


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


def _write(grid, path: Path, fmt: str, src: Path) -> None:
    from mcgen.export.writers import write_file  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415

    if fmt == "json":
        save_json(grid, path)
    else:
        write_file(grid, path, fmt, name=Path(src).stem)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("complete", epilog=_EXAMPLES)(complete_cmd)
