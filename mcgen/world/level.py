"""Everything that goes through amulet-core: opening a level, translating our block states,
writing grids with whole-array numpy slices, reading the terrain surface, and saving.

Grids are ``blocks[x, y, z]``; amulet chunks are ``blocks[x, y, z]`` too (local x/z 0..15,
absolute y), so a grid maps onto each chunk it overlaps with one slice assignment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mcgen.bedrock_blocks import BYTE, INT, MAPPING_VERSION, WATER, to_bedrock
from mcgen.blocks import spelled_for
from mcgen.errors import WorldError
from mcgen.grid import VoxelGrid
from mcgen.world.blockinfo import is_ground
from mcgen.world.locate import OVERWORLD

ProgressHook = Callable[[str, int, int], None]


def _quiet() -> None:
    for name in ("amulet", "PyMCTranslate", "amulet_nbt"):
        logging.getLogger(name).setLevel(logging.ERROR)


def open_level(path: Path):
    """Open a save with amulet (it writes its own ``session.lock`` into ``path``).

    Raises:
        WorldError: amulet cannot read it.
    """
    _quiet()
    import amulet  # noqa: PLC0415

    try:
        return amulet.load_level(str(path))
    except Exception as exc:  # amulet raises LoaderNoneMatched and friends
        raise WorldError(f"amulet cannot open this world: {exc}", path=path) from exc


def height_range(level) -> tuple[int, int]:
    """``(min_y, max_y_exclusive)`` of the overworld."""
    box = level.bounds(OVERWORLD).selection_boxes[0]
    return int(box.min_y), int(box.max_y)


class Translator:
    """Maps canonical Java block states to indices of the level's (universal) block palette."""

    def __init__(self, level) -> None:
        self.level = level
        self.version = level.translation_manager.get_version("java", level.level_wrapper.version)
        dv = level.level_wrapper.version  # a Java level's DataVersion
        self.data_version = dv if isinstance(dv, int) else None
        self._cache: dict[str, tuple[int, object, bool]] = {}
        self._ground: list[bool] = []

    def lookup(self, state: str) -> tuple[int, object, bool]:
        """``(palette index, universal block entity or None, known)`` for a block state.

        A renamed block is looked up in the world version's spelling (grass <-> short_grass), then
        in the one given, when amulet's tables for that version do not know the new name yet.
        """
        hit = self._cache.get(state)
        if hit is None:
            from amulet.api.block import Block  # noqa: PLC0415

            spelled = state if self.data_version is None else spelled_for(state, self.data_version)
            for name in dict.fromkeys((spelled, state)):  # the first spelling amulet knows
                block, entity, _ = self.version.block.to_universal(Block.from_string_blockstate(name))
                known = block.namespace == "universal_minecraft"
                if known:
                    break
            else:
                block, entity = self.version.block.to_universal(Block.from_string_blockstate("minecraft:air"))[:2]
            hit = (self.level.block_palette.get_add_block(block), entity, known)
            self._cache[state] = hit
        return hit

    def palette_lut(self, grid: VoxelGrid) -> tuple[np.ndarray, dict[int, object], list[str]]:
        """Lookup table grid index -> level index, block entities by grid index, unknown states."""
        lut = np.zeros(len(grid.palette), dtype=np.uint32)
        entities, unknown = {}, []
        for i, state in enumerate(grid.palette):
            idx, entity, known = self.lookup(state)
            lut[i] = idx
            if entity is not None:
                entities[i] = entity
            if not known:
                unknown.append(state)
        return lut, entities, unknown

    def ground_lut(self) -> np.ndarray:
        """Boolean per level palette index: is this block ground (see ``blockinfo.is_ground``)."""
        palette = self.level.block_palette
        for i in range(len(self._ground), len(palette)):
            out = self.version.block.from_universal(palette[i])[0]
            name = getattr(out, "base_name", "air")
            self._ground.append(is_ground(name) if getattr(out, "namespace", "") == "minecraft" else True)
        return np.array(self._ground, dtype=bool)


class BedrockTranslator(Translator):
    """Maps canonical Java block states to a Bedrock level's palette through the one Java -> Bedrock
    table (:mod:`mcgen.bedrock_blocks`): each state becomes the table's Bedrock 1.21.60 block, which
    amulet writes in the save's own version's spelling. States the table lacks are air (unknown).
    """

    GROUND_JAVA = (1, 20, 4)  # Java names used only to tell ground from plants (``ground_lut``)

    def __init__(self, level) -> None:
        tm = level.translation_manager
        self.level = level
        self.version = tm.get_version("java", self.GROUND_JAVA)
        self.bedrock = tm.get_version("bedrock", MAPPING_VERSION)
        self.data_version = None
        self._cache: dict[str, tuple[int, object, bool]] = {}
        self._ground: list[bool] = []
        self._water = self._universal(*WATER)[0]

    def _universal(self, name: str, states) -> tuple[object, object, bool]:
        import amulet_nbt as nbt  # noqa: PLC0415
        from amulet.api.block import Block  # noqa: PLC0415

        tags = {BYTE: nbt.ByteTag, INT: nbt.IntTag}
        props = {k: tags.get(t, nbt.StringTag)(v) for k, t, v in states}
        block, entity, _ = self.bedrock.block.to_universal(Block("minecraft", name.split(":", 1)[1], props))
        return block, entity, block.namespace == "universal_minecraft"

    def lookup(self, state: str) -> tuple[int, object, bool]:
        """``(palette index, universal block entity or None, mapped)``; waterlogged states carry water."""
        hit = self._cache.get(state)
        if hit is None:
            from amulet.api.block import Block  # noqa: PLC0415

            mapped = to_bedrock(state)
            block, entity, known = self._universal(*mapped[0]) if mapped else (None, None, False)
            if not known:
                block, entity = self._universal("minecraft:air", ())[0], None
            elif mapped[1]:
                block = Block(block.namespace, block.base_name, block.properties, extra_blocks=(self._water,))
            hit = (self.level.block_palette.get_add_block(block), entity, known)
            self._cache[state] = hit
        return hit


def translator_for(level) -> Translator:
    """The translator of the level's edition (Java saves: their version; Bedrock: the shared table)."""
    return BedrockTranslator(level) if level.level_wrapper.platform == "bedrock" else Translator(level)


def chunk_span(x0: int, x1: int) -> range:
    """Chunk coordinates covering blocks ``x0 .. x1 - 1``."""
    return range(x0 >> 4, ((x1 - 1) >> 4) + 1)


def surface_heights(level, tr: Translator, x0: int, z0: int, x1: int, z1: int) -> np.ndarray:
    """Top ground block y for every column of ``[x0, x1) x [z0, z1)``; ``min_y - 1`` where none.

    Missing chunks count as no ground. Returns an ``(x1 - x0, z1 - z0)`` int array.
    """
    from amulet.api.errors import ChunkDoesNotExist, ChunkLoadError  # noqa: PLC0415

    min_y, _ = height_range(level)
    out = np.full((x1 - x0, z1 - z0), min_y - 1, dtype=np.int64)
    for cx in chunk_span(x0, x1):
        for cz in chunk_span(z0, z1):
            try:
                chunk = level.get_chunk(cx, cz, OVERWORLD)
            except (ChunkDoesNotExist, ChunkLoadError):
                continue
            ground = tr.ground_lut()
            ax0, ax1 = max(x0, cx * 16), min(x1, cx * 16 + 16)
            az0, az1 = max(z0, cz * 16), min(z1, cz * 16 + 16)
            cols = out[ax0 - x0:ax1 - x0, az0 - z0:az1 - z0]  # view, (w, d)
            todo = np.ones(cols.shape, dtype=bool)
            for cy in sorted(chunk.blocks.sub_chunks, reverse=True):
                sub = chunk.blocks.get_sub_chunk(cy)[ax0 - cx * 16:ax1 - cx * 16, :, az0 - cz * 16:az1 - cz * 16]
                if int(sub.max()) >= len(ground):
                    ground = tr.ground_lut()
                g = ground[sub]  # (w, 16, d)
                hit = g.any(axis=1) & todo
                top = 15 - np.argmax(g[:, ::-1, :], axis=1)  # highest ground y inside the section
                cols[hit] = cy * 16 + top[hit]
                todo &= ~hit
                if not todo.any():
                    break
    return out


def chunk_is_full(level, cx: int, cz: int) -> bool | None:
    """True: generated chunk; False: exists but not fully generated; None: absent."""
    from amulet.api.errors import ChunkDoesNotExist, ChunkLoadError  # noqa: PLC0415

    try:
        chunk = level.get_chunk(cx, cz, OVERWORLD)
    except ChunkDoesNotExist:
        return None
    except ChunkLoadError as exc:
        raise WorldError(f"chunk ({cx}, {cz}) cannot be read: {exc}") from exc
    return float(chunk.status.value) >= 2.0


def write_grid(level, tr: Translator, grid: VoxelGrid, origin: tuple[int, int, int], *,
               no_air: bool = False, keep: np.ndarray | None = None,
               hook: ProgressHook | None = None) -> tuple[int, list[str]]:
    """Write ``grid`` with its ``[0, 0, 0]`` at world ``origin``, one slice per chunk.

    ``no_air`` leaves the world's block where the grid has air, ``keep`` (bool, the grid's size)
    wherever it is True.

    Chunks that do not exist are created (the caller decides whether that is allowed); chunks
    that were not fully generated are marked full. Block entities in overwritten cells are
    dropped; states that carry one (chests, ...) get the default one.

    Returns:
        ``(blocks written, states unknown to the world's version (written as air))``.
    """
    from amulet.api.errors import ChunkDoesNotExist  # noqa: PLC0415

    lut, entities, unknown = tr.palette_lut(grid)
    ox, oy, oz = origin
    sx, sy, sz = grid.size
    written, chunks = 0, [(cx, cz) for cx in chunk_span(ox, ox + sx) for cz in chunk_span(oz, oz + sz)]
    for n, (cx, cz) in enumerate(chunks):
        try:
            chunk = level.get_chunk(cx, cz, OVERWORLD)
        except ChunkDoesNotExist:
            chunk = level.create_chunk(cx, cz, OVERWORLD)
        ax0, ax1 = max(ox, cx * 16), min(ox + sx, cx * 16 + 16)
        az0, az1 = max(oz, cz * 16), min(oz + sz, cz * 16 + 16)
        src = grid.blocks[ax0 - ox:ax1 - ox, :, az0 - oz:az1 - oz]  # (w, Y, d)
        mask = src != 0 if no_air else np.ones(src.shape, dtype=bool)
        if keep is not None:
            mask &= ~keep[ax0 - ox:ax1 - ox, :, az0 - oz:az1 - oz]
        dst = (slice(ax0 - cx * 16, ax1 - cx * 16), slice(oy, oy + sy), slice(az0 - cz * 16, az1 - cz * 16))
        vals = lut[src]
        if not mask.all():
            vals = np.where(mask, vals, chunk.blocks[dst])
        chunk.blocks[dst] = vals
        _fix_block_entities(chunk, src, mask, entities, (ax0, oy, az0))
        if float(chunk.status.value) < 2.0:
            chunk.status = 2.0
        chunk.changed = True
        written += int(mask.sum())
        if hook:
            hook("write", n + 1, len(chunks))
    return written, unknown


def _fix_block_entities(chunk, src: np.ndarray, mask: np.ndarray, entities: dict[int, object],
                        corner: tuple[int, int, int]) -> None:
    """Drop block entities in overwritten cells; add defaults for placed blocks that need one."""
    x0, y0, z0 = corner
    w, h, d = src.shape
    for (x, y, z) in list(chunk.block_entities.keys()):
        lx, ly, lz = x - x0, y - y0, z - z0
        if 0 <= lx < w and 0 <= ly < h and 0 <= lz < d and mask[lx, ly, lz]:
            del chunk.block_entities[(x, y, z)]
    for gi, entity in entities.items():
        for lx, ly, lz in zip(*np.nonzero((src == gi) & mask)):
            e = entity.new_at_location(int(x0 + lx), int(y0 + ly), int(z0 + lz))
            chunk.block_entities.insert(e)


def write_grid_per_block(level, grid: VoxelGrid, origin: tuple[int, int, int]) -> int:
    """The slow reference path: amulet's ``set_version_block`` once per cell (benchmarks only)."""
    from amulet.api.block import Block  # noqa: PLC0415

    version = ("java", level.level_wrapper.version)
    blocks = [Block.from_string_blockstate(s) for s in grid.palette]
    ox, oy, oz = origin
    n = 0
    for x, y, z in np.ndindex(*grid.size):
        level.set_version_block(ox + x, oy + y, oz + z, OVERWORLD, version, blocks[int(grid.blocks[x, y, z])])
        n += 1
    return n


def save_level(level, hook: ProgressHook | None = None) -> None:
    """Save changed chunks so the game recomputes their light and heightmaps.

    amulet's ``level.save()`` alone writes the old ``BlockLight``/``SkyLight`` arrays, the old
    heightmaps and ``isLightOn = 1`` back (checked on the 1.18 fixture): the game then trusts
    the stale light, so new torches stay dark and new roofs do not shade. We first run
    ``pre_save_operation()`` (what amulet's editor runs), which drops the light arrays and
    heightmaps of every changed chunk and writes ``isLightOn = 0``. Minecraft's chunk loader
    (``ChunkSerializer.read`` -> ``setLightCorrect(isLightOn)``; the LIGHT status load task ->
    ``lightChunk(chunk, lighted=false)`` -> every light source of the chunk is propagated and sky
    light rebuilt; missing heightmaps are primed) then relights those chunks when they load.
    """
    for _ in level.pre_save_operation():
        pass

    def progress(done: int, total: int) -> None:
        if hook:
            hook("save", done, total)

    level.save(progress_callback=progress)


def surface_top(path: Path, x0: int, z0: int, x1: int, z1: int) -> int | None:
    """The highest solid y in the columns x0..x1, z0..z1 of the save at ``path`` (opened and closed
    here; pass a copy, since opening may write), or ``None`` when they hold no block."""
    level = open_level(path)
    try:
        min_y, _ = height_range(level)
        top = int(surface_heights(level, translator_for(level), x0, z0, x1, z1).max())
    finally:
        level.close()
    return top if top >= min_y else None

