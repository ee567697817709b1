"""The mask brush and eraser: painting math and one stroke's undo record.

Painting works on the mask array itself (image resolution) and touches only the bounding
box of each segment, so a mouse move on a 24 MP image costs as much as the brush covers.
Each segment is the exact distance field of a capsule (a line with round ends), so a
fast stroke whose events are far apart still leaves a continuous line, never dots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_BRUSH_SIZE = 1.0
MAX_BRUSH_SIZE = 2000.0
BRUSH_SIZE_STEP = 1.2  # [ and ] scale the size by this factor
HARDNESS_STEP = 0.1
_TILE = 128  # undo backups are taken per tile the first time a stroke touches it
_MAX_CHUNK = 256.0  # long segments are split so their bounding boxes stay small

Rect = tuple[int, int, int, int]  # x, y, width, height in image pixels


@dataclass
class BrushSettings:
    size: float = 60.0  # diameter in image pixels
    hardness: float = 0.7  # 0 = soft edge over the whole radius, 1 = hard edge

    def clamp(self) -> BrushSettings:
        self.size = float(min(max(self.size, MIN_BRUSH_SIZE), MAX_BRUSH_SIZE))
        self.hardness = float(min(max(self.hardness, 0.0), 1.0))
        return self

    def grow(self) -> None:
        self.size = max(self.size * BRUSH_SIZE_STEP, self.size + 1)
        self.clamp()

    def shrink(self) -> None:
        self.size = min(self.size / BRUSH_SIZE_STEP, self.size - 1)
        self.clamp()

    def harder(self) -> None:
        self.hardness = round(self.hardness + HARDNESS_STEP, 2)
        self.clamp()

    def softer(self) -> None:
        self.hardness = round(self.hardness - HARDNESS_STEP, 2)
        self.clamp()


def segment_bounds(
    shape: tuple[int, int], p0: tuple[float, float], p1: tuple[float, float], radius: float
) -> Rect | None:
    """The pixels a capsule from p0 to p1 may touch, clipped to the mask; None if none."""
    height, width = shape
    x0 = max(int(math.floor(min(p0[0], p1[0]) - radius - 1)), 0)
    y0 = max(int(math.floor(min(p0[1], p1[1]) - radius - 1)), 0)
    x1 = min(int(math.ceil(max(p0[0], p1[0]) + radius + 1)), width)
    y1 = min(int(math.ceil(max(p0[1], p1[1]) + radius + 1)), height)
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1 - x0, y1 - y0


def paint_capsule(
    mask: np.ndarray,
    p0: tuple[float, float],
    p1: tuple[float, float],
    brush: BrushSettings,
    erase: bool = False,
) -> Rect | None:
    """Paints (or erases) a line of round dabs from p0 to p1 into ``mask`` in place.

    Points are in image coordinates where pixel (x, y) covers [x, x+1) x [y, y+1).
    Returns the rectangle that may have changed.
    """
    radius = max(brush.size / 2.0, 0.5)
    bounds = segment_bounds(mask.shape, p0, p1, radius)
    if bounds is None:
        return None
    x, y, w, h = bounds
    px = np.arange(x, x + w, dtype=np.float32) + 0.5
    py = np.arange(y, y + h, dtype=np.float32)[:, None] + 0.5
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    length_sq = dx * dx + dy * dy
    if length_sq > 1e-9:
        t = ((px - p0[0]) * dx + (py - p0[1]) * dy) / length_sq
        np.clip(t, 0.0, 1.0, out=t)
        dist = np.hypot(px - (p0[0] + t * dx), py - (p0[1] + t * dy))
    else:
        dist = np.hypot(px - p0[0], py - p0[1])
    # A hard brush still gets a sub-pixel anti-aliased edge.
    soft_width = max(radius * (1.0 - brush.hardness), 0.75)
    coverage = np.clip((radius - dist) / soft_width, 0.0, 1.0)
    value = (coverage * 255.0 + 0.5).astype(np.uint8)
    region = mask[y : y + h, x : x + w]
    if erase:
        np.minimum(region, 255 - value, out=region)
    else:
        np.maximum(region, value, out=region)
    return bounds


def union(a: Rect | None, b: Rect | None) -> Rect | None:
    if a is None:
        return b
    if b is None:
        return a
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return x0, y0, x1 - x0, y1 - y0


@dataclass
class StrokeRecord:
    """What one finished stroke changed: enough to undo and redo it."""

    rect: Rect
    before: np.ndarray
    after: np.ndarray


class MaskStroke:
    """One press-drag-release of the brush or eraser on a mask.

    Before a segment first touches a tile, that tile is copied, so the undo record costs
    only the touched area and no mouse move ever copies the whole mask.
    """

    def __init__(self, mask: np.ndarray, brush: BrushSettings, erase: bool = False) -> None:
        self.mask = mask
        self.brush = BrushSettings(brush.size, brush.hardness)
        self.erase = erase
        self._last: tuple[float, float] | None = None
        self._dirty: Rect | None = None
        self._backups: dict[tuple[int, int], np.ndarray] = {}

    def begin(self, point: tuple[float, float]) -> Rect | None:
        self._last = point
        return self._paint(point, point)

    def move_to(self, point: tuple[float, float]) -> Rect | None:
        if self._last is None:
            return self.begin(point)
        start, self._last = self._last, point
        length = math.hypot(point[0] - start[0], point[1] - start[1])
        chunk = max(_MAX_CHUNK, self.brush.size * 2)
        pieces = max(1, int(math.ceil(length / chunk)))
        changed: Rect | None = None
        for index in range(pieces):
            a = _lerp(start, point, index / pieces)
            b = _lerp(start, point, (index + 1) / pieces)
            changed = union(changed, self._paint(a, b))
        return changed

    def _paint(self, p0: tuple[float, float], p1: tuple[float, float]) -> Rect | None:
        bounds = segment_bounds(self.mask.shape, p0, p1, max(self.brush.size / 2, 0.5))
        if bounds is None:
            return None
        self._back_up_tiles(bounds)
        changed = paint_capsule(self.mask, p0, p1, self.brush, self.erase)
        self._dirty = union(self._dirty, changed)
        return changed

    def _back_up_tiles(self, rect: Rect) -> None:
        x, y, w, h = rect
        for ty in range(y // _TILE, (y + h - 1) // _TILE + 1):
            for tx in range(x // _TILE, (x + w - 1) // _TILE + 1):
                if (ty, tx) not in self._backups:
                    tile = self.mask[ty * _TILE : (ty + 1) * _TILE, tx * _TILE : (tx + 1) * _TILE]
                    self._backups[(ty, tx)] = tile.copy()

    def finish(self) -> StrokeRecord | None:
        """The stroke's undo record, or None when it changed nothing."""
        if self._dirty is None:
            return None
        x, y, w, h = self._dirty
        after = self.mask[y : y + h, x : x + w].copy()
        before = after.copy()
        for (ty, tx), tile in self._backups.items():
            tile_x, tile_y = tx * _TILE, ty * _TILE
            # The part of this tile inside the dirty rect, in both coordinate frames.
            ix0, iy0 = max(tile_x, x), max(tile_y, y)
            ix1 = min(tile_x + tile.shape[1], x + w)
            iy1 = min(tile_y + tile.shape[0], y + h)
            if ix1 <= ix0 or iy1 <= iy0:
                continue
            before[iy0 - y : iy1 - y, ix0 - x : ix1 - x] = tile[
                iy0 - tile_y : iy1 - tile_y, ix0 - tile_x : ix1 - tile_x
            ]
        self._backups.clear()
        if np.array_equal(before, after):
            return None
        return StrokeRecord(self._dirty, before, after)


def _lerp(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
    return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
