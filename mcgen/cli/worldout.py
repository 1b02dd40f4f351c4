"""What the world commands print and leave beside a paste: the report, the safety flags, build files.

Shared by ``paste``, ``build``, ``complete --into`` and ``demo`` (Java and Bedrock saves alike).
"""

from __future__ import annotations

import json
from pathlib import Path

from mcgen.cli.common import out, say

LIGHT_NOTE = ("touched chunks were saved without light data (isLightOn=0), so the game relights them"
              " when it loads them; if a torch or lantern stays dark, stand near the build and run"
              " `/function mcgen:relight` (data pack written into the save), or place and break a block next to it")


BEDROCK_NOTE = "Bedrock keeps no light in its saves: the game lights the pasted blocks when it loads them"


def xyz_or_none(at: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
    """An ``X Y Z`` option as ints, or None when it was not given."""
    return None if at is None or all(v is None for v in at) else tuple(int(v) for v in at)  # type: ignore[return-value]


def print_report(report, *, verb: str) -> None:
    """Human summary of a PasteReport (stdout: boxes and /tp lines; stderr: the rest)."""
    bedrock = getattr(report, "edition", "java") == "bedrock"
    head = "would paste" if report.dry_run else verb
    game = f"Minecraft {report.version}" + ("" if bedrock else f", DataVersion {report.data_version}")
    say(f"{head} into {report.world} ({game})")
    for b in report.boxes:
        on = f", resting on y={b.surface_y}" if b.surface_y is not None else ""
        out(f"{b.name}: box {b.min} .. {b.max} ({b.blocks} blocks{on})  {b.tp_command()}")
    where = "the LevelDB store (db/)" if bedrock else f"region file(s) {', '.join(report.regions)}"
    say(f"chunks: {len(report.chunks)} in {where}")
    if report.missing_chunks:
        shown = ", ".join(f"({cx}, {cz})" for cx, cz in report.missing_chunks[:12])
        say(f"not generated: {len(report.missing_chunks)} chunk(s): {shown}"
            + (" -> the real run refuses without --create-chunks" if report.dry_run else " (created)"))
    if report.unknown_states and bedrock:
        say(f"warning: {len(report.unknown_states)} block state(s) have no Bedrock equivalent and were written as"
            f" air: {', '.join(report.unknown_states)}")
    elif report.unknown_states:
        say(f"warning: {len(report.unknown_states)} block state(s) do not exist in {report.version}"
            f" and were written as air: {', '.join(report.unknown_states[:5])}")
    if report.dry_run:
        say("dry run: nothing was written")
        return
    if report.backup_id:
        say(f"backup: {report.backup_id} (undo with `mcgen world restore {report.world} --backup {report.backup_id}`)")
    if report.light_sources:
        say(BEDROCK_NOTE if bedrock else f"{report.light_sources} light-emitting block(s); {LIGHT_NOTE}")
    for w in report.warnings:
        say(f"warning: {w}")
    say(f"done in {report.seconds:.2f} s")


def paste_opts(dry_run: bool, no_backup: bool, create_chunks: bool) -> dict:
    """The keyword arguments of :func:`mcgen.world.paste` for the CLI's safety flags."""
    return {"dry_run": dry_run, "backup": not no_backup, "create_chunks": create_chunks}


def write_build_files(folder: Path, grids, report, settings: dict) -> None:
    """``building_<i>.json`` and ``.schem`` (Bedrock: ``.mcstructure``) plus ``build.json`` (boxes, /tp commands,
    settings)."""
    from mcgen.fsutil import atomic_write_text  # noqa: PLC0415
    from mcgen.grid import save_json  # noqa: PLC0415

    try:
        from mcgen.export.writers import write_file  # noqa: PLC0415
    except ImportError:
        write_file = None
        say("warning: the structure exporters are not available; wrote JSON only")
    entries = []
    for grid, box in zip(grids, report.boxes):
        save_json(grid, folder / f"{box.name}.json")
        if write_file is not None and getattr(report, "edition", "java") == "bedrock":
            _write_file(write_file, grid, folder / f"{box.name}.mcstructure", "mcstructure", None)
        elif write_file is not None:
            _write_schem(write_file, grid, folder / f"{box.name}.schem", report.version)
        entries.append({**box.to_dict(), "tp": box.tp_command()})
    log = {"world": str(report.world), "edition": getattr(report, "edition", "java"), "version": report.version,
           "backup": report.backup_id,
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




def _write_file(write_file, grid, path: Path, fmt: str, mc_version: str | None) -> None:
    """One structure file; a block the format cannot hold is a warning, never fatal."""
    from mcgen.errors import McgenError  # noqa: PLC0415

    try:
        write_file(grid, path, fmt, mc_version=mc_version)
    except McgenError as exc:
        say(f"warning: {path.name} not written: {exc}")
