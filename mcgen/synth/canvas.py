"""A drawing surface for the procedural generator, and the checks every sample must pass.

Generators draw in vocabulary indices (``DEFAULT_VOCAB``) on a cubic array, always with the
front facing south (+z); the caller turns the finished sample. :meth:`Canvas.finish` keeps the
largest 6-connected piece that stands on ``y = 0`` and gives every fence and glass pane the
connection state its neighbours call for (a cell whose neighbours call for a shape the
vocabulary lacks, such as a corner, becomes a full block: a log post or a glass block).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from mcgen.blocks import AIR, format_state, parse_state
from mcgen.vocab import DEFAULT_VOCAB, is_partial

DIRS = ("north", "east", "south", "west")
# (dx, dz) per direction; +x east, +z south.
_DELTA = {"north": (0, -1), "east": (1, 0), "south": (0, 1), "west": (-1, 0)}
_OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}
_NOT_CONNECTING = ("_leaves",)  # full cubes that fences and panes never join (game exception list)


# --- vocabulary indices ---------------------------------------------------------------------
def ix(state: str) -> int:
    """Vocabulary index of a canonical state (KeyError when it is not in ``DEFAULT_VOCAB``)."""
    return DEFAULT_VOCAB.index(state)


def blk(name: str) -> int:
    """Index of a property-less block, e.g. ``blk("stone_bricks")``."""
    return ix(f"minecraft:{name}")


def log(kind: str = "oak", axis: str = "y") -> int:
    """Index of a ``{kind}_log`` along ``axis``."""
    return ix(format_state(f"minecraft:{kind}_log", {"axis": axis}))


def stairs(material: str, facing: str) -> int:
    """Index of bottom, straight ``{material}_stairs`` climbing towards ``facing``."""
    return ix(format_state(f"minecraft:{material}_stairs",
                           {"facing": facing, "half": "bottom", "shape": "straight", "waterlogged": "false"}))


def slab(material: str = "oak", kind: str = "bottom") -> int:
    """Index of a ``{material}_slab`` of ``kind`` (bottom|top)."""
    return ix(format_state(f"minecraft:{material}_slab", {"type": kind, "waterlogged": "false"}))


def door(facing: str, half: str) -> int:
    """Index of one half (lower|upper) of a closed oak door facing ``facing``."""
    return ix(format_state("minecraft:oak_door",
                           {"facing": facing, "half": half, "hinge": "left", "open": "false", "powered": "false"}))


def _connected(name: str, dirs: tuple[str, ...]) -> int:
    props = {d: ("true" if d in dirs else "false") for d in DIRS}
    props["waterlogged"] = "false"
    return ix(format_state(name, props))


FENCE = _connected("minecraft:oak_fence", ())
PANE = _connected("minecraft:glass_pane", ("east", "west"))
LEAVES = ix("minecraft:oak_leaves[distance=1,persistent=true,waterlogged=false]")
HAY = ix("minecraft:hay_block[axis=y]")
GRASS = ix("minecraft:grass_block[snowy=false]")
LANTERN = ix("minecraft:lantern[hanging=false,waterlogged=false]")
TORCH = blk("torch")
WATER = ix("minecraft:water[level=0]")


# --- per-index lookup tables (neighbour rules) -----------------------------------------------
@lru_cache(maxsize=1)
def _tables() -> dict[str, np.ndarray]:
    n = len(DEFAULT_VOCAB)
    kind = np.zeros(n, np.int8)  # 1 fence, 2 pane
    sturdy = np.zeros(n, bool)  # full cube whose sides fences/panes attach to
    stair_facing = np.full(n, -1, np.int8)
    for i, s in enumerate(DEFAULT_VOCAB.states):
        name, props = parse_state(s)
        if name.endswith("_fence"):
            kind[i] = 1
        elif name.endswith("_pane"):
            kind[i] = 2
        elif name.endswith("_stairs"):
            stair_facing[i] = DIRS.index(props["facing"])
        elif s != AIR and not is_partial(s) and not name.endswith(_NOT_CONNECTING) and "water" not in name:
            sturdy[i] = True
    return {"kind": kind, "sturdy": sturdy, "stair_facing": stair_facing}


@lru_cache(maxsize=1)
def _connected_states() -> dict[tuple[int, frozenset[str]], int]:
    """(kind, connected sides) -> vocabulary index, for the shapes the vocabulary has."""
    out: dict[tuple[int, frozenset[str]], int] = {}
    for i, s in enumerate(DEFAULT_VOCAB.states):
        name, props = parse_state(s)
        k = 1 if name.endswith("_fence") else 2 if name.endswith("_pane") else 0
        if k:
            out[(k, frozenset(d for d in DIRS if props.get(d) == "true"))] = i
    return out


def _neighbour(a: np.ndarray, d: str) -> np.ndarray:
    """``out[x, y, z] = a[x + dx, y, z + dz]`` with air beyond the edge."""
    dx, dz = _DELTA[d]
    out = np.zeros_like(a)
    X, _, Z = a.shape
    out[max(0, -dx):X - max(0, dx), :, max(0, -dz):Z - max(0, dz)] = \
        a[max(0, dx):X - max(0, -dx), :, max(0, dz):Z - max(0, -dz)]
    return out


def wanted_connections(a: np.ndarray) -> dict[str, np.ndarray]:
    """For every cell, whether a fence/pane there would connect towards each side.

    Fences join fences and sturdy faces; panes join panes and sturdy faces (glass included);
    a stair's full back is sturdy on its ``facing`` side.
    """
    t = _tables()
    own = t["kind"][a]
    out = {}
    for d in DIRS:
        nb = _neighbour(a, d)
        face_back = t["stair_facing"][nb] == DIRS.index(_OPPOSITE[d])
        out[d] = t["sturdy"][nb] | face_back | ((t["kind"][nb] == own) & (own > 0))
    return out


def connection_problems(a: np.ndarray) -> list[tuple[int, int, int]]:
    """Cells holding a fence or pane whose stored connections disagree with its neighbours."""
    t = _tables()
    want = wanted_connections(a)
    have = {d: np.zeros(len(DEFAULT_VOCAB), bool) for d in DIRS}
    for (_, sides), i in _connected_states().items():
        for d in sides:
            have[d][i] = True
    bad = np.zeros(a.shape, bool)
    for d in DIRS:
        bad |= want[d] != have[d][a]
    bad &= t["kind"][a] > 0
    return [tuple(int(v) for v in p) for p in np.argwhere(bad)]


def fix_connections(a: np.ndarray, fence_fallback: int, pane_fallback: int) -> np.ndarray:
    """Set every fence/pane to the state its neighbours call for, in place; returns ``a``.

    Shapes missing from the vocabulary (corners, ends, crossings) become the fallback full
    block, which can change what nearby cells want, so this repeats until nothing changes.
    """
    t = _tables()
    states = _connected_states()
    for _ in range(64):
        want = wanted_connections(a)
        changed = False
        for x, y, z in np.argwhere(t["kind"][a] > 0):
            k = int(t["kind"][a[x, y, z]])
            sides = frozenset(d for d in DIRS if want[d][x, y, z])
            new = states.get((k, sides), fence_fallback if k == 1 else pane_fallback)
            if new != a[x, y, z]:
                a[x, y, z] = new
                changed = True
        if not changed:
            return a
    raise RuntimeError("fence/pane connections did not settle")  # a bug, never user input


def components(solid: np.ndarray) -> np.ndarray:
    """Label 6-connected components of a boolean ``(X, Y, Z)`` mask (0 = empty, 1.. = piece)."""
    X, Y, Z = solid.shape
    # Work on a padded, flattened copy so that neighbours are plain integer offsets.
    pad = np.pad(solid, 1)
    flat = pad.ravel().tolist()
    sy, sx = Z + 2, (Y + 2) * (Z + 2)
    steps = (1, -1, sy, -sy, sx, -sx)
    labels = [0] * len(flat)
    n = 0
    for start in np.flatnonzero(pad).tolist():
        if labels[start]:
            continue
        n += 1
        labels[start] = n
        todo = [start]
        while todo:
            p = todo.pop()
            for d in steps:
                q = p + d
                if flat[q] and not labels[q]:
                    labels[q] = n
                    todo.append(q)
    out = np.array(labels, np.int32).reshape(pad.shape)
    return np.ascontiguousarray(out[1:-1, 1:-1, 1:-1])


def keep_main_piece(a: np.ndarray) -> np.ndarray:
    """Air out everything but the largest 6-connected piece touching ``y = 0``, in place."""
    labels = components(a != 0)
    grounded = np.unique(labels[:, 0, :])
    grounded = grounded[grounded > 0]
    if grounded.size == 0:
        a[...] = 0
        return a
    sizes = np.bincount(labels.ravel())
    best = grounded[np.argmax(sizes[grounded])]
    a[labels != best] = 0
    return a


class Canvas:
    """A cubic array of vocabulary indices with box drawing and a movable origin.

    Coordinates passed to the drawing methods are relative to ``(ox, 0, oz)``; anything that
    falls outside the grid is dropped (and :meth:`finish` then removes loose remains).
    """

    def __init__(self, size: int, rng: np.random.Generator) -> None:
        self.size = size
        self.rng = rng
        self.a = np.zeros((size, size, size), np.uint16)
        self.ox = 0
        self.oz = 0

    def place(self, width: int, depth: int, margin: int = 0) -> None:
        """Put a ``width`` x ``depth`` footprint (x, z) at a random spot that fits, ``margin`` kept free."""
        s = self.size
        self.ox = margin + int(self.rng.integers(0, max(1, s - width - 2 * margin + 1)))
        self.oz = margin + int(self.rng.integers(0, max(1, s - depth - 2 * margin + 1)))

    def fill(self, x0: int, y0: int, z0: int, x1: int, y1: int, z1: int, b: int) -> None:
        """Fill the inclusive box between two corners with block ``b``."""
        xs = sorted((x0 + self.ox, x1 + self.ox))
        ys = sorted((y0, y1))
        zs = sorted((z0 + self.oz, z1 + self.oz))
        s = self.size
        lo = [max(0, v[0]) for v in (xs, ys, zs)]
        hi = [min(s - 1, v[1]) for v in (xs, ys, zs)]
        if all(lo[i] <= hi[i] for i in range(3)):
            self.a[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1] = b

    def put(self, x: int, y: int, z: int, b: int) -> None:
        """Set one block."""
        self.fill(x, y, z, x, y, z, b)

    def get(self, x: int, y: int, z: int) -> int:
        """Block at a relative position (air outside the grid)."""
        x, z = x + self.ox, z + self.oz
        s = self.size
        return int(self.a[x, y, z]) if 0 <= x < s and 0 <= y < s and 0 <= z < s else 0

    def shell(self, x0: int, y0: int, z0: int, x1: int, y1: int, z1: int, b: int) -> None:
        """The four vertical walls of a box (no floor, no ceiling)."""
        self.fill(x0, y0, z0, x1, y1, z0, b)
        self.fill(x0, y0, z1, x1, y1, z1, b)
        self.fill(x0, y0, z0, x0, y1, z1, b)
        self.fill(x1, y0, z0, x1, y1, z1, b)

    def weather(self, src: int, dst: int, p: float) -> None:
        """Swap a random fraction ``p`` of ``src`` blocks for ``dst`` (moss, cracks, patches)."""
        mask = (self.a == src) & (self.rng.random(self.a.shape) < p)
        self.a[mask] = dst

    def finish(self, fence_fallback: int | None = None, pane_fallback: int | None = None) -> np.ndarray:
        """Keep the main grounded piece and settle fence/pane connections; returns the array."""
        keep_main_piece(self.a)
        fix_connections(self.a, log("oak") if fence_fallback is None else fence_fallback,
                        blk("glass") if pane_fallback is None else pane_fallback)
        return self.a

