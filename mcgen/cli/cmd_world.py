"""CLI commands: ``paste``, ``build`` and ``world new|info|restore`` (amulet imported inside commands)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from mcgen.cli.cmd_model import CLEANUP_HELP, SAMPLER_HELP, STEPS_HELP, TEMPERATURE_HELP, check_cleanup
from mcgen.cli.common import CHECKPOINT_HELP, out, say
from mcgen.errors import ConfigError, UsageError

world_app = typer.Typer(help="Create, inspect and restore Minecraft world saves.", no_args_is_help=True)

LIGHT_NOTE = ("touched chunks were saved without light data (isLightOn=0), so the game relights them"
              " when it loads them; if a torch or lantern stays dark, stand near the build and run"
              " `/function mcgen:relight` (data pack written into the save), or place and break a block next to it")


def _at(at: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
    return None if at is None or all(v is None for v in at) else tuple(int(v) for v in at)  # type: ignore[return-value]


def print_report(report, *, verb: str) -> None:
    """Human summary of a PasteReport (stdout: boxes and /tp lines; stderr: the rest)."""
    head = "would paste" if report.dry_run else verb
    say(f"{head} into {report.world} (Minecraft {report.version}, DataVersion {report.data_version})")
    for b in report.boxes:
        on = f", resting on y={b.surface_y}" if b.surface_y is not None else ""
        out(f"{b.name}: box {b.min} .. {b.max} ({b.blocks} blocks{on})  {b.tp_command()}")
    say(f"chunks: {len(report.chunks)} in region file(s) {', '.join(report.regions)}")
    if report.missing_chunks:
        shown = ", ".join(f"({cx}, {cz})" for cx, cz in report.missing_chunks[:12])
        say(f"not generated: {len(report.missing_chunks)} chunk(s): {shown}"
            + (" -> the real run refuses without --create-chunks" if report.dry_run else " (created)"))
    if report.unknown_states:
        say(f"warning: {len(report.unknown_states)} block state(s) do not exist in {report.version}"
            f" and were written as air: {', '.join(report.unknown_states[:5])}")
    if report.dry_run:
        say("dry run: nothing was written")
        return
    if report.backup_id:
        say(f"backup: {report.backup_id} (undo with `mcgen world restore {report.world} --backup {report.backup_id}`)")
    if report.light_sources:
        say(f"{report.light_sources} light-emitting block(s); {LIGHT_NOTE}")
    for w in report.warnings:
        say(f"warning: {w}")
    say(f"done in {report.seconds:.2f} s")


def paste_opts(dry_run: bool, no_backup: bool, create_chunks: bool) -> dict:
    """The keyword arguments of :func:`mcgen.world.paste` for the CLI's safety flags."""
    return {"dry_run": dry_run, "backup": not no_backup, "create_chunks": create_chunks}


def paste_cmd(
    file: Path = typer.Argument(..., help="Structure file (.json, .npz, .schem, .nbt, .litematic, ...) or sample folder."),
    into: str = typer.Option(..., "--into", help="World save: a path, or a name in ./worlds or the Minecraft saves folder."),
    at: tuple[int, int, int] = typer.Option(..., "--at", help="World position of the structure's min corner: X Y Z."),
    rotate: int = typer.Option(0, "--rotate", help="Turn clockwise seen from above: 0, 90, 180 or 270."),
    mirror: bool = typer.Option(False, "--mirror", help="Mirror east-west (before rotating)."),
    no_air: bool = typer.Option(False, "--no-air", help="Keep the world's blocks where the structure has air."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    no_backup: bool = typer.Option(False, "--no-backup", help="Do not keep a backup in the save's mcgen_backups/."),
    create_chunks: bool = typer.Option(False, "--create-chunks", help="Also write into chunks the game has not generated."),
) -> None:
    """Paste a structure file into a world save."""
    from mcgen.files import read_structure  # noqa: PLC0415
    from mcgen.world import Placement, paste, resolve_world  # noqa: PLC0415

    if rotate not in (0, 90, 180, 270):
        raise UsageError(f"--rotate must be 0, 90, 180 or 270, got {rotate}")
    world = resolve_world(into)
    grid = read_structure(file)
    if rotate or mirror:
        grid = grid.transformed(rotate // 90, mirror)
    placement = Placement(grid, at[0], at[1], at[2], name=Path(file).stem, no_air=no_air)
    report = paste(world, [placement], reason=f"paste {Path(file).name}", **paste_opts(dry_run, no_backup, create_chunks))
    print_report(report, verb="pasted")


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
    from mcgen.world import place_buildings, resolve_world  # noqa: PLC0415

    check_cleanup(clean)
    at_xyz, around_xyz = _at(at), _at(around)
    if at_xyz is not None and near_spawn:
        raise UsageError("use either --at or --near-spawn, not both")
    if around_xyz is not None:
        _check_around(ctx, count)
    ck_path = resolve_checkpoint(checkpoint)
    world = resolve_world(into)
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


def write_build_files(folder: Path, grids, report, settings: dict) -> None:
    """``building_<i>.json`` and ``.schem`` plus ``build.json`` (boxes, /tp commands, settings)."""
    from mcgen.fsutil import atomic_write_text  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415

    try:
        from mcgen.export.writers import write_file  # noqa: PLC0415
    except ImportError:
        write_file = None
        say("warning: the .schem exporter is not available; wrote JSON only")
    entries = []
    for grid, box in zip(grids, report.boxes):
        save_json(grid, folder / f"{box.name}.json")
        if write_file is not None:
            _write_schem(write_file, grid, folder / f"{box.name}.schem", report.version)
        entries.append({**box.to_dict(), "tp": box.tp_command()})
    log = {"world": str(report.world), "version": report.version, "backup": report.backup_id,
           "settings": settings, "buildings": entries}
    atomic_write_text(folder / "build.json", json.dumps(log, indent=1) + "\n")


def _write_schem(write_file, grid, path: Path, version: str) -> None:
    """``.schem`` for the world's version when the exporter knows it, else its default; never fatal."""
    from mcgen.errors import McgenError  # noqa: PLC0415

    for mc_version in (version, None):
        try:
            write_file(grid, path, "schem", mc_version=mc_version)
            return
        except McgenError as exc:
            problem = exc
    say(f"warning: {path.name} not written: {problem}")


@world_app.command("new")
def world_new(
    name: str = typer.Argument(..., help="A name (created under ./worlds/) or a path."),
    flat: bool = typer.Option(True, "--flat/--no-flat", help="A superflat world (the only kind mcgen creates)."),
    mc_version: str = typer.Option("1.21.3", "--mc-version", help="Minecraft Java release the save is for (1.16.5 ... 1.21.11)."),
    seed: int | None = typer.Option(None, "--seed", help="World seed (default: random)."),
) -> None:
    """Create a flat creative world save that Minecraft opens."""
    from mcgen.world import new_world, new_world_path  # noqa: PLC0415

    path = new_world(new_world_path(name), flat=flat, mc_version=mc_version, seed=seed)
    out(str(path))
    say(f"created a flat {mc_version} world at {path} (spawn area of 16x16 chunks = 256x256 blocks, creative, commands on);"
        f" copy the folder into your saves folder to play it")


@world_app.command("info")
def world_info_cmd(
    world: str = typer.Argument(..., help="World save: a path, or a name in ./worlds or the Minecraft saves folder."),
    as_json: bool = typer.Option(False, "--json", help="Print the information as JSON."),
) -> None:
    """Show a save's version, spawn, what mcgen pasted there, and its backups."""
    from mcgen.world import resolve_world, world_info  # noqa: PLC0415

    info = world_info(resolve_world(world))
    if as_json:
        out(json.dumps(info, indent=1))
        return
    out(f"world:    {info['path']}  ({info['name']})")
    out(f"version:  {info['version']} (DataVersion {info['data_version']}), generator {info['generator']}")
    dim = info["spawn_dimension"]
    where = "" if not info["spawn"] or dim == "minecraft:overworld" else f" in {dim}"
    out(f"spawn:    {info['spawn'] if info['spawn'] else 'not set'}{where}")
    out(f"in use:   {'yes - the game has it open' if info['locked'] else 'no'}")
    pastes = [e for e in info["log"] if e.get("boxes")]
    out(f"mcgen pasted {sum(len(e['boxes']) for e in pastes)} structure(s):")
    for e in pastes:
        for b in e["boxes"]:
            out(f"  {e.get('time', '?')}  {b.get('name')}: {tuple(b.get('min', []))} .. {tuple(b.get('max', []))}"
                f"  ({e.get('reason', '')}; backup {e.get('backup') or 'none'})")
    out(f"backups ({len(info['backups'])}): " + (", ".join(b["id"] for b in info["backups"]) or "none"))
    if info["relight_function"]:
        out("light:    if a pasted light source stays dark, run `/function mcgen:relight` near it in game")


@world_app.command("restore")
def world_restore(
    world: str = typer.Argument(..., help="World save: a path, or a name in ./worlds or the Minecraft saves folder."),
    backup: str | None = typer.Option(None, "--backup", help="Backup id (see `mcgen world info`); default: the newest."),
) -> None:
    """Put back the region files and level.dat saved before a paste."""
    from mcgen.world import resolve_world, restore  # noqa: PLC0415

    path = resolve_world(world)
    kept, changed = restore(path, backup)
    out(f"restored backup {kept.id} ({kept.reason or 'no reason recorded'}): {len(changed)} file(s)")
    for rel in changed:
        say(f"  {rel}")


@world_app.command("backups")
def world_backups(
    world: str = typer.Argument(..., help="World save: a path, or a name in ./worlds or the Minecraft saves folder."),
    prune: bool = typer.Option(False, "--prune", help="Delete all but the newest --keep backups."),
    keep: int | None = typer.Option(None, "--keep", min=1, help="With --prune: how many to keep (default "
                                    "$MCGEN_KEEP_BACKUPS or 10, what every paste keeps)."),
    as_json: bool = typer.Option(False, "--json", help="Print the backups (and what was pruned) as JSON."),
) -> None:
    """List a save's backups (newest last); --prune deletes the oldest. Each paste keeps the newest
    $MCGEN_KEEP_BACKUPS (default 10; 0 keeps all)."""
    from mcgen.world import resolve_world  # noqa: PLC0415
    from mcgen.world.backup import backup_bytes, backup_keep, list_backups, prune_backups  # noqa: PLC0415

    if keep is not None and not prune:
        raise UsageError("--keep N goes with --prune")
    path = resolve_world(world)
    limit = keep if keep is not None else backup_keep()
    removed = prune_backups(path, limit) if prune and limit else []  # limit 0: MCGEN_KEEP_BACKUPS=0 keeps all
    kept = list_backups(path)
    rows = [{"id": b.id, "created": b.created, "reason": b.reason, "files": b.files, "bytes": backup_bytes(b)}
            for b in kept]
    if as_json:
        out(json.dumps({"world": str(path), "keep": limit, "backups": rows, "removed": [b.id for b in removed]},
                       indent=1))
        return
    for r in rows:
        out(f"{r['id']}  {r['created']}  {len(r['files'])} file(s), {r['bytes'] / 1e6:.1f} MB  {r['reason']}")
    total = sum(r["bytes"] for r in rows) / 1e6
    say(f"{len(rows)} backup(s), {total:.1f} MB in {path / 'mcgen_backups'}; each paste keeps the newest "
        + (f"{limit}" if limit else "(all: MCGEN_KEEP_BACKUPS=0)"))
    if prune:
        say(f"pruned {len(removed)}: {', '.join(b.id for b in removed)}" if removed else "nothing to prune")
    if rows:
        say(f"undo a paste: mcgen world restore {world} --backup ID")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("paste")(paste_cmd)
    app.command("build")(build_cmd)
    app.add_typer(world_app, name="world")
