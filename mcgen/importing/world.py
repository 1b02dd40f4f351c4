"""Reading a box of a Java or Bedrock world save into a voxel grid with amulet-core (bulk numpy, no per-block calls).

Nothing is saved, but amulet writes its own ``session.lock`` into a Java world folder even when
it only reads, so a world that a running game holds is refused first (work on a copy, or close
the game). A Bedrock save is read from a temporary copy (:func:`mcgen.world.readable_copy`),
because LevelDB rewrites its files when it opens a store; one whose ``db/LOCK`` the game or a
server holds is refused. amulet is imported inside :func:`read_world_box` only.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import numpy as np

from mcgen.bedrock_blocks import MAPPING_VERSION, pair_doors, reconnect, to_java
from mcgen.blocks import AIR, canonicalize
from mcgen.errors import BlockStateError, WorldError
from mcgen.grid import VoxelGrid
from mcgen.importing.options import TooLarge

OVERWORLD = "minecraft:overworld"
_JAVA_FALLBACK = (1, 20, 4)  # non-Java saves are translated to this Java version's block names


def box_bounds(box: tuple[int, int, int, int, int, int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """``(lo, hi)`` with ``hi`` exclusive, from two inclusive corners in any order."""
    a, b = box[:3], box[3:]
    lo = tuple(min(p, q) for p, q in zip(a, b))
    hi = tuple(max(p, q) + 1 for p, q in zip(a, b))
    return lo, hi  # type: ignore[return-value]


def _check_not_open(world: Path) -> None:
    """Refuse a world whose ``session.lock`` a running game holds (amulet would rewrite it)."""
    lock = world / "session.lock"
    if not lock.is_file():
        return
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:
        return
    try:
        with open(lock, "rb") as fh:
            try:
                fcntl.lockf(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError as exc:
                raise WorldError("the world is open in Minecraft (session.lock is held); close it or import "
                                 "from a copy", path=world) from exc
            fcntl.lockf(fh, fcntl.LOCK_UN)
    except OSError:
        return  # unreadable lock file: amulet will say what is wrong


def _java_state(block, version, bedrock=None) -> str:
    """The canonical Java state of a universal block: through the one Java -> Bedrock table's
    inverse for a block of a Bedrock save (``bedrock``: the table's Bedrock version) when it knows
    the block, else through amulet's Java tables."""
    from amulet.api.block import Block  # noqa: PLC0415

    if bedrock is not None:
        native = bedrock.block.from_universal(block)[0]
        if isinstance(native, Block):
            wet = any(e.base_name == "water" for e in block.extra_blocks)
            java = to_java(native.namespaced_name, {k: v.py_data for k, v in native.properties.items()}, wet)
            if java is not None:
                return java
    out = version.block.from_universal(block)[0]
    if not isinstance(out, Block):
        return AIR
    try:
        return canonicalize(out.blockstate)
    except BlockStateError:
        return canonicalize(f"{out.namespace}:{out.base_name}")


def read_world_box(world: str | os.PathLike, box: tuple[int, int, int, int, int, int], *,
                   dimension: str = OVERWORLD, max_size: int = 256) -> VoxelGrid:
    """Read the blocks between two inclusive corners of a world save.

    Args:
        world: the save folder (holding ``level.dat``).
        box: ``(x1, y1, z1, x2, y2, z2)`` in world coordinates.
        dimension: amulet dimension name.
        max_size: refuse a box larger than this on any axis (before opening the world).

    Returns:
        A grid of the box (ungenerated chunks read as air), meta ``source``, ``world``, ``box``,
        ``block_entities`` (found in the box and dropped).

    Raises:
        TooLarge: the box is over ``max_size``.
        WorldError: not a world, held by a running game, or amulet cannot read it.
    """
    world = Path(world)
    lo, hi = box_bounds(box)
    size = tuple(h - low for low, h in zip(lo, hi))
    if max(size) > max_size:
        raise TooLarge(f"box {'x'.join(map(str, size))} is larger than --max-size {max_size}", path=world)
    if not (world / "level.dat").is_file():
        raise WorldError("not a world save (no level.dat)", path=world)
    from mcgen.world import is_bedrock, readable_copy  # noqa: PLC0415 - amulet only here

    with readable_copy(world) if is_bedrock(world) else contextlib.nullcontext(world) as source:
        if source == world:
            _check_not_open(world)
        level = _open(source)
        try:
            ids, states, entities = _read_box(level, dimension, lo, hi, world)
        finally:
            with contextlib.suppress(Exception):
                level.close()
    palette = [AIR] + sorted({s for s in states if s != AIR})
    lut = np.array([palette.index(s) for s in states], dtype=np.int64)
    meta = {"source": f"{world} box {' '.join(map(str, box))}", "world": str(world), "box": list(box),
            "block_entities": entities}
    grid = VoxelGrid(lut[ids], palette, meta)
    return pair_doors(reconnect(grid)) if source != world else grid  # Bedrock keeps neither in its saves


def _open(world: Path):
    for name in ("amulet", "PyMCTranslate", "amulet_nbt"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import amulet  # noqa: PLC0415

    try:
        return amulet.load_level(str(world))
    except Exception as exc:  # noqa: BLE001 - amulet raises LoaderNoneMatched and friends
        raise WorldError(f"amulet cannot open this world: {exc}", path=world) from exc


def _read_box(level, dimension: str, lo: tuple[int, int, int], hi: tuple[int, int, int],
              world: Path) -> tuple[np.ndarray, list[str], int]:
    """``(ids, states, block_entities)``: ``ids`` indexes ``states`` over the box, ``(X, Y, Z)``."""
    from amulet.api.selection import SelectionBox  # noqa: PLC0415

    wrapper = level.level_wrapper
    java = wrapper.platform == "java"
    version = level.translation_manager.get_version("java", wrapper.version if java else _JAVA_FALLBACK)
    bedrock = level.translation_manager.get_version("bedrock", MAPPING_VERSION) if wrapper.platform == "bedrock" else None
    raw = np.full(tuple(h - low for low, h in zip(lo, hi)), -1, dtype=np.int64)  # -1: no chunk there
    entities = 0
    try:
        for chunk, slices, b in level.get_chunk_slice_box(dimension, SelectionBox(lo, hi)):
            o = [m - low for m, low in zip(b.min, lo)]
            raw[o[0]:o[0] + b.size_x, o[1]:o[1] + b.size_y, o[2]:o[2] + b.size_z] = chunk.blocks[slices]
            entities += sum(1 for p in chunk.block_entities.keys() if b.contains_block(p))
    except Exception as exc:  # noqa: BLE001 - corrupt chunks surface as assorted amulet errors
        raise WorldError(f"amulet cannot read the box: {exc}", path=world) from exc
    uniq, inv = np.unique(raw, return_inverse=True)
    states = [AIR if u < 0 else _java_state(level.block_palette[int(u)], version, bedrock) for u in uniq.tolist()]
    return inv.reshape(raw.shape), states, entities
