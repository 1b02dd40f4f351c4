"""Approximate shapes of blocks that are not full cubes, as boxes in sixteenths of a block.

The viewer draws full cubes with merged faces and these blocks as small boxes, so that panes,
fences, slabs, stairs, doors and torches read as what they are. Anything unknown is a full cube.
A box is ``[x0, y0, z0, x1, y1, z1]`` with ``0 <= lo < hi <= 16``.
"""

from __future__ import annotations

from mcgen.blocks import AIR, parse_state
from mcgen.errors import BlockStateError

Box = list[int]
_SIDES = {"north": (7, 9, 0, 7), "south": (7, 9, 9, 16), "west": (0, 7, 7, 9), "east": (9, 16, 7, 9)}


def _arm(d: str, y0: int, y1: int, half: int = 1) -> Box:
    x0, x1, z0, z1 = _SIDES[d]
    if x1 - x0 == 2:  # an arm along z: widen it symmetrically around the centre line
        x0, x1 = 8 - half, 8 + half
    else:
        z0, z1 = 8 - half, 8 + half
    return [x0, y0, z0, x1, y1, z1]


def _stairs(props: dict[str, str]) -> list[Box]:
    top = props.get("half") == "top"
    slab = [0, 8, 0, 16, 16, 16] if top else [0, 0, 0, 16, 8, 16]
    y0, y1 = (0, 8) if top else (8, 16)
    back = {"north": [0, y0, 0, 16, y1, 8], "south": [0, y0, 8, 16, y1, 16],
            "west": [0, y0, 0, 8, y1, 16], "east": [8, y0, 0, 16, y1, 16]}
    return [slab, back.get(props.get("facing", "north"), back["north"])]


def _door(props: dict[str, str]) -> list[Box]:
    facing = props.get("facing", "north")
    if props.get("open") == "true":  # an open door swings to the hinge side
        turn = {"north": "east", "east": "south", "south": "west", "west": "north"}
        back = {v: k for k, v in turn.items()}
        facing = (back if props.get("hinge") == "right" else turn)[facing]
    return [{"north": [0, 0, 13, 16, 16, 16], "south": [0, 0, 0, 16, 16, 3],
             "west": [13, 0, 0, 16, 16, 16], "east": [0, 0, 0, 3, 16, 16]}[facing]]


def _connected(props: dict[str, str], post: Box, arm_y: tuple[int, int], half: int) -> list[Box]:
    boxes = [post]
    for d in _SIDES:
        if props.get(d) not in (None, "false", "none"):
            boxes.append(_arm(d, arm_y[0], arm_y[1], half))
    return boxes


def block_shape(state: str) -> list[Box] | None:
    """Boxes that draw ``state``, or ``None`` for a full cube (or air)."""
    if state == AIR:
        return None
    try:
        name, props = parse_state(state)
    except BlockStateError:
        return None
    base = name.split(":", 1)[-1]
    if base.endswith("_slab"):
        kind = props.get("type", "bottom")
        return None if kind == "double" else [[0, 8, 0, 16, 16, 16] if kind == "top" else [0, 0, 0, 16, 8, 16]]
    if base.endswith("_stairs"):
        return _stairs(props)
    if base.endswith("_door") and "trap" not in base:
        return _door(props)
    if base.endswith("_fence"):
        return _connected(props, [6, 0, 6, 10, 16, 10], (6, 15), 1)
    if base.endswith("_pane") or base == "iron_bars":
        return _connected(props, [7, 0, 7, 9, 16, 9], (0, 16), 1)
    if base.endswith("_wall") and "sign" not in base and "banner" not in base:
        return _connected(props, [4, 0, 4, 12, 16, 12], (0, 14), 3)
    if base.endswith("torch"):
        return [[7, 0, 7, 9, 10, 9]]
    if base.endswith("lantern") and base not in ("sea_lantern", "jack_o_lantern"):
        return [[5, 0, 5, 11, 7, 11], [6, 7, 6, 10, 9, 10]]
    if base.endswith("_carpet"):
        return [[0, 0, 0, 16, 1, 16]]
    if base.endswith("_trapdoor"):
        return [[0, 13, 0, 16, 16, 16] if props.get("half") == "top" else [0, 0, 0, 16, 3, 16]]
    return None


_CLEAR = {"glass": 0.45, "glass_pane": 0.45, "water": 0.6, "ice": 0.7, "tinted_glass": 0.8}


def block_alpha(state: str) -> float:
    """Opacity the viewer draws ``state`` with: below 1 for glass, water and ice, else 1."""
    try:
        name = parse_state(state)[0].split(":", 1)[-1]
    except BlockStateError:
        return 1.0
    if name in _CLEAR:
        return _CLEAR[name]
    if name.endswith("stained_glass") or name.endswith("stained_glass_pane"):
        return 0.55
    return 1.0
