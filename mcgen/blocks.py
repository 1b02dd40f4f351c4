"""Block-state strings: the canonical grammar, parsing, and the up-preserving symmetries.

A canonical block state is ``namespace:id`` or ``namespace:id[k=v,...]`` with the properties
sorted by key, no spaces, no empty brackets. Readers of other tools' files call
:func:`canonicalize` (which sorts properties and adds a missing ``minecraft:``); readers of our
own formats call :func:`check_canonical`, which rejects anything else.
"""

from __future__ import annotations

import re
from functools import lru_cache

from mcgen.errors import BlockStateError

AIR = "minecraft:air"

_NAME = r"[a-z0-9_.\-]+:[a-z0-9_.\-/]+"
_PROP = r"[a-z0-9_]+=[a-z0-9_\-]+"
_CANON_RE = re.compile(rf"^({_NAME})(?:\[({_PROP}(?:,{_PROP})*)\])?$")
_LOOSE_RE = re.compile(r"^\s*([A-Za-z0-9_.\-:/]+)\s*(?:\[(.*)\])?\s*$")


def parse_state(state: str) -> tuple[str, dict[str, str]]:
    """Split a canonical block state into its name and properties.

    Raises:
        BlockStateError: ``state`` is not canonical.
    """
    name, props = _parse_canonical(check_canonical(state))
    return name, dict(props)


@lru_cache(maxsize=65536)
def _parse_canonical(state: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    m = _CANON_RE.match(state)
    assert m is not None  # check_canonical ran first
    name, body = m.group(1), m.group(2)
    if not body:
        return name, ()
    return name, tuple(tuple(kv.split("=", 1)) for kv in body.split(","))  # type: ignore[misc]


def format_state(name: str, props: dict[str, str] | None = None) -> str:
    """Build the canonical string for ``name`` and ``props`` (sorted by key)."""
    if not props:
        return name
    body = ",".join(f"{k}={props[k]}" for k in sorted(props))
    return f"{name}[{body}]"


@lru_cache(maxsize=65536)
def check_canonical(state: str) -> str:
    """Return ``state`` if it is canonical.

    Raises:
        BlockStateError: it is not, with the bad string in the message.
    """
    if not isinstance(state, str):
        raise BlockStateError(f"block state must be a string, got {type(state).__name__}: {state!r}")
    m = _CANON_RE.match(state)
    if m is None:
        raise BlockStateError(
            f"malformed block state {state!r}: expected 'namespace:id' or 'namespace:id[key=value,...]'"
        )
    if m.group(2):
        keys = [kv.split("=", 1)[0] for kv in m.group(2).split(",")]
        if keys != sorted(keys) or len(set(keys)) != len(keys):
            raise BlockStateError(
                f"block state {state!r} is not canonical: properties must be sorted by key and unique"
            )
    return state


@lru_cache(maxsize=65536)
def canonicalize(state: str) -> str:
    """Turn a block state written by another tool into canonical form.

    Adds ``minecraft:`` when no namespace is given, lower-cases the name, sorts properties.

    Raises:
        BlockStateError: the string cannot be read as a block state at all.
    """
    if not isinstance(state, str):
        raise BlockStateError(f"block state must be a string, got {type(state).__name__}: {state!r}")
    m = _LOOSE_RE.match(state)
    if m is None:
        raise BlockStateError(f"malformed block state {state!r}")
    name = m.group(1).lower()
    if ":" not in name:
        name = "minecraft:" + name
    props: dict[str, str] = {}
    body = m.group(2)
    if body is not None and body.strip():
        for part in body.split(","):
            if "=" not in part:
                raise BlockStateError(f"malformed property {part.strip()!r} in block state {state!r}")
            k, v = (s.strip() for s in part.split("=", 1))
            if k in props:
                raise BlockStateError(f"duplicate property {k!r} in block state {state!r}")
            props[k.lower()] = v.lower()
    return check_canonical(format_state(name, props))


def base_name(state: str) -> str:
    """The ``namespace:id`` part of a canonical state."""
    return state.split("[", 1)[0]


# --- renamed blocks -----------------------------------------------------------------------
# Blocks whose id the game changed, properties kept: (old id, new id, first DataVersion of the
# new id). A state is written in the spelling of the game version it goes to.
RENAMED_IDS: tuple[tuple[str, str, int], ...] = (
    ("minecraft:grass", "minecraft:short_grass", 3698),  # 1.20.3
    ("minecraft:chain", "minecraft:iron_chain", 4554),  # 1.21.9
)


@lru_cache(maxsize=65536)
def spelled_for(state: str, data_version: int) -> str:
    """``state`` as the game at ``data_version`` names it: a renamed block's old or new id.

    ``minecraft:grass`` becomes ``minecraft:short_grass`` from 1.20.3 on, and back before it;
    every other state is returned unchanged.
    """
    name = base_name(state)
    rest = state[len(name):]
    for old, new, since in RENAMED_IDS:
        if name == old and data_version >= since:
            return new + rest
        if name == new and data_version < since:
            return old + rest
    return state


# --- up-preserving symmetries -------------------------------------------------------------
# Minecraft axes: +x east, +z south, +y up. A quarter turn clockwise seen from above maps
# north -> east -> south -> west -> north, i.e. (x, z) -> (-z, x).
_CW = {"north": "east", "east": "south", "south": "west", "west": "north"}
_MIRROR_X = {"east": "west", "west": "east"}  # mirror across the x axis: flips east/west
_LEFT_RIGHT = {"left": "right", "right": "left"}
_SHAPE_MIRROR = {
    "inner_left": "inner_right", "inner_right": "inner_left",
    "outer_left": "outer_right", "outer_right": "outer_left",
}
_RAIL_SHAPE_CW = {
    "north_south": "east_west", "east_west": "north_south",
    "ascending_north": "ascending_east", "ascending_east": "ascending_south",
    "ascending_south": "ascending_west", "ascending_west": "ascending_north",
    "north_east": "south_east", "south_east": "south_west",
    "south_west": "north_west", "north_west": "north_east",
}
_RAIL_SHAPE_MIRROR = {
    "ascending_east": "ascending_west", "ascending_west": "ascending_east",
    "north_east": "north_west", "north_west": "north_east",
    "south_east": "south_west", "south_west": "south_east",
}
_STAIR_LIKE = ("_stairs",)


def _rotate_props_cw(name: str, props: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in props.items():
        if k in _CW:  # connection properties of fences, panes, walls, vines, ...
            out[_CW[k]] = v
        elif k in ("facing", "horizontal_facing") and v in _CW:
            out[k] = _CW[v]
        elif k == "axis" and v in ("x", "z"):
            out[k] = "z" if v == "x" else "x"
        elif k == "rotation" and v.isdigit():
            out[k] = str((int(v) + 4) % 16)
        elif k == "shape" and v in _RAIL_SHAPE_CW and "rail" in name:
            out[k] = _RAIL_SHAPE_CW[v]
        else:
            out[k] = v
    return out


def _mirror_props_x(name: str, props: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in props.items():
        if k in _MIRROR_X:
            out[_MIRROR_X[k]] = v
        elif k in ("facing", "horizontal_facing") and v in _MIRROR_X:
            out[k] = _MIRROR_X[v]
        elif k == "hinge" and v in _LEFT_RIGHT:
            out[k] = _LEFT_RIGHT[v]
        elif k == "shape" and v in _SHAPE_MIRROR and name.endswith(_STAIR_LIKE):
            out[k] = _SHAPE_MIRROR[v]
        elif k == "shape" and v in _RAIL_SHAPE_MIRROR and "rail" in name:
            out[k] = _RAIL_SHAPE_MIRROR[v]
        elif k == "rotation" and v.isdigit():
            out[k] = str((16 - int(v)) % 16)
        else:
            out[k] = v
    return out


@lru_cache(maxsize=65536)
def transform_state(state: str, quarter_turns: int = 0, mirror: bool = False) -> str:
    """Apply an up-preserving symmetry to a block state.

    The mirror (east <-> west) is applied first, then ``quarter_turns`` clockwise quarter turns
    seen from above. Direction-bearing properties follow: ``facing``, ``axis``, ``rotation``,
    fence/pane/wall connections, door ``hinge``, stair ``shape`` and rail ``shape``.
    """
    name, props = parse_state(state)
    if not props:
        return state
    if mirror:
        props = _mirror_props_x(name, props)
    for _ in range(quarter_turns % 4):
        props = _rotate_props_cw(name, props)
    return format_state(name, props)
