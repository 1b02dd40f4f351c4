"""Isometric pictures of voxel grids: one structure, or a labelled contact sheet.

The camera looks down from the south-east, so the top, east (+x) and south (+z) faces show.
Each block shape (full cube, slab, stairs, fence, pane, door, torch, ...) is ray-cast once per
scale into a small sprite that records, per pixel, which face was hit, its depth and whether
it lies on a block edge. A grid is drawn by splatting the sprites of its visible blocks into a
z-buffer with NumPy, so a 64-sample sheet takes a few seconds on a CPU.
"""

from __future__ import annotations

import io
import math
import os
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mcgen.blocks import AIR, parse_state
from mcgen.fsutil import atomic_write_bytes
from mcgen.grid import VoxelGrid
from mcgen.vocab import color_of

BACKGROUND = (236, 239, 243)
_H_OVER_W = 1.2  # block height on screen relative to half the tile width
_SHADE = np.array([0.80, 1.0, 0.64, 1.0], np.float32)  # hit on x face (east), y (top), z (south); none
_Box = tuple[float, float, float, float, float, float]

# Shapes in a unit cell as boxes (x0, y0, z0, x1, y1, z1).
_FULL: tuple[_Box, ...] = ((0, 0, 0, 1, 1, 1),)
_FACING_BOX = {  # the back half of a stair, by facing
    "north": (0, 0.5, 0, 1, 1, 0.5), "south": (0, 0.5, 0.5, 1, 1, 1),
    "west": (0, 0.5, 0, 0.5, 1, 1), "east": (0.5, 0.5, 0, 1, 1, 1),
}
_DOOR_BOX = {  # a closed door sits against the side it faces away from
    "north": (0, 0, 13 / 16, 1, 1, 1), "south": (0, 0, 0, 1, 1, 3 / 16),
    "west": (13 / 16, 0, 0, 1, 1, 1), "east": (0, 0, 0, 3 / 16, 1, 1),
}


def _shape(state: str) -> tuple[_Box, ...]:
    """The boxes that make up a block state's shape (full cube for anything unknown)."""
    name, props = parse_state(state)
    if name.endswith("_slab"):
        kind = props.get("type", "bottom")
        return _FULL if kind == "double" else ((0, 0.5 if kind == "top" else 0, 0, 1, 1 if kind == "top" else 0.5, 1),)
    if name.endswith("_stairs"):
        base = (0, 0.5, 0, 1, 1, 1) if props.get("half") == "top" else (0, 0, 0, 1, 0.5, 1)
        back = _FACING_BOX.get(props.get("facing", "north"), _FACING_BOX["north"])
        if props.get("half") == "top":
            back = (back[0], 0, back[2], back[3], 0.5, back[5])
        return (base, back)
    if name.endswith(("_fence", "_pane", "_bars", "_wall")):
        t = 0.125 if name.endswith(("_fence", "_wall")) else 0.0625
        boxes = [(0.5 - t * 1.5, 0, 0.5 - t * 1.5, 0.5 + t * 1.5, 1, 0.5 + t * 1.5)]
        arms = {"north": (0.5 - t, 0, 0, 0.5 + t, 1, 0.5), "south": (0.5 - t, 0, 0.5, 0.5 + t, 1, 1),
                "west": (0, 0, 0.5 - t, 0.5, 1, 0.5 + t), "east": (0.5, 0, 0.5 - t, 1, 1, 0.5 + t)}
        lo = 0.35 if name.endswith("_fence") else 0
        boxes += [(b[0], lo, b[2], b[3], 0.95 if lo else 1, b[5]) for d, b in arms.items()
                  if props.get(d) in ("true", "low", "tall")]
        return tuple(boxes)
    if name.endswith("_door") or name.endswith("_trapdoor"):
        return (_DOOR_BOX.get(props.get("facing", "north"), _DOOR_BOX["north"]),)
    if name.endswith("torch"):
        return ((7 / 16, 0, 7 / 16, 9 / 16, 0.65, 9 / 16),)
    if name.endswith("lantern"):
        return ((5 / 16, 0, 5 / 16, 11 / 16, 0.5, 11 / 16),)
    if name.endswith(("_carpet", "_pressure_plate", "snow")) and "block" not in name:
        return ((0, 0, 0, 1, 0.125, 1),)
    return _FULL


def _tile_h(w: int) -> int:
    """On-screen height of a block for tile half-width ``w`` (whole pixels keep rows aligned)."""
    return max(1, round(w * _H_OVER_W))


@lru_cache(maxsize=512)
def _sprite(boxes: tuple[_Box, ...], w: int) -> tuple[np.ndarray, ...]:
    """Ray-cast a shape at tile half-width ``w`` (pixels).

    Returns ``(dx, dy, face, depth, edge)`` for the covered pixels: offsets from the
    projection of the cell's (0, 0, 0) corner, the hit face (0 x, 1 y, 2 z), the depth along
    the view direction, and whether the pixel lies on a box edge.
    """
    h = _tile_h(w)
    view = np.array([1.0, w / h, 1.0])  # null space of the projection, pointing at the camera
    sx = np.arange(-w, w) + 0.5
    sy = np.arange(-h, w) + 0.5
    px, py = np.meshgrid(sx, sy, indexing="xy")  # (H, W)
    # A point on each pixel's ray with z = 0: screen = ((x - z) w, (x + z) w / 2 - y h).
    bx = px / w
    by = (bx * w / 2 - py) / h
    base = np.stack([bx, by, np.zeros_like(bx)], -1)  # (H, W, 3)
    best_t = np.full(px.shape, -np.inf)
    face = np.full(px.shape, 3, np.int8)
    edge = np.zeros(px.shape, bool)
    for box in boxes:
        lo, hi = np.array(box[:3]), np.array(box[3:])
        t_lo = (lo - base) / view  # (H, W, 3)
        t_hi = (hi - base) / view
        t_in, t_out = t_lo.max(-1), t_hi.min(-1)
        hit = (t_in < t_out) & (t_out > best_t)
        f = t_hi.argmin(-1)
        p = base + t_out[..., None] * view  # (H, W, 3) hit points
        tol = 0.75 / w
        near = [(np.abs(p[..., a] - lo[a]) < tol * 1.2) | (np.abs(p[..., a] - hi[a]) < tol * 1.2) for a in range(3)]
        on_edge = np.zeros(px.shape, bool)
        for a in range(3):
            others = [b for b in range(3) if b != a]
            on_edge |= (f == a) & (near[others[0]] | near[others[1]])
        best_t = np.where(hit, t_out, best_t)
        face = np.where(hit, f, face)
        edge = np.where(hit, on_edge, edge)
    ys, xs = np.nonzero(face < 3)
    depth = best_t[ys, xs] * float(view @ view) + base[ys, xs] @ view
    return (xs - w).astype(np.int32), (ys - h).astype(np.int32), face[ys, xs], depth, edge[ys, xs]


def _visible(blocks: np.ndarray, opaque: np.ndarray) -> np.ndarray:
    """Solid cells with at least one of their top, east or south neighbours not opaque."""
    occ = opaque[blocks]
    pad = np.pad(occ, ((0, 1), (0, 1), (0, 1)))
    covered = pad[1:, :-1, :-1] & pad[:-1, 1:, :-1] & pad[:-1, :-1, 1:]
    return (blocks != 0) & ~covered


def render_grid(grid: VoxelGrid, size: int = 256, background: tuple[int, int, int] | None = BACKGROUND,
                crop: bool = True) -> Image.Image:
    """Draw ``grid`` isometrically, fitted into a ``size`` x ``size`` RGB image.

    Args:
        grid: the structure.
        size: edge of the square output in pixels.
        background: fill colour (``None`` gives a transparent RGBA image).
        crop: fit the occupied part rather than the whole grid box.
    """
    mode, bg = ("RGB", background) if background is not None else ("RGBA", (0, 0, 0, 0))
    img = Image.new(mode, (size, size), bg)
    if grid.count() == 0:
        return img
    blocks = grid.blocks
    lo = np.zeros(3, int)
    if crop:
        idx = np.argwhere(blocks != 0)
        lo, hi = idx.min(0), idx.max(0) + 1
        blocks = blocks[lo[0]:hi[0], :hi[1], lo[2]:hi[2]]
    X, Y, Z = blocks.shape
    # Pixel extent for tile half-width w: width (X + Z) w, height (X + Z) w / 2 + Y h.
    fit = min(size / (X + Z), size / ((X + Z) / 2 + Y * _H_OVER_W))
    ss = 2 if fit < 10 else 1  # supersample small tiles, then shrink
    w = max(2, int(fit * ss) // 2 * 2)
    buf_w, buf_h = (X + Z) * w, (X + Z) * w // 2 + Y * _tile_h(w) + 2
    rgb = _draw(grid.palette, blocks, w, buf_w, buf_h)
    pic = Image.fromarray(rgb, "RGBA")
    if ss > 1 or pic.width > size or pic.height > size:
        scale = min(size / pic.width, size / pic.height)
        pic = pic.resize((max(1, round(pic.width * scale)), max(1, round(pic.height * scale))), Image.LANCZOS)
    img.paste(pic, ((size - pic.width) // 2, (size - pic.height) // 2), pic)
    return img


def _draw(palette: list[str], blocks: np.ndarray, w: int, buf_w: int, buf_h: int) -> np.ndarray:
    """Splat visible cells into a z-buffer; returns an ``(H, W, 4)`` uint8 RGBA array."""
    X, Y, Z = blocks.shape
    shapes = [_shape(s) if s != AIR else () for s in palette]
    opaque = np.array([s == _FULL for s in shapes])
    colors = np.array([color_of(s) for s in palette], np.float32)
    h = _tile_h(w)
    ox, oy = Z * w, Y * h + 1  # screen position of grid corner (0, 0, 0)
    xs, ys, zs = np.nonzero(_visible(blocks, opaque))
    ids = blocks[xs, ys, zs]
    depth_buf = np.full(buf_h * buf_w, -np.inf)
    keys_all, pix_all, val_all = [], [], []
    for b in np.unique(ids):
        sel = ids == b
        dx, dy, face, depth, edge = _sprite(shapes[int(b)], w)
        cx = ((xs[sel] - zs[sel]) * w + ox)[:, None] + dx[None, :]  # (N, P)
        cy = ((xs[sel] + zs[sel]) * (w // 2) - ys[sel] * h + oy)[:, None] + dy[None, :]
        d = (xs[sel] + ys[sel] * w / h + zs[sel])[:, None] + depth[None, :]
        shade = _SHADE[face] * np.where(edge, 0.82, 1.0)
        col = colors[int(b)][None, :] * shade[:, None]  # (P, 3)
        ok = (cx >= 0) & (cx < buf_w) & (cy >= 0) & (cy < buf_h)
        pix = (cy * buf_w + cx)[ok]
        keys_all.append(d[ok])
        pix_all.append(pix.astype(np.int64))
        val_all.append(np.broadcast_to(col[None], (len(sel.nonzero()[0]), len(dx), 3))[ok])
    if not keys_all:
        return np.zeros((buf_h, buf_w, 4), np.uint8)
    key, pix, val = np.concatenate(keys_all), np.concatenate(pix_all), np.concatenate(val_all)
    np.maximum.at(depth_buf, pix, key)
    win = key >= depth_buf[pix]
    out = np.zeros((buf_h * buf_w, 4), np.uint8)
    out[pix[win], :3] = np.clip(val[win], 0, 255).astype(np.uint8)
    out[pix[win], 3] = 255
    return out.reshape(buf_h, buf_w, 4)


def _font(px: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=px)
    except TypeError:  # Pillow < 10.1 has only the bitmap font
        return ImageFont.load_default()


def contact_sheet(items: list[tuple[str, VoxelGrid]], path: str | os.PathLike | None,
                  cols: int | None = None, cell: int = 192) -> Image.Image:
    """Render ``(caption, grid)`` pairs in a labelled grid and write it as PNG (atomically).

    Args:
        items: captions and structures, in reading order.
        path: where to write the PNG; ``None`` only returns the image.
        cols: columns (default: about square).
        cell: edge of each picture in pixels.

    Returns:
        The sheet image.
    """
    n = max(1, len(items))
    cols = max(1, min(cols or math.ceil(math.sqrt(n)), n))
    rows = math.ceil(n / cols)
    label_h = max(14, cell // 10)
    sheet = Image.new("RGB", (cols * cell, rows * (cell + label_h)), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font(max(10, label_h - 4))
    for i, (caption, grid) in enumerate(items):
        x, y = (i % cols) * cell, (i // cols) * (cell + label_h)
        sheet.paste(render_grid(grid, cell), (x, y))
        text = caption if len(caption) <= cell // 6 else caption[: cell // 6 - 1] + "…"
        tw = draw.textlength(text, font=font)
        draw.text((x + (cell - tw) / 2, y + cell), text, fill=(40, 40, 48), font=font)
        draw.rectangle([x, y, x + cell - 1, y + cell + label_h - 1], outline=(210, 214, 220))
    if path is not None:
        buf = io.BytesIO()
        sheet.save(buf, format="PNG", optimize=False)
        atomic_write_bytes(path, buf.getvalue())
    return sheet
