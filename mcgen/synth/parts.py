"""Reusable building parts for the archetypes: random helpers, roofs, rings, crenellations.

Everything is drawn in canonical orientation: the front faces south (+z), ridges run along x.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from mcgen.synth.canvas import FENCE, PANE, Canvas, door, slab, stairs

T = TypeVar("T")


def ri(rng: np.random.Generator, lo: int, hi: int) -> int:
    """Uniform integer in ``[lo, hi]`` (inclusive)."""
    return int(rng.integers(lo, hi + 1))


def pick(rng: np.random.Generator, options: Sequence[T]) -> T:
    """One element of ``options``, uniformly."""
    return options[int(rng.integers(0, len(options)))]


def chance(rng: np.random.Generator, p: float) -> bool:
    """True with probability ``p``."""
    return bool(rng.random() < p)


def gable_roof(c: Canvas, x0: int, x1: int, z0: int, z1: int, y0: int,
               material: str, gable: int, ridge: int | None = None, overhang: int = 1) -> int:
    """A stair roof over walls ``x0..x1`` by ``z0..z1`` with the ridge along x; returns the top y.

    The gable triangles at ``x0`` and ``x1`` are filled with block ``gable``; an odd depth
    gets a ridge row of ``ridge`` (default: a bottom slab of the roof material).
    """
    ridge = slab(material) if ridge is None else ridge
    zl, zr, y = z0 - overhang, z1 + overhang, y0
    xa, xb = x0 - overhang, x1 + overhang
    while True:
        if zl < zr:
            c.fill(xa, y, zl, xb, y, zl, stairs(material, "south"))
            c.fill(xa, y, zr, xb, y, zr, stairs(material, "north"))
            if zl + 1 <= zr - 1:
                c.fill(x0, y, zl + 1, x0, y, zr - 1, gable)
                c.fill(x1, y, zl + 1, x1, y, zr - 1, gable)
            if zl + 1 >= zr:
                return y
        else:
            c.fill(xa, y, zl, xb, y, zl, ridge)
            return y
        zl, zr, y = zl + 1, zr - 1, y + 1


def door_at(c: Canvas, x: int, y: int, z: int, facing: str) -> None:
    """A two-block oak door whose lower half is at ``(x, y, z)``."""
    c.put(x, y, z, door(facing, "lower"))
    c.put(x, y + 1, z, door(facing, "upper"))


def disk(radius: int, square: bool = False) -> np.ndarray:
    """Boolean ``(n, n)`` mask (x, z) of a filled circle (or square), ``n = 2 * radius + 1``."""
    n = 2 * radius + 1
    if square:
        return np.ones((n, n), bool)
    g = np.arange(n) - radius
    return (g[:, None] ** 2 + g[None, :] ** 2) <= (radius + 0.4) ** 2


def ring(mask: np.ndarray) -> np.ndarray:
    """The boundary cells of a filled (x, z) mask (4-neighbourhood)."""
    m = np.pad(mask, 1)
    inner = m[1:-1, 1:-1] & m[:-2, 1:-1] & m[2:, 1:-1] & m[1:-1, :-2] & m[1:-1, 2:]
    return mask & ~inner


def stamp(c: Canvas, mask: np.ndarray, x0: int, y: int, z0: int, b: int, height: int = 1) -> None:
    """Fill the cells of an (x, z) ``mask`` at ``x0 + i, z0 + k`` for ``height`` levels from ``y``."""
    for i, k in np.argwhere(mask):
        c.fill(x0 + int(i), y, z0 + int(k), x0 + int(i), y + height - 1, z0 + int(k), b)


def crenellate(c: Canvas, mask: np.ndarray, x0: int, y: int, z0: int, b: int) -> None:
    """Merlons on every other boundary cell of ``mask`` at level ``y``."""
    edge = ring(mask)
    for i, k in np.argwhere(edge):
        if (int(i) + int(k)) % 2 == 0:
            c.put(x0 + int(i), y, z0 + int(k), b)


def window_row(c: Canvas, x0: int, x1: int, z: int, y: int, every: int, height: int = 1,
               skip: Sequence[int] = ()) -> None:
    """Panes along a wall parallel to x at ``z``, one every ``every`` cells between the corners."""
    for x in range(x0 + 1, x1):
        if (x - x0) % every == every // 2 and all(abs(x - s) > 1 for s in skip):
            c.fill(x, y, z, x, y + height - 1, z, PANE)


def window_col(c: Canvas, z0: int, z1: int, x: int, y: int, every: int, height: int = 1,
               skip: Sequence[int] = ()) -> None:
    """Panes along a wall parallel to z at ``x``."""
    for z in range(z0 + 1, z1):
        if (z - z0) % every == every // 2 and all(abs(z - s) > 1 for s in skip):
            c.fill(x, y, z, x, y + height - 1, z, PANE)


def railing(c: Canvas, x0: int, x1: int, z: int, y: int, post: int, every: int) -> None:
    """Fences along x at ``z`` with full-block posts at both ends and every ``every`` cells."""
    for x in range(x0, x1 + 1):
        is_post = x in (x0, x1) or (x - x0) % every == 0
        c.put(x, y, z, post if is_post else FENCE)
