"""Selection shapes as masks: rectangles, ellipses and polygons (lassos), and how a new
shape combines with the mask already there.

Coordinates are image pixels as the canvas maps them: pixel (i, j) covers
[i, i + 1) x [j, j + 1), so its centre is (i + 0.5, j + 0.5). Every function returns a
uint8 mask of the image's size, 0 outside the shape and 255 inside.

Rectangles snap to whole pixels (a box selection has hard, straight edges, as in other
editors); ellipses and polygons are anti-aliased by drawing them at ``SUPERSAMPLE``
times the resolution over the shape's bounding box only and averaging back down, so an
edge pixel holds how much of it the shape covers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]

SUPERSAMPLE = 4
# Above this many supersampled pixels the factor drops (4, 2, then 1), so a shape over
# a whole 24 MP photo costs no more than one over a 2 MP photo.
MAX_SUPERSAMPLED_PIXELS = 32_000_000
# How far (in image pixels) the straight sides of an ellipse's polygon may stray from the
# true curve; well under the supersampled pixel.
ELLIPSE_TOLERANCE = 0.05


class CombineMode(Enum):
    """How a finished shape changes the mask (Shift adds, Alt or Ctrl subtracts,
    Shift+Alt keeps only the overlap, no key replaces, as in Photoshop and GIMP)."""

    REPLACE = "replace"
    ADD = "add"
    SUBTRACT = "subtract"
    INTERSECT = "intersect"


def combine(current: np.ndarray, shape: np.ndarray, mode: CombineMode) -> np.ndarray:
    """The mask after ``shape`` is applied to ``current`` with ``mode`` (a new array)."""
    if mode is CombineMode.REPLACE:
        return shape.copy()
    if mode is CombineMode.ADD:
        return np.maximum(current, shape)
    if mode is CombineMode.SUBTRACT:
        return np.minimum(current, 255 - shape)
    return np.minimum(current, shape)


def rectangle_mask(size: tuple[int, int], corner: Point, opposite: Point) -> np.ndarray:
    """The rectangle between two corners, snapped to the nearest pixel edges.

    ``size`` is (width, height) of the image.
    """
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    x0, x1 = sorted((corner[0], opposite[0]))
    y0, y1 = sorted((corner[1], opposite[1]))
    left, right = _clamp(round(x0), width), _clamp(round(x1), width)
    top, bottom = _clamp(round(y0), height), _clamp(round(y1), height)
    mask[top:bottom, left:right] = 255
    return mask


def ellipse_mask(size: tuple[int, int], corner: Point, opposite: Point) -> np.ndarray:
    """The ellipse inscribed in the rectangle between two corners, anti-aliased."""
    x0, x1 = sorted((corner[0], opposite[0]))
    y0, y1 = sorted((corner[1], opposite[1]))
    return polygon_mask(
        size, ellipse_points((x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2)
    )


def ellipse_points(cx: float, cy: float, rx: float, ry: float) -> list[Point]:
    """Points on the ellipse, close enough that its polygon is the ellipse to
    ``ELLIPSE_TOLERANCE`` of a pixel (the polygon's sagitta r·(1 − cos(π/n)))."""
    radius = max(rx, ry, 1e-6)
    count = math.ceil(math.pi / math.acos(max(1.0 - ELLIPSE_TOLERANCE / radius, -1.0)))
    count = min(max(count, 16), 20_000)
    angles = np.linspace(0.0, 2.0 * math.pi, count, endpoint=False)
    return list(
        zip((cx + rx * np.cos(angles)).tolist(), (cy + ry * np.sin(angles)).tolist(), strict=True)
    )


def polygon_mask(size: tuple[int, int], points: Sequence[Point]) -> np.ndarray:
    """The polygon through ``points`` (closed back to the first), anti-aliased.

    Self-crossing outlines (a free lasso drawn in a figure eight) fill by the even-odd
    rule, as Pillow draws them. Fewer than three points select nothing.
    """
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    if len(points) < 3:
        return mask
    xs = np.array([point[0] for point in points], np.float64)
    ys = np.array([point[1] for point in points], np.float64)
    left, right = _clamp(math.floor(xs.min()), width), _clamp(math.ceil(xs.max()), width)
    top, bottom = _clamp(math.floor(ys.min()), height), _clamp(math.ceil(ys.max()), height)
    box_width, box_height = right - left, bottom - top
    if box_width <= 0 or box_height <= 0:
        return mask
    factor = supersample_factor(box_width * box_height)
    canvas = Image.new("L", (box_width * factor, box_height * factor), 0)
    # Pillow fills the pixels whose index lies inside the outline, so a point at image
    # coordinate u lands on supersampled index u·factor − ½ (the pixel centres).
    outline = [
        (round((x - left) * factor - 0.5), round((y - top) * factor - 0.5))
        for x, y in zip(xs, ys, strict=True)
    ]
    ImageDraw.Draw(canvas).polygon(outline, fill=255)
    if factor > 1:
        canvas = canvas.reduce(factor)  # the mean of each factor x factor block
    mask[top:bottom, left:right] = np.asarray(canvas)
    return mask


def supersample_factor(pixels: int) -> int:
    for factor in (SUPERSAMPLE, 2):
        if pixels * factor * factor <= MAX_SUPERSAMPLED_PIXELS:
            return factor
    return 1


def constrain_square(anchor: Point, point: Point) -> Point:
    """``point`` moved so that the box from ``anchor`` to it is a square (Shift): the
    square's side is the longer of the two drags, in the direction dragged."""
    dx, dy = point[0] - anchor[0], point[1] - anchor[1]
    side = max(abs(dx), abs(dy))
    return anchor[0] + math.copysign(side, dx), anchor[1] + math.copysign(side, dy)


def box_corners(
    anchor: Point, point: Point, square: bool, from_centre: bool
) -> tuple[Point, Point]:
    """The two corners of a dragged box: from ``anchor`` to ``point``, or centred on
    ``anchor`` (Alt), and a square (Shift) when asked."""
    if square:
        point = constrain_square(anchor, point)
    if from_centre:
        return (2 * anchor[0] - point[0], 2 * anchor[1] - point[1]), point
    return anchor, point


def _clamp(value: int, limit: int) -> int:
    return min(max(int(value), 0), limit)
