"""Pictures a run leaves behind: per-step sample sheets, ``progress.png`` and ``loss.png``.

Drawn with Pillow only. Sample pictures use :mod:`mcgen.render` (isometric, shaded); the loss
plot is drawn by hand (axes, ticks, raw and smoothed curves, log scale when the loss spans more
than a decade).
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mcgen.fsutil import atomic_write_bytes
from mcgen.grid import VoxelGrid

_STEP_PNG = re.compile(r"^step_(\d{6,})\.png$")
_BG = (250, 250, 250)
_INK = (40, 40, 40)
_GRID = (225, 225, 225)


def _font(size: int = 12) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _save_png(img: Image.Image, path: Path) -> None:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    atomic_write_bytes(path, buf.getvalue())


def _fallback_render(grid: VoxelGrid, size: int) -> Image.Image:
    """Top view coloured by the highest block, darker when lower (used if mcgen.render is absent)."""
    from mcgen.vocab import color_of

    colors = np.array([color_of(s) for s in grid.palette], dtype=np.float32)
    solid = grid.blocks != 0  # (X, Y, Z)
    Y = solid.shape[1]
    top = np.where(solid.any(1), Y - 1 - np.argmax(solid[:, ::-1, :], axis=1), -1)  # (X, Z)
    idx = np.take_along_axis(grid.blocks, np.clip(top, 0, None)[:, None, :], axis=1)[:, 0, :]
    shade = 0.45 + 0.55 * (top + 1) / max(Y, 1)
    rgb = colors[idx] * shade[..., None]
    rgb[top < 0] = _BG
    img = Image.fromarray(rgb.transpose(1, 0, 2).clip(0, 255).astype(np.uint8), "RGB")  # rows = z
    return img.resize((size, size), Image.NEAREST)


def render_sample(grid: VoxelGrid, size: int) -> Image.Image:
    """One sample as a picture (``mcgen.render`` when available)."""
    try:
        from mcgen.render import render_grid
    except ImportError:
        return _fallback_render(grid, size)
    return render_grid(grid, size=size).convert("RGB")


def write_step_sheet(grids: list[VoxelGrid], captions: list[str], path: Path, step: int, cell: int = 160) -> None:
    """A one-row sheet of this step's samples, titled with the step."""
    title_h, cap_h = 18, 16
    img = Image.new("RGB", (cell * len(grids), title_h + cell + cap_h), _BG)
    draw = ImageDraw.Draw(img)
    draw.text((4, 3), f"step {step}", fill=_INK, font=_font(13))
    for i, (grid, cap) in enumerate(zip(grids, captions)):
        img.paste(render_sample(grid, cell), (i * cell, title_h))
        draw.text((i * cell + 4, title_h + cell + 1), cap, fill=_INK, font=_font(11))
    _save_png(img, path)


def _pick_evenly(items: list, k: int) -> list:
    if len(items) <= k:
        return items
    picks = sorted({round(i * (len(items) - 1) / (k - 1)) for i in range(k)})
    return [items[i] for i in picks]


def write_progress_sheet(samples_dir: Path, path: Path, max_rows: int = 10) -> bool:
    """Stack up to ``max_rows`` step sheets (first, last, evenly between) into ``progress.png``.

    Returns:
        False when there is no step sheet yet.
    """
    sheets = sorted((int(m.group(1)), p) for p in samples_dir.glob("step_*.png") if (m := _STEP_PNG.match(p.name)))
    if not sheets:
        return False
    rows = [Image.open(p).convert("RGB") for _, p in _pick_evenly(sheets, max_rows)]
    width = max(r.width for r in rows)
    out = Image.new("RGB", (width, sum(r.height for r in rows) + 2 * len(rows)), _BG)
    y = 0
    for r in rows:
        out.paste(r, (0, y))
        y += r.height + 2
        ImageDraw.Draw(out).line([(0, y - 1), (width, y - 1)], fill=_GRID)
    _save_png(out, path)
    return True


def _smooth(values: list[float]) -> list[float]:
    alpha = min(1.0, max(0.03, 8.0 / max(len(values), 1)))  # about the last 1/8 of the curve
    out, acc = [], None
    for v in values:
        acc = v if acc is None else (1 - alpha) * acc + alpha * v
        out.append(acc)
    return out


def _ticks(lo: float, hi: float, log: bool) -> list[float]:
    if log:
        return [10.0**e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
                if lo <= 10.0**e <= hi] or [lo, hi]
    span = hi - lo or 1.0
    step = 10 ** math.floor(math.log10(span / 4))
    for mult in (1, 2, 5, 10):
        if span / (step * mult) <= 6:
            step *= mult
            break
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def write_loss_plot(steps: list[int], losses: list[float], path: Path, size: tuple[int, int] = (720, 420)) -> bool:
    """Plot loss against step (light: logged values, dark: smoothed). Returns False if no data."""
    pts = [(s, v) for s, v in zip(steps, losses) if math.isfinite(v)]
    if not pts:
        return False
    w, h = size
    left, right, top, bottom = 64, 16, 28, 40
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    x0, x1 = min(xs), max(max(xs), min(xs) + 1)
    lo, hi = min(ys), max(ys)
    log = lo > 0 and hi / lo > 10
    fy = (lambda v: math.log10(v)) if log else (lambda v: v)
    if hi == lo:
        lo, hi = lo - 0.5 * abs(lo or 1), hi + 0.5 * abs(hi or 1)
    a, b = fy(lo), fy(hi)
    px = lambda s: left + (s - x0) / (x1 - x0) * (w - left - right)  # noqa: E731
    py = lambda v: top + (b - fy(v)) / (b - a) * (h - top - bottom)  # noqa: E731
    img = Image.new("RGB", size, _BG)
    d = ImageDraw.Draw(img)
    font = _font(11)
    for t in _ticks(lo, hi, log):
        d.line([(left, py(t)), (w - right, py(t))], fill=_GRID)
        d.text((4, py(t) - 6), f"{t:.3g}", fill=_INK, font=font)
    for t in _ticks(x0, x1, False):
        d.line([(px(t), top), (px(t), h - bottom)], fill=_GRID)
        d.text((px(t) - 10, h - bottom + 6), f"{int(t)}", fill=_INK, font=font)
    d.rectangle([left, top, w - right, h - bottom], outline=_INK)
    d.line([(px(s), py(v)) for s, v in pts] or [(0, 0)], fill=(150, 180, 230), width=1)
    d.line([(px(s), py(v)) for s, v in zip(xs, _smooth(ys))], fill=(20, 70, 170), width=2)
    d.text((left, 6), f"training loss{' (log scale)' if log else ''}   last {ys[-1]:.4f}", fill=_INK, font=_font(13))
    d.text((w // 2 - 12, h - 18), "step", fill=_INK, font=font)
    _save_png(img, path)
    return True
