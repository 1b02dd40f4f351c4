"""What every paste shares, whatever the edition: placements, planning, writing through amulet, the report.

A :class:`Placement` is planned (its y resolved on the terrain, its box checked against the
world's height), then written into an open amulet level with the level's translator
(:func:`mcgen.world.level.translator_for`). The Java and Bedrock pastes (``paste``,
``bedrock_paste``) differ only in how they stage, back up and swap files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mcgen.errors import WorldError
from mcgen.grid import VoxelGrid
from mcgen.world import level as lv
from mcgen.world.blockinfo import emits_light
from mcgen.world.edition import JAVA, LevelInfo
from mcgen.world.relight import light_commands

ProgressHook = Callable[[str, int, int], None]


@dataclass
class Placement:
    """A grid to paste with its ``[0, 0, 0]`` at ``(x, y, z)``; ``y=None`` = rest on the surface.

    ``no_air`` keeps the world's block where the grid has air; ``keep`` (a bool array of the grid's
    size) keeps it wherever True (a completion pastes only the cells it generated).
    """

    grid: VoxelGrid
    x: int
    y: int | None
    z: int
    name: str = ""
    no_air: bool = False
    keep: np.ndarray | None = field(default=None, compare=False, repr=False)

    def written(self) -> np.ndarray:
        """(X, Y, Z) bool: the cells this placement writes."""
        mask = self.grid.blocks != 0 if self.no_air else np.ones(self.grid.size, dtype=bool)
        return mask if self.keep is None else mask & ~self.keep


@dataclass
class PlacedBox:
    """Where a grid went: inclusive ``min``/``max`` corners."""

    name: str
    min: tuple[int, int, int]
    max: tuple[int, int, int]
    blocks: int
    light_sources: int
    surface_y: int | None = None

    def tp_command(self) -> str:
        """A ``/tp`` that puts the player south of the box, looking north at it."""
        cx = (self.min[0] + self.max[0]) // 2
        return f"/tp @s {cx} {self.min[1] + 1} {self.max[2] + 6} 180 10"

    def to_dict(self) -> dict:
        """JSON-friendly form (for logs)."""
        return {"name": self.name, "min": list(self.min), "max": list(self.max), "blocks": self.blocks,
                "light_sources": self.light_sources}


@dataclass
class PasteReport:
    """What a paste did (or, with ``dry_run``, would do)."""

    world: Path
    version: str
    data_version: int
    boxes: list[PlacedBox]
    chunks: list[tuple[int, int]]
    regions: list[str]
    missing_chunks: list[tuple[int, int]] = field(default_factory=list)
    unknown_states: list[str] = field(default_factory=list)
    backup_id: str | None = None
    dry_run: bool = False
    seconds: float = 0.0
    relight_function: Path | None = None
    relight_lines: list[str] = field(default_factory=list, repr=False)
    warnings: list[str] = field(default_factory=list)
    edition: str = JAVA

    @property
    def blocks(self) -> int:
        """Blocks written over all boxes."""
        return sum(b.blocks for b in self.boxes)

    @property
    def light_sources(self) -> int:
        """Light-emitting blocks pasted."""
        return sum(b.light_sources for b in self.boxes)


def chunks_of(placements: Iterable[Placement]) -> list[tuple[int, int]]:
    """The chunks ``(cx, cz)`` the placements' footprints cover, sorted."""
    out = set()
    for p in placements:
        sx, _, sz = p.grid.size
        out.update((cx, cz) for cx in lv.chunk_span(p.x, p.x + sx) for cz in lv.chunk_span(p.z, p.z + sz))
    return sorted(out)


def resolve_y(level, tr: lv.Translator, p: Placement) -> tuple[int, int | None]:
    """Grid origin y and the surface it rests on (None when ``p.y`` was given or no ground)."""
    if p.y is not None:
        return int(p.y), None
    sx, _, sz = p.grid.size
    tops = lv.surface_heights(level, tr, p.x, p.z, p.x + sx, p.z + sz)
    min_y, _ = lv.height_range(level)
    surface = int(tops.max())
    if surface < min_y:
        raise WorldError(f"no ground under {p.name or 'the building'} at x={p.x}, z={p.z} (empty or missing chunks)")
    solid_layers = np.nonzero(p.grid.blocks.any(axis=(0, 2)))[0]
    floor = int(solid_layers[0]) if solid_layers.size else 0
    return surface + 1 - floor, surface


def plan(level, tr: lv.Translator, placements: list[Placement]) -> list[tuple[Placement, int, PlacedBox]]:
    """``(placement, origin y, box)`` per placement.

    Raises:
        WorldError: a box outside the world's height, or no ground under one resting on it.
    """
    min_y, max_y = lv.height_range(level)
    out = []
    for i, p in enumerate(placements):
        y, surface = resolve_y(level, tr, p)
        sx, sy, sz = p.grid.size
        if y < min_y or y + sy > max_y:
            raise WorldError(f"{p.name or f'structure {i}'} spans y={y}..{y + sy - 1}, outside the world's {min_y}..{max_y - 1}")
        written = p.written()
        lights = sum(int(np.count_nonzero((p.grid.blocks == k) & written))
                     for k, s in enumerate(p.grid.palette) if k and emits_light(s))
        count = int(written.sum())
        box = PlacedBox(p.name or f"structure_{i}", (p.x, y, p.z), (p.x + sx - 1, y + sy - 1, p.z + sz - 1), count, lights, surface)
        out.append((p, y, box))
    return out


def missing_chunks(level, chunks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The chunks of ``chunks`` that are absent or not fully generated."""
    return [c for c in chunks if not lv.chunk_is_full(level, *c)]


def normalise(placements: list[Placement | tuple]) -> list[Placement]:
    """:class:`Placement` objects from placements or ``(grid, (x, y, z))`` pairs.

    Raises:
        WorldError: nothing to paste, an empty grid, or a keep mask of the wrong shape.
    """
    out = [p if isinstance(p, Placement) else Placement(p[0], *p[1]) for p in placements]
    if not out:
        raise WorldError("nothing to paste")
    for p in out:
        if 0 in p.grid.size:
            raise WorldError(f"{p.name or 'structure'} is empty (size {p.grid.size})")
        if p.keep is not None and tuple(p.keep.shape) != tuple(p.grid.size):
            raise WorldError(f"{p.name or 'structure'}: keep mask {tuple(p.keep.shape)} does not match "
                             f"size {p.grid.size}")
    return out


def write_placements(level, placements: list[Placement], world: Path, files: list[str],
                     chunks: list[tuple[int, int]], info: LevelInfo, *, hook: ProgressHook | None, dry_run: bool,
                     create_chunks: bool) -> PasteReport:
    """Plan ``placements`` in the open ``level`` and (unless ``dry_run``) write them; the report.

    ``files`` are the save's files the paste replaces (region files; ``db`` for Bedrock).

    Raises:
        WorldError: out of the height range, no ground, or chunks not generated (without
            ``create_chunks``; a dry run only lists them).
    """
    tr = lv.translator_for(level)
    planned = plan(level, tr, placements)
    missing = missing_chunks(level, chunks)
    report = PasteReport(world, info.version_name, info.data_version, [b for _, _, b in planned], chunks,
                         list(files), missing, dry_run=dry_run, edition=info.edition)
    if missing and not create_chunks and not dry_run:
        shown = ", ".join(f"({cx}, {cz})" for cx, cz in missing[:12]) + (" ..." if len(missing) > 12 else "")
        raise WorldError(
            f"{len(missing)} chunk(s) are not generated yet: {shown}; the game would leave holes there."
            " Visit the area in game first, paste elsewhere, or pass --create-chunks"
        )
    unknown: set[str] = set()
    for p, y, _ in planned:
        if info.edition == JAVA:  # Bedrock keeps no light in its saves: nothing to relight
            report.relight_lines += light_commands(p.grid, (p.x, y, p.z))
        if dry_run:
            unknown.update(tr.palette_lut(p.grid)[2])
            continue
        _, bad = lv.write_grid(level, tr, p.grid, (p.x, y, p.z), no_air=p.no_air, keep=p.keep, hook=hook)
        unknown.update(bad)
    report.unknown_states = sorted(unknown)
    return report


__all__ = ["PasteReport", "PlacedBox", "Placement", "chunks_of", "missing_chunks", "normalise", "plan", "resolve_y",
           "write_placements"]
