"""Archetypes without a closed room: wall with gate, bridge, well, pyramid, tree.

Same conventions as :mod:`mcgen.synth.buildings`: canonical orientation, ``big`` on 32-grids.
"""

from __future__ import annotations

import numpy as np

from mcgen.synth.canvas import FENCE, GRASS, LANTERN, LEAVES, WATER, Canvas, blk, log, slab, stairs
from mcgen.synth.parts import chance, crenellate, disk, door_at, gable_roof, pick, railing, ri, stamp

_MOSS = {"stone_bricks": "mossy_stone_bricks", "cobblestone": "mossy_cobblestone"}


def _weather(c: Canvas, material: str, p: float) -> None:
    if material in _MOSS:
        c.weather(blk(material), blk(_MOSS[material]), p)


def wall(c: Canvas, big: bool) -> None:
    """A crenellated curtain wall along x with a gate in it, often between two gate towers."""
    r = c.rng
    s = c.size
    length = ri(r, s - 8, s) if big else ri(r, s - 4, s)
    t = ri(r, 2, 3) if big else ri(r, 1, 2)
    h = ri(r, 7, 10) if big else ri(r, 4, 6)
    gw = ri(r, 3, 5) if big else ri(r, 2, 3)
    gh = min(h - 2, ri(r, 4, 6) if big else ri(r, 3, 4))
    towers = big or chance(r, 0.5)
    c.place(length, t + 4)
    c.oz += 2
    matname = pick(r, ("stone_bricks", "cobblestone", "stone", "sandstone", "bricks"))
    mat = blk(matname)
    c.fill(0, 0, 0, length - 1, h, t - 1, mat)
    crenellate(c, np.ones((length, t), bool), 0, h + 1, 0, mat)
    g0 = (length - gw) // 2 + ri(r, -1, 1)
    if towers:
        for x0 in (g0 - 3, g0 + gw):
            c.fill(x0, 0, -1, x0 + 2, h + 2, t, mat)
            crenellate(c, np.ones((3, t + 2), bool), x0, h + 3, -1, mat)
    for x0 in (0, length - 3) if chance(r, 0.5) and length > 10 else ():
        c.fill(x0, 0, -1, x0 + 2, h + 1, t, mat)
        crenellate(c, np.ones((3, t + 2), bool), x0, h + 2, -1, mat)
    c.fill(g0, 0, -1, g0 + gw - 1, gh - 1, t, 0)
    gate = pick(r, ("open", "portcullis", "doors") if gw == 2 else ("open", "portcullis"))
    if gate == "portcullis":
        c.fill(g0, gh - 1, 0, g0 + gw - 1, gh - 1, 0, FENCE)
    elif gate == "doors":
        door_at(c, g0, 0, t - 1, "north")
        door_at(c, g0 + 1, 0, t - 1, "north")
    _weather(c, matname, r.uniform(0.0, 0.35))


def bridge(c: Canvas, big: bool) -> None:
    """A bridge along x: ramps of stairs, a deck with railings, and a stone arch or log piers."""
    r = c.rng
    s = c.size
    length = ri(r, s - 6, s) if big else ri(r, s - 3, s)
    width = ri(r, 3, 5) if big else 3
    hd = ri(r, 4, 7) if big else ri(r, 3, 4)
    stone = chance(r, 0.55)
    deck = blk(pick(r, ("stone_bricks", "cobblestone", "smooth_stone")) if stone else
               pick(r, ("oak_planks", "spruce_planks", "birch_planks", "dark_oak_planks")))
    smat = "stone_brick" if stone else "oak"
    c.place(length, width)
    a, b = hd, length - 1 - hd
    c.fill(a, hd, 0, b, hd, width - 1, deck)
    for i in range(1, hd + 1):
        c.fill(a - i, hd - i, 0, a - i, hd - i, width - 1, stairs(smat, "east"))
        c.fill(b + i, hd - i, 0, b + i, hd - i, width - 1, stairs(smat, "west"))
        if hd - i - 1 >= 0:
            c.fill(a - i, 0, 0, a - i, hd - i - 1, width - 1, deck)
            c.fill(b + i, 0, 0, b + i, hd - i - 1, width - 1, deck)
    if stone:
        half = (b - a) / 2
        for x in range(a, b + 1):
            u = (x - (a + b) / 2) / max(half, 1)
            under = int(round((hd - 1) * (1 - u * u) ** 0.5))
            c.fill(x, 0 if under <= 0 else under, 0, x, hd - 1, width - 1, deck)
    else:
        pier = log("oak") if chance(r, 0.5) else log("spruce")
        for x in list(range(a, b + 1, ri(r, 3, 4))) + [b]:
            for z in (0, width - 1):
                c.fill(x, 0, z, x, hd - 1, z, pier)
    post = log("oak") if not stone else deck
    every = ri(r, 3, 5)
    for z in (0, width - 1):
        railing(c, a, b, z, hd + 1, post, every)
        if big and chance(r, 0.6):
            for x in (a, b):
                c.put(x, hd + 2, z, LANTERN)


def well(c: Canvas, big: bool) -> None:
    """A ring of stone around water, two posts and a small stair roof."""
    r = c.rng
    o = ri(r, 7, 9) if big else ri(r, 4, 5)
    hw = ri(r, 2, 3) if big else 2
    pad = 3 if big else 1
    c.place(o + 2 * pad, o + 2 * pad)
    c.ox, c.oz = c.ox + pad, c.oz + pad
    matname = pick(r, ("cobblestone", "stone_bricks", "stone", "bricks", "sandstone"))
    mat = blk(matname)
    c.fill(0, 0, 0, o - 1, 0, o - 1, mat)
    if big:
        paving = blk(pick(r, ("cobblestone", "stone", "smooth_stone", "stone_bricks")))
        c.fill(-pad, 0, -pad, o - 1 + pad, 0, o - 1 + pad, paving)
        c.fill(0, 0, 0, o - 1, 0, o - 1, mat)
    c.shell(0, 1, 0, o - 1, hw - 1, o - 1, mat)
    c.fill(1, 1, 1, o - 2, max(1, hw - 2), o - 2, WATER)
    post = pick(r, (FENCE, log("oak"), log("spruce")))
    mid = o // 2
    ph = ri(r, 2, 3) + (1 if big else 0)
    for x in (0, o - 1):
        c.fill(x, hw, mid, x, hw + ph - 1, mid, post)
    if chance(r, 0.6):
        c.fill(1, hw + ph - 1, mid, o - 2, hw + ph - 1, mid, log("oak", "x"))
    roof = pick(r, ("oak", "stone_brick"))
    gable = pick(r, (blk("oak_planks"), blk("spruce_planks"), mat))
    if chance(r, 0.8):
        gable_roof(c, 0, o - 1, mid - 1, mid + 1, hw + ph, roof, gable)
    else:
        c.fill(-1, hw + ph, mid - 1, o, hw + ph, mid + 1, slab(roof))
    if big and chance(r, 0.5):
        c.put(o - 1, hw, 0, LANTERN)
    _weather(c, matname, r.uniform(0.0, 0.3))


def pyramid(c: Canvas, big: bool) -> None:
    """A stepped or stair-faced pyramid with an entrance on the front."""
    r = c.rng
    s = c.size
    base = ri(r, 17, s - 1) if big else ri(r, 9, s - 1)
    base -= 1 - base % 2
    mat = pick(r, ("sandstone", "sandstone", "stone_bricks", "smooth_stone"))
    body = blk(mat)
    smooth = chance(r, 0.5) and mat in ("sandstone", "stone_bricks")
    sm = "stone_brick" if mat == "stone_bricks" else "oak"
    c.place(base, base)
    layers = (base + 1) // 2
    for k in range(layers):
        c.fill(k, k, k, base - 1 - k, k, base - 1 - k, body)
        if smooth and k < layers - 1 and mat == "stone_bricks":
            c.fill(k + 1, k, k, base - 2 - k, k, k, stairs(sm, "south"))
            c.fill(k + 1, k, base - 1 - k, base - 2 - k, k, base - 1 - k, stairs(sm, "north"))
            c.fill(k, k, k + 1, k, k, base - 2 - k, stairs(sm, "east"))
            c.fill(base - 1 - k, k, k + 1, base - 1 - k, k, base - 2 - k, stairs(sm, "west"))
    apex = layers - 1
    c.put(apex, apex, apex, blk(pick(r, ("glowstone", "smooth_stone", "sandstone", "stone_bricks"))))
    mid = base // 2
    ew = ri(r, 2, 3) if big else 1  # half-width of the entrance, frame included
    eh = ri(r, 3, 5) if big else 2
    depth = ri(r, 3, 6) if big else ri(r, 1, 3)
    framed = big or chance(r, 0.5)
    trim = blk("smooth_stone") if mat == "sandstone" else blk("sandstone")
    for y in range(1, eh + 1):  # the front face steps back one block per level
        front = base - 1 - y
        c.fill(mid - ew + 1, y, front - depth, mid + ew - 1, y, front, 0)
        if framed:
            c.put(mid - ew, y, front, trim)
            c.put(mid + ew, y, front, trim)
    if framed:
        c.fill(mid - ew, eh + 1, base - 2 - eh, mid + ew, eh + 1, base - 2 - eh, trim)
    if chance(r, 0.5):
        c.weather(body, blk("sand" if mat == "sandstone" else "cobblestone"), r.uniform(0.02, 0.12))


def tree(c: Canvas, big: bool) -> None:
    """An oak with a round crown (and branches when big) or a conical spruce, on a patch of grass."""
    r = c.rng
    conifer = chance(r, 0.35)
    trunk_h = ri(r, 7, 12) if big else ri(r, 3, 6)
    crown = ri(r, 5, 8) if big else ri(r, 2 if conifer else 3, 4)
    c.place(2 * crown + 3, 2 * crown + 3)
    cx = crown + 1
    c.ox, c.oz = c.ox + cx, c.oz + cx
    if chance(r, 0.6):
        gr = ri(r, 1, 2)
        stamp(c, disk(gr), -gr, 0, -gr, pick(r, (GRASS, GRASS, blk("dirt"))))
    kind = "spruce" if conifer else "oak"
    top = min(trunk_h + (2 * crown if conifer else crown), c.size - 2)
    c.fill(0, 0, 0, 0, top - 1, 0, log(kind))
    if conifer:
        _spruce_crown(c, max(2, trunk_h - crown), top, crown)
    else:
        _round_crown(c, trunk_h + crown // 2, crown)
        if big:
            for _ in range(ri(r, 2, 4)):
                _branch(c, ri(r, trunk_h - 2, trunk_h + 1), ri(r, 2, crown))


def _round_crown(c: Canvas, yc: int, rad: int) -> None:
    g = np.arange(-rad, rad + 1)
    dist = (g[:, None, None] ** 2 + (g[None, :, None] * 1.2) ** 2 + g[None, None, :] ** 2) ** 0.5
    keep = dist <= rad + 0.3
    keep &= (dist <= rad - 0.7) | (c.rng.random(keep.shape) < 0.65)
    for i, j, k in np.argwhere(keep):
        x, y, z = int(i) - rad, yc + int(j) - rad, int(k) - rad
        if c.get(x, y, z) == 0:
            c.put(x, y, z, LEAVES)


def _spruce_crown(c: Canvas, y0: int, top: int, rad: int) -> None:
    """A cone of alternating wide and narrow leaf layers, widest at the bottom, a tip on top."""
    span = max(1, top - y0)
    for y in range(y0, top + 1):
        d = top - y
        base = max(1, int(round(rad * d / span))) if d else 0
        rr = base if d % 2 else max(0, base - 1)
        for i, k in np.argwhere(disk(rr)):
            x, z = int(i) - rr, int(k) - rr
            if c.get(x, y, z) == 0:
                c.put(x, y, z, LEAVES)


def _branch(c: Canvas, y: int, length: int) -> None:
    dx, dz = pick(c.rng, ((1, 0), (-1, 0), (0, 1), (0, -1)))
    axis = "x" if dx else "z"
    c.fill(dx, y, dz, dx * length, y, dz * length, log("oak", axis))
    ex, ey, ez = dx * length, y, dz * length
    for i, j, k in np.argwhere(disk(1)[:, None, :] & np.ones((1, 2, 1), bool)):
        x, yy, z = ex + int(i) - 1, ey + 1 + int(j), ez + int(k) - 1
        if c.get(x, yy, z) == 0:
            c.put(x, yy, z, LEAVES)
