"""Legacy MCEdit / WorldEdit ``.schematic`` (``Materials = Alpha``, numeric block ids): import only.

Block index = (y*L + z)*W + x; ids are ``Blocks`` (+ ``AddBlocks`` high nibbles), data values
``Data``. Numeric ids are translated to 1.13+ states with the table below (the pre-1.13 id
list and the data-value meanings of the common building blocks). Fence and pane connections
are recomputed from neighbours (legacy files do not store them). A file using an id that is
not in the table is rejected with the list of those ids.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mcgen.blocks import format_state
from mcgen.errors import FormatError
from mcgen.export import bedrock, nbtio
from mcgen.export.common import check_size, grid_from_indices
from mcgen.export.nbtio import BYTE_ARRAY, INT, SHORT, STRING, TagDict
from mcgen.grid import VoxelGrid

_C = bedrock.COLORS
_W = ("oak", "spruce", "birch", "jungle", "acacia", "dark_oak")
# ids whose data value does not matter for the block (or whose default state is fine)
_PLAIN = {int(k): v for k, v in (kv.split(":") for kv in (
    "0:air 2:grass_block 4:cobblestone 6:oak_sapling 7:bedrock 8:water 9:water 10:lava 11:lava 13:gravel "
    "14:gold_ore 15:iron_ore 16:coal_ore 19:sponge 20:glass 21:lapis_ore 22:lapis_block 23:dispenser "
    "25:note_block 26:red_bed 27:powered_rail 28:detector_rail 29:sticky_piston 30:cobweb 31:grass 32:dead_bush "
    "33:piston 34:piston_head 36:moving_piston 37:dandelion 38:poppy 39:brown_mushroom 40:red_mushroom "
    "41:gold_block 42:iron_block 45:bricks 46:tnt 47:bookshelf 48:mossy_cobblestone 49:obsidian 51:fire "
    "52:spawner 55:redstone_wire 56:diamond_ore 57:diamond_block 58:crafting_table 59:wheat 60:farmland "
    "63:oak_sign 66:rail 68:oak_wall_sign 69:lever 70:stone_pressure_plate 72:oak_pressure_plate "
    "73:redstone_ore 74:redstone_ore 75:redstone_torch 76:redstone_torch 77:stone_button 78:snow 79:ice "
    "80:snow_block 81:cactus 82:clay 83:sugar_cane 84:jukebox 85:oak_fence 86:carved_pumpkin 87:netherrack "
    "88:soul_sand 89:glowstone 90:nether_portal 91:jack_o_lantern 92:cake 93:repeater 94:repeater "
    "97:infested_stone 99:brown_mushroom_block 100:red_mushroom_block 101:iron_bars 102:glass_pane 103:melon "
    "104:pumpkin_stem 105:melon_stem 106:vine 107:oak_fence_gate 110:mycelium 111:lily_pad 112:nether_bricks "
    "113:nether_brick_fence 115:nether_wart 116:enchanting_table 117:brewing_stand 118:cauldron 119:end_portal "
    "121:end_stone 122:dragon_egg 123:redstone_lamp 124:redstone_lamp 127:cocoa 129:emerald_ore "
    "131:tripwire_hook 132:tripwire 133:emerald_block 137:command_block 138:beacon 139:cobblestone_wall "
    "140:flower_pot 141:carrots 142:potatoes 143:oak_button 144:skeleton_skull 145:anvil "
    "147:light_weighted_pressure_plate 148:heavy_weighted_pressure_plate 149:comparator 150:comparator "
    "151:daylight_detector 152:redstone_block 153:nether_quartz_ore 154:hopper 157:activator_rail 158:dropper "
    "165:slime_block 166:barrier 168:prismarine 169:sea_lantern 172:terracotta 173:coal_block 174:packed_ice "
    "175:sunflower 176:white_banner 177:white_wall_banner 178:daylight_detector 183:spruce_fence_gate "
    "184:birch_fence_gate 185:jungle_fence_gate 186:dark_oak_fence_gate 187:acacia_fence_gate 188:spruce_fence "
    "189:birch_fence 190:jungle_fence 191:dark_oak_fence 192:acacia_fence 198:end_rod 199:chorus_plant "
    "200:chorus_flower 201:purpur_block 202:purpur_pillar 206:end_stone_bricks 207:beetroots 208:dirt_path "
    "209:end_gateway 210:repeating_command_block 211:chain_command_block 212:frosted_ice 213:magma_block "
    "214:nether_wart_block 215:red_nether_bricks 216:bone_block 217:structure_void 218:observer"
).split())}
_BY_DATA: dict[int, tuple[str, ...]] = {
    1: ("stone", "granite", "polished_granite", "diorite", "polished_diorite", "andesite", "polished_andesite"),
    3: ("dirt", "coarse_dirt", "podzol"), 5: tuple(f"{w}_planks" for w in _W), 12: ("sand", "red_sand"),
    24: ("sandstone", "chiseled_sandstone", "cut_sandstone"),
    98: ("stone_bricks", "mossy_stone_bricks", "cracked_stone_bricks", "chiseled_stone_bricks"),
    179: ("red_sandstone", "chiseled_red_sandstone", "cut_red_sandstone"),
    35: tuple(f"{c}_wool" for c in _C), 171: tuple(f"{c}_carpet" for c in _C),
    159: tuple(f"{c}_terracotta" for c in _C), 95: tuple(f"{c}_stained_glass" for c in _C),
    160: tuple(f"{c}_stained_glass_pane" for c in _C), 251: tuple(f"{c}_concrete" for c in _C),
    252: tuple(f"{c}_concrete_powder" for c in _C),
    155: ("quartz_block", "chiseled_quartz_block", "quartz_pillar[axis=y]", "quartz_pillar[axis=x]",
          "quartz_pillar[axis=z]"),
}
_STAIRS = {53: "oak", 67: "cobblestone", 108: "brick", 109: "stone_brick", 114: "nether_brick", 128: "sandstone",
           134: "spruce", 135: "birch", 136: "jungle", 156: "quartz", 163: "acacia", 164: "dark_oak",
           180: "red_sandstone", 203: "purpur"}
_STONE_SLABS = ("smooth_stone", "sandstone", "petrified_oak", "cobblestone", "brick", "stone_brick", "nether_brick",
                "quartz")
_DOORS = {64: "oak", 71: "iron", 193: "spruce", 194: "birch", 195: "jungle", 196: "acacia", 197: "dark_oak"}
_FACING4 = {2: "north", 3: "south", 4: "west", 5: "east"}
_STAIR_F = ("east", "west", "south", "north")


def legacy_state(bid: int, data: int, below: tuple[int, int] | None = None) -> str | None:
    """1.13+ state for a legacy ``(id, data)``; ``below`` is the cell under it (door upper halves)."""
    if bid in _BY_DATA:
        names = _BY_DATA[bid]
        return f"minecraft:{names[data]}" if data < len(names) else None
    for ids, handler in _HANDLERS:
        if bid in ids:
            return handler(bid, data, below)
    name = _PLAIN.get(bid)
    return None if name is None else f"minecraft:{name}"


def _wood(bid: int, data: int, _below: object) -> str | None:
    """Logs (wood in bits 0-1, axis in bits 2-3) and leaves (bit 2: no decay)."""
    woods = _W[:4] if bid in (17, 18) else _W[4:]
    if (data & 3) >= len(woods):
        return None
    if bid in (18, 161):
        persistent = "true" if data & 4 else "false"
        return format_state(f"minecraft:{woods[data & 3]}_leaves", {"distance": "7", "persistent": persistent})
    kind, axis = ("wood", "y") if data >> 2 == 3 else ("log", "yxz"[data >> 2])
    return f"minecraft:{woods[data & 3]}_{kind}[axis={axis}]"


def _stairs(bid: int, data: int, _below: object) -> str:
    return format_state(f"minecraft:{_STAIRS[bid]}_stairs", {
        "facing": _STAIR_F[data & 3], "half": "top" if data & 4 else "bottom", "shape": "straight",
        "waterlogged": "false"})


def _slab(bid: int, data: int, _below: object) -> str | None:
    kind = _STONE_SLABS if bid in (43, 44) else _W
    if (data & 7) >= len(kind):
        return None
    typ = "double" if bid in (43, 125) else ("top" if data & 8 else "bottom")
    return f"minecraft:{kind[data & 7]}_slab[type={typ},waterlogged=false]"


def _torch(_bid: int, data: int, _below: object) -> str:
    wall = {1: "east", 2: "west", 3: "south", 4: "north"}
    return f"minecraft:wall_torch[facing={wall[data]}]" if data in wall else "minecraft:torch"


def _facing(bid: int, data: int, _below: object) -> str:
    """Chests, furnaces, ladders: data 2..5 = north, south, west, east."""
    name = {54: "chest", 61: "furnace", 62: "furnace", 65: "ladder", 130: "ender_chest", 146: "trapped_chest"}[bid]
    props = {"facing": _FACING4.get(data, "north")}
    if bid in (54, 146):
        props.update(type="single", waterlogged="false")
    elif bid in (65, 130):
        props["waterlogged"] = "false"
    else:
        props["lit"] = "true" if bid == 62 else "false"
    return format_state(f"minecraft:{name}", props)


def _trapdoor(bid: int, data: int, _below: object) -> str:
    return format_state(f"minecraft:{'oak' if bid == 96 else 'iron'}_trapdoor", {
        "facing": ("north", "south", "west", "east")[data & 3], "half": "top" if data & 8 else "bottom",
        "open": "true" if data & 4 else "false", "powered": "false", "waterlogged": "false"})


def _misc(bid: int, data: int, _below: object) -> str:
    if bid == 120:
        return format_state("minecraft:end_portal_frame", {"eye": "true" if data & 4 else "false",
                                                           "facing": ("south", "west", "north", "east")[data & 3]})
    return f"minecraft:hay_block[axis={'yxz'[min(data >> 2, 2)]}]"


def _door(wood: str, data: int, below: tuple[int, int] | None) -> str:
    facing_of = ("east", "south", "west", "north")
    if data & 8:  # upper half: hinge in bit 0; facing/open live in the lower half below
        low = below[1] if below is not None and below[0] in _DOORS and not below[1] & 8 else 3
        props = {"half": "upper", "hinge": "right" if data & 1 else "left", "facing": facing_of[low & 3],
                 "open": "true" if low & 4 else "false"}
    else:
        props = {"half": "lower", "hinge": "left", "facing": facing_of[data & 3], "open": "true" if data & 4 else "false"}
    props["powered"] = "false"
    return format_state(f"minecraft:{wood}_door", props)


_HANDLERS = [
    ((17, 18, 161, 162), _wood), (tuple(_STAIRS), _stairs), ((43, 44, 125, 126), _slab), ((50,), _torch),
    ((54, 61, 62, 65, 130, 146), _facing), (tuple(_DOORS), lambda b, d, below: _door(_DOORS[b], d, below)),
    ((96, 167), _trapdoor), ((120, 170), _misc),
]


def is_mcedit(root: TagDict) -> bool:
    """True for a legacy MCEdit/WorldEdit schematic."""
    return "Materials" in root and "Blocks" in root


def read_mcedit(nbt: nbtio.NbtFile, *, source: object = None) -> VoxelGrid:
    """Decode a legacy ``.schematic`` into a grid of 1.13+ states.

    Raises:
        FormatError: not ``Materials = Alpha`` (Pocket/Classic), array sizes that do not
            match, modded ids, or ids the table does not know (all listed).
    """
    root, what = nbt.root, "MCEdit .schematic"
    mat = nbtio.get(root, "Materials", (STRING,), what=what, source=source)
    if mat != "Alpha":
        raise FormatError(f"{what} with Materials={mat!r} is not supported (only 'Alpha')", path=source)
    dims = [nbtio.get(root, k, (SHORT, INT), what=what, source=source) for k in ("Width", "Height", "Length")]
    w, h, length = check_size([d & 0xFFFF if root.types[k] == SHORT else d
                               for d, k in zip(dims, ("Width", "Height", "Length"))], what=what, source=source)
    n = w * h * length
    ids = _array(root, "Blocks", n, what, source).astype(np.int64)
    data = _array(root, "Data", n, what, source).astype(np.int64) & 0x0F
    if "AddBlocks" in root:
        add = nbtio.get(root, "AddBlocks", (BYTE_ARRAY,), what=what, source=source).view(np.uint8).astype(np.int64)
        if add.size < (n + 1) // 2:
            raise FormatError(f"{what}: AddBlocks has {add.size} bytes, {(n + 1) // 2} needed", path=source)
        nib = np.where(np.arange(n) % 2 == 0, add[np.arange(n) >> 1] & 0x0F, add[np.arange(n) >> 1] >> 4)
        ids |= nib << 8
    _check_modded(root, np.unique(ids), what, source)
    pair = ids * 16 + data
    below = np.concatenate([np.full(w * length, -1, dtype=np.int64), pair[:-w * length]]) if n else pair
    states, idx = _translate(pair, below, what, source)
    meta: dict[str, Any] = {"source_format": "mcedit_schematic"}
    if all(isinstance(root.get(k), int) for k in ("WEOffsetX", "WEOffsetY", "WEOffsetZ")):
        meta["we_offset"] = [root["WEOffsetX"], root["WEOffsetY"], root["WEOffsetZ"]]
    grid = grid_from_indices(idx.reshape(h, length, w).transpose(2, 0, 1), states, meta, what=what, source=source)
    return bedrock.reconnect(grid)


def _array(root: TagDict, key: str, n: int, what: str, source: object) -> np.ndarray:
    arr = nbtio.get(root, key, (BYTE_ARRAY,), what=what, source=source).view(np.uint8)
    if arr.size != n:
        raise FormatError(f"{what}: {key} has {arr.size} entries, expected {n} (W*H*L)", path=source)
    return arr


def _check_modded(root: TagDict, used: np.ndarray, what: str, source: object) -> None:
    names = root.get("BlockIDs")
    if not isinstance(names, TagDict):
        return
    modded = [f"{k}={v}" for k, v in names.items() if isinstance(v, str) and k.isdigit() and int(k) in set(used.tolist())
              and not v.startswith("minecraft:")]
    if modded:
        raise FormatError(f"{what} uses modded block ids ({', '.join(modded[:5])}); not supported", path=source)


def _translate(pair: np.ndarray, below: np.ndarray, what: str, source: object) -> tuple[list[str], np.ndarray]:
    """Map every distinct (id, data[, cell below for doors]) to a state; reject unknown ids."""
    door_ids = np.array(sorted(_DOORS))
    is_upper_door = np.isin(pair >> 4, door_ids) & ((pair & 8) > 0)
    key = np.where(is_upper_door, pair * 65536 + np.maximum(below, 0), pair * 65536)
    uniq, inv = np.unique(key, return_inverse=True)
    states, unknown = [], []
    for k in uniq.tolist():
        p, b = k >> 16, k & 0xFFFF
        s = legacy_state(p >> 4, p & 15, (b >> 4, b & 15))
        if s is None:
            unknown.append(f"{p >> 4}:{p & 15}")
            s = "minecraft:air"
        states.append(s)
    if unknown:
        raise FormatError(f"{what}: {len(unknown)} legacy block id(s) have no 1.13+ mapping: {', '.join(unknown[:20])}",
                          path=source)
    return states, inv.reshape(-1)
