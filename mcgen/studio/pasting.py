"""The paste and restore jobs: :func:`mcgen.world.paste` and :func:`mcgen.world.restore` on the worker.

Java and Bedrock saves alike (the library finds the edition from the save's files). A cancel
request stops a paste while it writes into its staging copy (the live save is untouched then);
once the region files (Bedrock: the LevelDB files) are being swapped in, the paste runs to its
end, since stopping half way would only trigger its roll-back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcgen.studio.jobs import JobContext
from mcgen.studio.store import Item

_STAGES = {"write": (0.05, 0.6, "writing chunks"), "save": (0.65, 0.25, "saving"), "swap": (0.9, 0.1, "swapping in")}


def _hook(ctx: JobContext):
    def hook(stage: str, done: int, total: int) -> None:
        start, span, what = _STAGES.get(stage, (0.0, 0.0, stage))
        ctx.progress(start + span * done / max(1, total), f"{what} ({done}/{total})")
        if stage in ("write", "save"):
            ctx.stop()

    return hook


def report_dict(report, world_name: str) -> dict[str, Any]:
    """A paste report as JSON: boxes with their ``/tp``, backup, chunks, warnings."""
    return {
        "world": world_name, "edition": report.edition, "version": report.version, "data_version": report.data_version,
        "dry_run": report.dry_run, "backup": report.backup_id, "seconds": round(report.seconds, 3),
        "boxes": [{**b.to_dict(), "surface_y": b.surface_y, "tp": b.tp_command()} for b in report.boxes],
        "chunks": len(report.chunks), "missing_chunks": [list(c) for c in report.missing_chunks],
        "unknown_states": list(report.unknown_states), "warnings": list(report.warnings),
        "light_sources": report.light_sources,
        "undo": f"mcgen world restore {world_name} --backup {report.backup_id}" if report.backup_id else None,
    }


def run_paste(ctx: JobContext, item: Item, world: Path, req: dict[str, Any]) -> None:
    """Paste ``item`` into ``world`` as ``req`` says (``at``, ``on_ground``, ``rotate``, ``mirror``,
    ``no_air``, ``dry_run``, ``create_chunks``, ``backup``); the report goes on the job.

    Raises:
        WorldError: the game has the save open, missing chunks, out of height, ...
        FileIOError: writing failed (the save was left as it was).
    """
    from mcgen.world import Placement, paste, place_buildings  # noqa: PLC0415

    grid = item.grid
    if req.get("rotate") or req.get("mirror"):
        grid = grid.transformed(int(req.get("rotate", 0)) // 90, bool(req.get("mirror")))
    ctx.progress(0.02, "opening the world")
    opts = {"backup": req.get("backup", True), "dry_run": req.get("dry_run", False),
            "create_chunks": req.get("create_chunks", False), "reason": f"studio paste {item.name}",
            "hook": _hook(ctx)}
    at = req.get("at")
    if at is None:
        report = place_buildings(world, [grid], at=None, names=[item.name], **opts)
    else:
        y = None if req.get("on_ground") else int(at[1])
        placement = Placement(grid, int(at[0]), y, int(at[2]), name=item.name, no_air=bool(req.get("no_air")))
        report = paste(world, [placement], **opts)
    ctx.set_report(report_dict(report, world.name))
    ctx.progress(1.0, "dry run: nothing written" if report.dry_run else "pasted")


def run_restore(ctx: JobContext, world: Path, backup: str | None) -> None:
    """Put back ``backup`` (default the newest) of ``world``; the report goes on the job.

    Raises:
        WorldError: the game has the save open, or no such backup.
    """
    from mcgen.world import restore  # noqa: PLC0415

    ctx.progress(0.1, "restoring")
    kept, changed = restore(world, backup)
    ctx.set_report({"world": world.name, "backup": kept.id, "reason": kept.reason, "files": changed})
