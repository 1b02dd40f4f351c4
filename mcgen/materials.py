"""Material lists: the items a player needs to build a structure in survival (numpy only).

Each block state maps to the item that places it (``minecraft:wall_torch`` -> ``minecraft:torch``,
``minecraft:carrots`` -> ``minecraft:carrot``, a potted plant -> a flower pot and the plant). Some
blocks need a different number of items than cells:

- two-block things count once: a door or a tall flower (``half=lower``/``upper``), a bed
  (``part=foot``/``head``); a half whose partner is missing (a cut or generated build) still
  counts, since building it takes one item;
- a double slab takes two slabs; candles, sea pickles, turtle eggs, petals and snow layers
  take as many items as the state says;
- water and lava sources take a bucket each (so does a waterlogged block, on top of its own
  item); flowing water and lava come from the sources and are listed apart;
- blocks that no item places (air, fire, portals, piston heads, bubble columns) are listed apart.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from mcgen.blocks import parse_state
from mcgen.grid import VoxelGrid

MC = "minecraft:"
# blocks no item places: they form by themselves, or are part of another block
NO_ITEM = frozenset(MC + n for n in (
    "air", "cave_air", "void_air", "fire", "soul_fire", "nether_portal", "end_portal", "end_gateway",
    "moving_piston", "piston_head", "bubble_column", "frosted_ice", "structure_void",
))
# block id -> the item that places it, where they differ (the namespace is added below)
_RENAMED = {
    "wall_torch": "torch", "soul_wall_torch": "soul_torch", "redstone_wall_torch": "redstone_torch",
    "copper_wall_torch": "copper_torch", "redstone_wire": "redstone", "tripwire": "string",
    "wheat": "wheat_seeds", "carrots": "carrot", "potatoes": "potato", "beetroots": "beetroot_seeds",
    "melon_stem": "melon_seeds", "attached_melon_stem": "melon_seeds", "pumpkin_stem": "pumpkin_seeds",
    "attached_pumpkin_stem": "pumpkin_seeds", "cocoa": "cocoa_beans", "sweet_berry_bush": "sweet_berries",
    "torchflower_crop": "torchflower_seeds", "pitcher_crop": "pitcher_pod", "cave_vines": "glow_berries",
    "cave_vines_plant": "glow_berries", "kelp_plant": "kelp", "twisting_vines_plant": "twisting_vines",
    "weeping_vines_plant": "weeping_vines", "bamboo_sapling": "bamboo", "tall_seagrass": "seagrass",
    "big_dripleaf_stem": "big_dripleaf", "powder_snow": "powder_snow_bucket", "farmland": "dirt",
    "dirt_path": "dirt", "potted_azalea_bush": "azalea", "potted_flowering_azalea_bush": "flowering_azalea",
}
RENAMED = {MC + k: MC + v for k, v in _RENAMED.items()}
# wall-mounted variants: "<x>_wall_<kind>" is placed by "<x>_<kind>"
_WALL_SUFFIXES = ("_wall_hanging_sign", "_wall_sign", "_wall_banner", "_wall_fan", "_wall_skull", "_wall_head")
# a property that says how many items the block took
_COUNT_PROPS = {"candle": "candles", "sea_pickle": "pickles", "turtle_egg": "eggs", "pink_petals": "flower_amount",
                "wildflowers": "flower_amount", "leaf_litter": "segment_amount", "snow": "layers"}
# two-block plants (besides doors): counted by their lower half
_TALL = frozenset(MC + n for n in ("sunflower", "lilac", "rose_bush", "peony", "tall_grass", "large_fern",
                                   "pitcher_plant", "small_dripleaf", "tall_seagrass"))
_CAULDRON_FILL = {MC + "water_cauldron": MC + "water_bucket", MC + "lava_cauldron": MC + "lava_bucket",
                  MC + "powder_snow_cauldron": MC + "powder_snow_bucket"}
_FLUID_BUCKETS = {MC + "water": MC + "water_bucket", MC + "lava": MC + "lava_bucket"}
_STACK_1 = ("_bucket", "_bed", "shulker_box", MC + "cake")
_STACK_16 = ("_sign", "_banner", MC + "snowball", MC + "egg", MC + "ender_pearl", MC + "armor_stand")
# bed: where the foot is from the head (``facing`` points from foot to head); +x east, +z south
_BACK = {"north": (0, 0, 1), "south": (0, 0, -1), "east": (-1, 0, 0), "west": (1, 0, 0)}


@dataclass(frozen=True)
class MaterialList:
    """What building a structure takes.

    Attributes:
        items: item id -> count, most first (then by name).
        no_item: block id (or the state, for flowing fluids) -> cells that no item places.
    """

    items: dict[str, int]
    no_item: dict[str, int]

    @property
    def total(self) -> int:
        """All items together."""
        return sum(self.items.values())

    def rows(self) -> list[dict]:
        """One row per item: ``item``, ``count``, ``stack`` (its stack size) and ``stacks`` (e.g. ``2 x 64 + 5``)."""
        return [{"item": k, "count": n, "stack": stack_size(k), "stacks": stacks_text(n, stack_size(k))}
                for k, n in self.items.items()]

    def to_csv(self) -> str:
        """``item,count,stack,kind`` lines: the items, then the blocks no item places (kind ``no item``)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["item", "count", "stack", "kind"])
        for r in self.rows():
            w.writerow([r["item"], r["count"], r["stack"], "item"])
        for k, n in self.no_item.items():
            w.writerow([k, n, "", "no item"])
        return buf.getvalue()


def stack_size(item: str) -> int:
    """How many of ``item`` fit in one inventory slot (64 unless it is a bucket, bed, sign, ...)."""
    if any(item.endswith(s) or item == s for s in _STACK_1):
        return 1
    if any(item.endswith(s) or item == s for s in _STACK_16):
        return 16
    return 64


def stacks_text(count: int, stack: int) -> str:
    """``count`` as full stacks plus the rest, e.g. ``2 x 64 + 5`` (just the number below one stack,
    ``N slots`` for what does not stack)."""
    if stack == 1:
        return f"{count} slot{'s' if count != 1 else ''}"
    full, rest = divmod(count, stack)
    if not full:
        return str(rest)
    return f"{full} x {stack}" + (f" + {rest}" if rest else "")


def item_of(name: str) -> str | None:
    """The item that places block ``name`` (``namespace:id``), or None when none does."""
    if name in NO_ITEM:
        return None
    if name in RENAMED:
        return RENAMED[name]
    for suffix in _WALL_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)] + suffix.replace("_wall", "", 1)
    return name


def state_items(state: str) -> list[tuple[str, int]] | None:
    """Items one cell of ``state`` takes, as ``(item, count)`` pairs; None when no item places it.

    Two-block things are not special here (see :func:`material_list`).
    """
    name, props = parse_state(state)
    if name in _FLUID_BUCKETS:
        return [(_FLUID_BUCKETS[name], 1)] if props.get("level", "0") == "0" else None
    if name in _CAULDRON_FILL:
        return [(MC + "cauldron", 1), (_CAULDRON_FILL[name], 1)]
    if name.startswith(MC + "potted_") and name not in RENAMED:
        return [(MC + "flower_pot", 1), (MC + name[len(MC + "potted_"):], 1)]
    if name.startswith(MC + "potted_"):
        return [(MC + "flower_pot", 1), (RENAMED[name], 1)]
    if name.endswith("candle_cake"):
        candle = name[: -len("_cake")]
        return [(MC + "cake", 1), (candle, 1)]
    item = item_of(name)
    if item is None:
        return None
    count = 1
    if name.endswith("_slab") and props.get("type") == "double":
        count = 2
    short = name[len(MC):] if name.startswith(MC) else ""
    if short in _COUNT_PROPS or short.endswith("_candle"):
        key = _COUNT_PROPS.get(short, "candles")
        count = _int(props.get(key), 1)
    out = [(item, count)]
    if props.get("waterlogged") == "true":
        out.append((MC + "water_bucket", 1))
    return out


def _int(text: str | None, default: int) -> int:
    try:
        return max(1, int(text)) if text is not None else default
    except ValueError:
        return default


def _partner_halves(grid: VoxelGrid) -> np.ndarray:
    """(palette,) int: for each entry, how many of its cells are the second half of a pair whose
    first half is present (door or tall plant upper halves above their lower half, bed heads next
    to their foot); those cells take no item of their own."""
    pal = grid.palette
    parsed = [parse_state(s) for s in pal]
    b = grid.blocks
    skip = np.zeros(len(pal), dtype=np.int64)
    for i, (name, props) in enumerate(parsed):
        two_high = name.endswith("_door") or name in _TALL
        if two_high and props.get("half") == "upper":
            want = [k for k, (n, p) in enumerate(parsed) if n == name and p.get("half") == "lower"]
            offset = (0, -1, 0)
        elif name.endswith("_bed") and props.get("part") == "head" and props.get("facing") in _BACK:
            want = [k for k, (n, p) in enumerate(parsed)
                    if n == name and p.get("part") == "foot" and p.get("facing") == props["facing"]]
            offset = _BACK[props["facing"]]
        else:
            continue
        if not want:
            continue
        pos = np.argwhere(b == i)  # (N, 3) cells of this half
        other = pos + np.array(offset)
        inside = np.all((other >= 0) & (other < np.array(b.shape)), axis=1)
        other = other[inside]
        partner = np.isin(b[other[:, 0], other[:, 1], other[:, 2]], want)
        skip[i] = int(partner.sum())
    return skip


def material_list(grid: VoxelGrid) -> MaterialList:
    """The items needed to build ``grid`` in survival, and the blocks no item places (air left out).

    Args:
        grid: the structure (any palette).

    Returns:
        A :class:`MaterialList` (items most first).
    """
    counts = np.bincount(grid.blocks.ravel(), minlength=len(grid.palette)).astype(np.int64)
    counts -= _partner_halves(grid)
    items: dict[str, int] = {}
    no_item: dict[str, int] = {}
    for i, state in enumerate(grid.palette):
        n = int(counts[i])
        if i == 0 or n <= 0:
            continue
        got = state_items(state)
        if got is None:
            name, props = parse_state(state)
            key = state if name in _FLUID_BUCKETS else name
            no_item[key] = no_item.get(key, 0) + n
            continue
        for item, k in got:
            items[item] = items.get(item, 0) + n * k
    order = sorted(items.items(), key=lambda kv: (-kv[1], kv[0]))
    return MaterialList(dict(order), dict(sorted(no_item.items(), key=lambda kv: (-kv[1], kv[0]))))


__all__ = ["MaterialList", "item_of", "material_list", "stack_size", "stacks_text", "state_items"]
