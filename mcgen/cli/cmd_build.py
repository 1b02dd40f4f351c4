"""CLI command ``build``: generate buildings and put them into a world save (Java or Bedrock), on the ground,
into a Java save's data pack (``--datapack``), or as a completion of what stands there (``--around``)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from mcgen.cli.cmd_model import CLEANUP_HELP, SAMPLER_HELP, STEPS_HELP, TEMPERATURE_HELP, check_cleanup
from mcgen.cli.common import CHECKPOINT_HELP, out, say
from mcgen.cli.worldout import paste_opts, print_report, write_build_files, xyz_or_none
from mcgen.errors import ConfigError, UsageError


def build_cmd(
    ctx: typer.Context,
    checkpoint: str = typer.Option(..., "--checkpoint", "-c", help=CHECKPOINT_HELP),
    into: str = typer.Option(..., "--into", help="World save: a path, or a name in ./worlds or the Minecraft saves folder."),
    count: int = typer.Option(4, "--count", min=1, max=64, help="How many buildings to generate."),
    at: tuple[int, int, int] | None = typer.Option(None, "--at", help="North-west corner of the first building: X Y Z (Y: fallback only; buildings rest on the surface)."),
    near_spawn: bool = typer.Option(False, "--near-spawn", help="Place them just east of the world spawn (the default without --at)."),
    spacing: int = typer.Option(4, "--spacing", min=0, help="Blocks between buildings."),
    label: str | None = typer.Option(None, "--label", help="Class label for a conditional model (e.g. house)."),
    guidance: float | None = typer.Option(None, "--guidance", help="Classifier-free guidance scale."),
    num_steps: int | None = typer.Option(None, "--num-steps", min=1, help=STEPS_HELP),
    sampler: str | None = typer.Option(None, "--sampler", help=SAMPLER_HELP),
    temperature: float | None = typer.Option(None, "--temperature", min=0.0, help=TEMPERATURE_HELP),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    out_dir: Path | None = typer.Option(None, "--out", help="Where to write the JSON/.schem files and build.json (default: <save>/mcgen_builds/<time>)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Generate and show what would change; write nothing to the world."),
    no_backup: bool = typer.Option(False, "--no-backup", help="Do not keep a backup in the save's mcgen_backups/."),
    create_chunks: bool = typer.Option(False, "--create-chunks", help="Also write into chunks the game has not generated."),
    clean: str = typer.Option("floating", "--cleanup", help=CLEANUP_HELP),
    size: tuple[int, int, int] | None = typer.Option(None, "--size", help="X Y Z: buildings larger than the model's "
                                                     "grid, generated window by window (as `mcgen sample --size`)."),
    datapack: bool = typer.Option(False, "--datapack", help="Do not paste into chunks: install the buildings as "
                                  "structure templates in <save>/datapacks/mcgen_structures (for the save's version); "
                                  "in game /reload, then /place template mcgen:NAME."),
    around: tuple[int, int, int] | None = typer.Option(
        None, "--around", help="X Y Z: instead of new buildings, complete what stands in the box of the model's grid "
        "size whose min corner is X Y Z (as `mcgen complete --fill-air`: air cells may get blocks, every block there "
        "stays) and write the generated blocks back there. Not with --count > 1, --at, --near-spawn, --spacing, "
        "--size, --datapack or --cleanup."),
) -> None:
    """Generate buildings with a checkpoint and put them into a world, each on the ground (or into a data pack);
    with --around, complete what already stands at a spot."""
    from mcgen.models import resolve_checkpoint  # noqa: PLC0415
    from mcgen.world import BEDROCK, detect_edition, place_buildings, resolve_world  # noqa: PLC0415

    check_cleanup(clean)
    at_xyz, around_xyz = xyz_or_none(at), xyz_or_none(around)
    if at_xyz is not None and near_spawn:
        raise UsageError("use either --at or --near-spawn, not both")
    if around_xyz is not None:
        _check_around(ctx, count)
    ck_path = resolve_checkpoint(checkpoint)
    world = resolve_world(into)
    if datapack and detect_edition(world) == BEDROCK:
        raise UsageError("--datapack installs Java structure templates; for a Bedrock save leave it out and the "
                         "buildings are pasted")
    try:
        from mcgen.generate.sample import generate  # noqa: PLC0415, F401 - torch, only for this command
    except ImportError as exc:
        raise ConfigError(f"generation is not available in this install: {exc}") from exc
    sampling = {"seed": seed, "label": label, "guidance": guidance, "sampler": sampler, "num_steps": num_steps,
                "temperature": temperature}
    opts = paste_opts(dry_run, no_backup, create_chunks)
    if around_xyz is not None:
        grids, report = _complete_around((checkpoint, ck_path), world, around_xyz, sampling, opts)
    else:
        grids = _generate((checkpoint, ck_path), count, size, clean, sampling)
        names = [f"building_{i}" for i in range(len(grids))]
        if datapack:
            install_datapack(world, grids, names, dry_run=dry_run)
            return
        report = place_buildings(world, grids, at=at_xyz, spacing=spacing, names=names,
                                 reason=f"build {len(grids)} from {Path(checkpoint).name}", **opts)
    print_report(report, verb="built")
    if dry_run:
        return
    folder = out_dir or world / "mcgen_builds" / time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    meta = grids[0].meta if grids else {}
    settings = {"checkpoint": str(checkpoint), **sampling, "sampler": meta.get("sampler", sampler),
                "num_steps": meta.get("steps", num_steps)}
    settings.update({"around": list(around_xyz)} if around_xyz is not None else {"cleanup": clean})
    write_build_files(folder, grids, report, settings)
    say(f"files: {folder}")


_NOT_WITH_AROUND = {"at": "--at", "near_spawn": "--near-spawn", "spacing": "--spacing", "size": "--size",
                    "datapack": "--datapack", "clean": "--cleanup"}


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether the user set option ``name`` (rather than it keeping its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def _check_around(ctx: typer.Context, count: int) -> None:
    """Refuse the ``build`` options that mean nothing with ``--around`` (one usage line)."""
    if _given(ctx, "count") and count != 1:
        raise UsageError(f"--around completes the one spot at X Y Z: --count {count} does not apply")
    bad = [flag for name, flag in _NOT_WITH_AROUND.items() if _given(ctx, name)]
    if bad:
        raise UsageError(f"--around completes what stands at X Y Z: {', '.join(bad)} cannot go with it")


def _generate(checkpoint: tuple[str, Path], count: int, size: tuple[int, int, int] | None, clean: str,
              sampling: dict) -> list:
    """``count`` fresh buildings (window by window when ``size`` is given) from ``checkpoint``
    (what the user named it, the file it resolved to)."""
    from mcgen.generate.sample import generate  # noqa: PLC0415
    from mcgen.generate.setup import SampleSettings  # noqa: PLC0415

    shown, path = checkpoint
    say(f"generating {count} building(s) with {shown} ...")
    # generate() checks --sampler / --num-steps against the checkpoint's objective and fills its defaults
    if size is None:
        return generate(path, count, SampleSettings(**sampling), clean=clean)
    from mcgen.cli.cmd_model import sample_large  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415

    return sample_large(load_checkpoint(path), tuple(size), count, SampleSettings(**sampling), None, clean)


def _complete_around(checkpoint: tuple[str, Path], world: Path, origin: tuple[int, int, int], sampling: dict,
                     opts: dict):
    """Complete the grid-sized box at ``origin`` (air cells free) and paste the generated cells back there
    (``checkpoint`` as for :func:`_generate`).

    Returns ``([completion], report)``.
    """
    from mcgen.generate.setup import SampleSettings  # noqa: PLC0415
    from mcgen.generate.world import complete_box, completion_placement, grid_box  # noqa: PLC0415
    from mcgen.ml.checkpoint import load_checkpoint  # noqa: PLC0415
    from mcgen.world import paste  # noqa: PLC0415

    shown, path = checkpoint
    ck = load_checkpoint(path)
    box = grid_box(origin, ck.grid_size)
    say(f"completing what stands in {box[:3]} .. {box[3:]} with {shown} ...")
    structure, grids = complete_box(ck, world, box, fill_air=True, settings=SampleSettings(**sampling))
    say(f"{structure.count()} block(s) stand there; the model added {grids[0].count() - structure.count()}")
    report = paste(world, [completion_placement(grids[0], origin, "completion")],
                   reason=f"build --around {' '.join(map(str, origin))} from {Path(shown).name}", **opts)
    return grids, report


def datapack_version(world: Path) -> str:
    """The release whose data-pack layout a save needs: its level.dat name when known, else by DataVersion."""
    from mcgen.export.datapack import PACK_FORMATS  # noqa: PLC0415
    from mcgen.export.versions import version_name  # noqa: PLC0415
    from mcgen.world import read_level_info  # noqa: PLC0415

    info = read_level_info(world)
    return info.version_name if info.version_name in PACK_FORMATS else version_name(info.data_version)


def install_datapack(world: Path, grids, names: list[str], *, dry_run: bool = False) -> Path | None:
    """Install ``grids`` as templates ``mcgen:<name>`` in the save's structure data pack; print how to place them.

    Raises:
        ExportError: a block state the save's version lacks, or a version without a known pack format.
    """
    from mcgen.export.datapack import INSTALL_NAME, install_structures, template_name  # noqa: PLC0415
    from mcgen.export.writers import encode  # noqa: PLC0415

    version = datapack_version(world)
    structures = [(n, encode(g, "nbt", mc_version=version)) for g, n in zip(grids, names)]
    if dry_run:
        say(f"dry run: would add {len(structures)} template(s) to {world / 'datapacks' / INSTALL_NAME}")
        return None
    pack = install_structures(world, structures, version)
    say(f"installed {len(structures)} template(s) in {pack} (Minecraft {version}); chunks were not changed")
    say("in game: /reload (or reopen the world), stand where a building should go, then:")
    for n in names:
        out(f"/place template mcgen:{template_name(n)} ~ ~ ~")
    return pack


def register(app: typer.Typer) -> None:
    """Add ``build`` to ``app``."""
    app.command("build")(build_cmd)
