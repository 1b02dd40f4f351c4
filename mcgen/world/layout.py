"""Placing several buildings near a point: a row/grid with gaps, never overlapping."""

from __future__ import annotations

import math


def grid_layout(sizes: list[tuple[int, int, int]], origin_xz: tuple[int, int], spacing: int = 4,
                cols: int | None = None) -> list[tuple[int, int]]:
    """Min-corner ``(x, z)`` for each building, in a grid of equal cells starting at ``origin_xz``.

    Cells are as wide/deep as the largest footprint plus ``spacing``, so footprints are at least
    ``spacing`` blocks apart and never overlap. Buildings run east (+x) then south (+z).

    Args:
        sizes: ``(X, Y, Z)`` of each building.
        origin_xz: the first building's north-west corner.
        spacing: gap in blocks between neighbours (>= 0).
        cols: buildings per row (default ``ceil(sqrt(n))``).
    """
    if not sizes:
        return []
    spacing = max(0, int(spacing))
    cols = cols or math.ceil(math.sqrt(len(sizes)))
    cell_x = max(s[0] for s in sizes) + spacing
    cell_z = max(s[2] for s in sizes) + spacing
    ox, oz = origin_xz
    return [(ox + (i % cols) * cell_x, oz + (i // cols) * cell_z) for i in range(len(sizes))]


def footprint_extent(sizes: list[tuple[int, int, int]], spacing: int = 4, cols: int | None = None) -> tuple[int, int]:
    """Total ``(dx, dz)`` the layout of ``sizes`` covers."""
    corners = grid_layout(sizes, (0, 0), spacing, cols)
    return (max(x + s[0] for (x, _), s in zip(corners, sizes)), max(z + s[2] for (_, z), s in zip(corners, sizes)))


def boxes_overlap(a: tuple[tuple[int, int, int], tuple[int, int, int]],
                  b: tuple[tuple[int, int, int], tuple[int, int, int]]) -> bool:
    """Do two half-open boxes ``(min, max_exclusive)`` share a block?"""
    return all(a[0][i] < b[1][i] and b[0][i] < a[1][i] for i in range(3))
