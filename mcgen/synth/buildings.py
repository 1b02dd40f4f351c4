"""Archetypes with walls and a roof: house, hut, tower, lighthouse, windmill.

Each takes a :class:`Canvas` and ``big`` (True on 32-grids: larger and with more details) and
draws one building with its front towards south (+z).
"""

from __future__ import annotations

from mcgen.synth.canvas import FENCE, HAY, LANTERN, PANE, TORCH, Canvas, blk, log, slab
from mcgen.synth.parts import (
    chance, crenellate, disk, door_at, gable_roof, pick, ri, ring, stamp, window_col, window_row,
)

_WALLS = ("oak_planks", "spruce_planks", "birch_planks", "bricks", "stone_bricks", "white_wool",
          "cobblestone", "terracotta", "sandstone")
_FOUNDATION = ("cobblestone", "stone", "stone_bricks", "smooth_stone", "mossy_cobblestone")
_STONE = ("stone_bricks", "cobblestone", "stone", "bricks", "sandstone", "smooth_stone")
_MOSS = {"stone_bricks": "mossy_stone_bricks", "cobblestone": "mossy_cobblestone"}


def _frame(rng, wall: str) -> int:
    options = [log("oak"), log("spruce"), blk("dark_oak_planks"), blk("stone_bricks"), blk("cobblestone")]
    options = [o for o in options if o != blk(wall)]
    return pick(rng, options)


def _weather(c: Canvas, material: str, p: float) -> None:
    if material in _MOSS:
        c.weather(blk(material), blk(_MOSS[material]), p)


def house(c: Canvas, big: bool) -> None:
    """Gabled house: foundation, framed walls, door, windows, stair roof, maybe chimney/porch."""
    r = c.rng
    w, d = (ri(r, 11, 19), ri(r, 8, 13)) if big else (ri(r, 5, 9), ri(r, 5, 7))
    storeys = 2 if big and chance(r, 0.7) else 1
    h1 = ri(r, 4, 5) if big else ri(r, 3, 4)
    h = h1 * storeys
    c.place(w + 4, d + 4)
    c.ox, c.oz = c.ox + 2, c.oz + 1
    wall = pick(r, _WALLS)
    frame, roof = _frame(r, wall), pick(r, ("oak", "stone_brick"))
    found = blk(pick(r, _FOUNDATION))
    c.fill(0, 0, 0, w - 1, 0, d - 1, found)
    c.shell(0, 1, 0, w - 1, h, d - 1, blk(wall))
    for x, z in ((0, 0), (0, d - 1), (w - 1, 0), (w - 1, d - 1)):
        c.fill(x, 1, z, x, h, z, frame)
    if storeys == 2 or (big and chance(r, 0.5)):
        y = h1 + 1 if storeys == 2 else h
        c.fill(1, y, 0, w - 2, y, 0, log("oak", "x"))
        c.fill(1, y, d - 1, w - 2, y, d - 1, log("oak", "x"))
        c.fill(0, y, 1, 0, y, d - 2, log("oak", "z"))
        c.fill(w - 1, y, 1, w - 1, y, d - 2, log("oak", "z"))
    dx = w // 2 if chance(r, 0.6) else ri(r, 1, w - 2)
    _windows(c, w, d, h1, storeys, dx)
    door_at(c, dx, 1, d - 1, "north")
    gable = pick(r, (blk(wall), frame, blk("oak_planks"), blk("spruce_planks")))
    top = gable_roof(c, 0, w - 1, 0, d - 1, h + 1, roof, gable)
    if chance(r, 0.6):
        zc = ri(r, 1, d - 2)
        side = pick(r, (-1, w))
        c.fill(side, 0, zc, side, top + 1, zc, blk(pick(r, ("bricks", "cobblestone", "stone_bricks"))))
    if big:
        _interior(c, w, d, h1, storeys)
    if big and chance(r, 0.7):
        _porch(c, dx, d, h1, found)
    elif chance(r, 0.5):
        c.put(dx + pick(r, (-1, 1)), 0, d, found)
        c.put(dx, 0, d, blk("smooth_stone") if chance(r, 0.5) else found)


def _windows(c: Canvas, w: int, d: int, h1: int, storeys: int, door_x: int) -> None:
    r = c.rng
    every = ri(r, 2, 3)
    tall = 2 if h1 >= 4 and chance(r, 0.5) else 1
    for s in range(storeys):
        y = 2 + s * h1
        window_row(c, 0, w - 1, d - 1, y, every, tall, skip=(door_x,) if s == 0 else ())
        window_row(c, 0, w - 1, 0, y, every, tall)
        window_col(c, 0, d - 1, 0, y, every, tall)
        window_col(c, 0, d - 1, w - 1, y, every, tall)


def _interior(c: Canvas, w: int, d: int, h1: int, storeys: int) -> None:
    """Floors, shelves and a light inside (seen through windows and in slices of the data)."""
    r = c.rng
    if storeys == 2:
        c.fill(1, h1 + 1, 1, w - 2, h1 + 1, d - 2, blk(pick(r, ("oak_planks", "spruce_planks"))))
    c.fill(1, 1, 1, ri(r, 1, max(1, w // 2 - 1)), ri(r, 1, 2), 1, blk("bookshelf"))
    c.put(w - 2, 1, 1, pick(r, (LANTERN, blk("glowstone"), TORCH)))


def _porch(c: Canvas, dx: int, d: int, h1: int, found: int) -> None:
    c.fill(dx - 2, 0, d, dx + 2, 0, d + 1, found)
    for x in (dx - 2, dx + 2):
        c.fill(x, 1, d + 1, x, h1 - 1, d + 1, FENCE)
    c.fill(dx - 2, h1, d, dx + 2, h1, d + 1, slab("oak"))
    c.put(dx - 2, 1 + h1 - 1, d + 1, FENCE)


def hut(c: Canvas, big: bool) -> None:
    """Small hut: square with log posts or round, one door, thatch (hay) or plank stepped roof."""
    r = c.rng
    round_ = chance(r, 0.35)
    rad = ri(r, 4, 6) if big else ri(r, 2, 3)
    n = 2 * rad + 1
    mask = disk(rad, square=not round_)
    h = ri(r, 4, 5) if big else ri(r, 2, 3)
    c.place(n + 2, n + 2)
    c.ox, c.oz = c.ox + 1, c.oz + 1
    wall = blk(pick(r, ("oak_planks", "spruce_planks", "dirt", "cobblestone", "birch_planks", "mossy_cobblestone")))
    stamp(c, mask, 0, 0, 0, blk(pick(r, ("dirt", "cobblestone", "oak_planks"))))
    stamp(c, ring(mask), 0, 1, 0, wall, h)
    if not round_:
        post = pick(r, (log("oak"), log("spruce")))
        for x, z in ((0, 0), (0, n - 1), (n - 1, 0), (n - 1, n - 1)):
            c.fill(x, 1, z, x, h, z, post)
    front = max(k for k in range(n) if mask[rad, k])
    door_at(c, rad, 1, front, "north")
    c.put(0, 2, rad, PANE)
    if chance(r, 0.5):
        c.put(n - 1, 2, rad, PANE)
    roof = HAY if chance(r, 0.65) else blk(pick(r, ("spruce_planks", "oak_planks", "dark_oak_planks")))
    y, radius = h + 1, rad + 1
    while radius >= 0:
        stamp(c, disk(radius, square=not round_), rad - radius, y, rad - radius, roof)
        y, radius = y + 1, radius - 1
    if chance(r, 0.5):
        c.put(rad + 2, 0, front + 1, FENCE)
        c.put(rad + 2, 1, front + 1, TORCH)


def tower(c: Canvas, big: bool) -> None:
    """Round or square stone tower with a door, slit windows and crenellations on top."""
    r = c.rng
    rad = ri(r, 3, 6) if big else ri(r, 2, 3)
    h = ri(r, 16, 24) if big else ri(r, 8, 12)
    square = chance(r, 0.4)
    corbel = big or chance(r, 0.5)
    n = 2 * rad + 1
    c.place(n + 2, n + 2)
    c.ox, c.oz = c.ox + 1, c.oz + 1
    mat = pick(r, _STONE[:4])
    wall, body = disk(rad, square), blk(mat)
    stamp(c, wall, 0, 0, 0, body)
    stamp(c, ring(wall), 0, 1, 0, body, h - 1)
    if big:
        band = blk(pick(r, ("smooth_stone", "stone", "cobblestone", "bricks")))
        for y in range(ri(r, 4, 6), h - 2, ri(r, 5, 7)):
            stamp(c, ring(wall), 0, y, 0, band)
    for y in range(3, h - 1, ri(r, 3, 4)):
        for x, z in ((rad, 0), (rad, n - 1), (0, rad), (n - 1, rad)):
            if (x, z) != (rad, n - 1) or y > 3:
                c.fill(x, y, z, x, y + (1 if big else 0), z, PANE)
    door_at(c, rad, 1, n - 1, "north")
    top_mask, off = (disk(rad + 1, square), -1) if corbel else (wall, 0)
    stamp(c, top_mask, off, h, off, body)
    crenellate(c, top_mask, off, h + 1, off, body)
    if big and chance(r, 0.5):
        crenellate(c, top_mask, off, h + 2, off, body)
    if chance(r, 0.5):
        c.put(rad, h + 1, rad, pick(r, (TORCH, LANTERN)))
    _weather(c, mat, r.uniform(0.0, 0.3))


def lighthouse(c: Canvas, big: bool) -> None:
    """Striped round tower with a railed gallery, a glass lantern room and a cap."""
    r = c.rng
    rad = ri(r, 3, 4) if big else 2
    h = ri(r, 16, 21) if big else ri(r, 8, 10)
    a, b = (blk(s) for s in pick(r, (("white_wool", "red_wool"), ("white_wool", "stone_bricks"),
                                        ("smooth_stone", "red_wool"), ("white_wool", "terracotta"))))
    stripe = ri(r, 3, 4) if big else ri(r, 2, 3)
    n = 2 * rad + 1
    c.place(n + 4, n + 4)
    c.ox, c.oz = c.ox + 2, c.oz + 2
    plinth = blk(pick(r, ("stone_bricks", "cobblestone", "stone")))
    steps = 2 if big else 1
    stamp(c, disk(rad + 1), -1, 0, -1, plinth, steps)
    for y in range(1, h):
        stamp(c, ring(disk(rad)), 0, y, 0, a if ((y - 1) // stripe) % 2 == 0 else b)
    door_at(c, rad, steps, n - 1, "north")
    gallery = disk(rad + 1, square=True)
    stamp(c, gallery, -1, h, -1, plinth)
    stamp(c, ring(gallery), -1, h + 1, -1, FENCE)
    inner = max(1, rad - 1)
    room_h = 3 if big else 2
    stamp(c, ring(disk(inner, square=True)), rad - inner, h + 1, rad - inner, blk("glass"), room_h)
    c.fill(rad, h + 1, rad, rad, h + room_h, rad, blk("glowstone"))
    stamp(c, disk(inner, square=True), rad - inner, h + room_h + 1, rad - inner, a)
    c.put(rad, h + room_h + 2, rad, b)
    if big:
        stamp(c, ring(disk(rad)), 0, h - 1, 0, plinth)


def windmill(c: Canvas, big: bool) -> None:
    """Square mill house with a stone base, gable roof and four cloth sails on the front."""
    r = c.rng
    b = ri(r, 8, 11) if big else ri(r, 4, 6)
    h = ri(r, 13, 16) if big else ri(r, 7, 9)
    arm = ri(r, 9, 12) if big else ri(r, 6, 7)
    arm = min(arm, (c.size - 1) // 2, h - 1)
    width = max(b, 2 * arm + 1)
    c.place(width, b + 1)
    c.ox += (width - b) // 2
    cx = b // 2
    base = blk(pick(r, ("cobblestone", "stone_bricks", "stone")))
    upper = blk(pick(r, ("oak_planks", "spruce_planks", "birch_planks", "white_wool")))
    corner = pick(r, (log("oak"), log("spruce"), base))
    split = h // 3
    c.fill(0, 0, 0, b - 1, 0, b - 1, base)
    c.shell(0, 1, 0, b - 1, split, b - 1, base)
    c.shell(0, split + 1, 0, b - 1, h, b - 1, upper)
    for x, z in ((0, 0), (0, b - 1), (b - 1, 0), (b - 1, b - 1)):
        c.fill(x, 1, z, x, h, z, corner)
    door_at(c, b - 1, 1, b // 2, "west")
    window_col(c, 0, b - 1, 0, split + 2, 3)
    roof = pick(r, ("oak", "stone_brick"))
    gable_roof(c, 0, b - 1, 0, b - 1, h + 1, roof, upper)
    hub = h - 1
    c.fill(cx, hub, b - 1, cx, hub, b, log("oak", "z"))
    spar = log("oak", "y"), log("oak", "x")
    cloth = blk(pick(r, ("white_wool", "white_wool", "red_wool")))
    cw = 3 if big else 2  # sail width
    c.fill(cx, hub + 1, b, cx, hub + arm, b, spar[0])
    c.fill(cx, hub - arm, b, cx, hub - 1, b, spar[0])
    c.fill(cx - arm, hub, b, cx - 1, hub, b, spar[1])
    c.fill(cx + 1, hub, b, cx + arm, hub, b, spar[1])
    c.fill(cx - cw, hub + 2, b, cx - 1, hub + arm, b, cloth)
    c.fill(cx + 1, hub - arm, b, cx + cw, hub - 2, b, cloth)
    c.fill(cx - arm, hub - cw, b, cx - 2, hub - 1, b, cloth)
    c.fill(cx + 2, hub + 1, b, cx + arm, hub + cw, b, cloth)
