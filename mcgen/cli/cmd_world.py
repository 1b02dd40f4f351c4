"""CLI commands: ``paste`` and ``world new|info|restore|backups`` (Java and Bedrock saves; amulet imported
inside commands); ``build`` lives in :mod:`mcgen.cli.cmd_build`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mcgen.cli import cmd_build
from mcgen.cli.cmd_build import install_datapack
from mcgen.cli.common import out, say
from mcgen.cli.worldout import LIGHT_NOTE, paste_opts, print_report, write_build_files
from mcgen.errors import UsageError

world_app = typer.Typer(help="Create, inspect and restore Minecraft world saves (Java or Bedrock).",
                        no_args_is_help=True)


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


@world_app.command("new")
def world_new(
    name: str = typer.Argument(..., help="A name (created under ./worlds/) or a path."),
    flat: bool = typer.Option(True, "--flat/--no-flat", help="A superflat world (the only kind mcgen creates)."),
    mc_version: str | None = typer.Option(None, "--mc-version", help="Release the save is for: Java 1.16.5 ... "
                                          "1.21.11 (default 1.21.3); Bedrock 1.21.60 (the default)."),
    edition: str = typer.Option("java", "--edition", help="java (a Java Edition save) or bedrock (a Bedrock Edition "
                                "LevelDB save: level.dat, levelname.txt, db/)."),
    seed: int | None = typer.Option(None, "--seed", help="World seed (default: random)."),
) -> None:
    """Create a flat creative world save that Minecraft (Java or Bedrock) opens."""
    from mcgen.world import new_world, new_world_path, read_level_info  # noqa: PLC0415

    path = new_world(new_world_path(name), flat=flat, mc_version=mc_version, seed=seed, edition=edition.lower())
    version = read_level_info(path).version_name
    out(str(path))
    where = ("the game's minecraftWorlds folder" if edition.lower() == "bedrock" else "your saves folder")
    say(f"created a flat {version} world at {path} (spawn area of 16x16 chunks = 256x256 blocks, creative, commands on);"
        f" copy the folder into {where} to play it")


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
    if info["edition"] == "bedrock":
        opened = ".".join(map(str, info["game_version"])) or "unknown"
        out(f"version:  {info['version']} (lastOpenedWithVersion {opened}), generator {info['generator']}")
    else:
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
    """Put back the region files (Bedrock: the LevelDB store, db/) and level.dat saved before a paste."""
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
    """Add this module's commands (and ``build``) to ``app``."""
    app.command("paste")(paste_cmd)
    cmd_build.register(app)
    app.add_typer(world_app, name="world")


__all__ = ["LIGHT_NOTE", "install_datapack", "paste_opts", "print_report", "register", "world_app", "write_build_files"]
