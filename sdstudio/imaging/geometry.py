"""Geometry of a photo and its mask: crop, quarter turns, flips, straighten, resize, pad.

Every function takes and returns plain arrays (``uint8`` ``(H, W, C)`` images or
``(H, W)`` masks) and never changes its input. The photo and its mask always go through
the same function with the same numbers, so the mask stays on the pixels it covered:
exact moves (crop, quarter turns, flips) move mask pixels exactly, resampling moves
(straighten, resize) resample the mask bilinearly so its soft edges stay soft.

Coordinates are image pixels with pixel ``i`` covering ``[i, i + 1)``; a box is
``(x0, y0, x1, y1)`` with ``x1`` and ``y1`` exclusive.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from PIL import Image

Box = tuple[int, int, int, int]
Point = tuple[float, float]
FloatBox = tuple[float, float, float, float]
PadMode = Literal["reflect", "edge"]

RESAMPLING = {
    "lanczos": Image.Resampling.LANCZOS,
    "bicubic": Image.Resampling.BICUBIC,
    "bilinear": Image.Resampling.BILINEAR,
    "nearest": Image.Resampling.NEAREST,
}
RESAMPLING_NAMES = {"lanczos": "Lanczos", "bicubic": "Bicubic", "bilinear": "Bilinear",
                    "nearest": "Nearest neighbour"}  # fmt: skip
# A level line can only mean "this should be horizontal" or "vertical", so no straightening
# turns further than half way between the two.
MAX_STRAIGHTEN_DEGREES = 45.0
# A level line shorter than this (image pixels) is a click, not a line.
MIN_LEVEL_LINE = 4.0


# -- crop ------------------------------------------------------------------------------
def clamp_box(box: Box, width: int, height: int) -> Box:
    """``box`` limited to the image, with x0 <= x1 and y0 <= y1."""
    x0, y0, x1, y1 = box
    x0, x1 = sorted((min(max(x0, 0), width), min(max(x1, 0), width)))
    y0, y1 = sorted((min(max(y0, 0), height), min(max(y1, 0), height)))
    return (x0, y0, x1, y1)


def pixel_box(box: FloatBox, width: int, height: int) -> Box:
    """The whole pixels a dragged (fractional) box covers: its corners rounded, in bounds."""
    x0, y0, x1, y1 = box
    return clamp_box((round(x0), round(y0), round(x1), round(y1)), width, height)


def crop(array: np.ndarray, box: Box) -> np.ndarray:
    """A copy of the pixels inside ``box`` (image or mask)."""
    x0, y0, x1, y1 = box
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"empty crop box {box}")
    return np.ascontiguousarray(array[y0:y1, x0:x1]).copy()


def ratio_box(
    anchor: Point, point: Point, ratio: float | None, width: int, height: int
) -> FloatBox:
    """The box dragged from ``anchor`` to ``point``, inside the image.

    ``ratio`` (width / height) fixes the shape; its orientation follows the drag: a drag
    wider than tall gives the landscape form (3:2), a taller one the portrait form (2:3),
    so one list of ratios serves both kinds of photo. The box grows to reach the pointer
    along its longer side and shrinks (about the anchor) to stay inside the image.
    """
    ax = min(max(anchor[0], 0.0), width)
    ay = min(max(anchor[1], 0.0), height)
    px = min(max(point[0], 0.0), width)
    py = min(max(point[1], 0.0), height)
    if ratio is None:
        return (min(ax, px), min(ay, py), max(ax, px), max(ay, py))
    dx, dy = point[0] - ax, point[1] - ay
    shape = max(ratio, 1 / ratio) if abs(dx) >= abs(dy) else min(ratio, 1 / ratio)
    box_w, box_h = abs(dx), abs(dy)
    if box_w < shape * box_h:
        box_w = box_h * shape
    else:
        box_h = box_w / shape
    room_w = (width - ax) if dx >= 0 else ax
    room_h = (height - ay) if dy >= 0 else ay
    if box_w > 0 and box_h > 0:
        fit = min(1.0, room_w / box_w, room_h / box_h)
        box_w, box_h = box_w * fit, box_h * fit
    x1 = ax + box_w if dx >= 0 else ax - box_w
    y1 = ay + box_h if dy >= 0 else ay - box_h
    return (min(ax, x1), min(ay, y1), max(ax, x1), max(ay, y1))


# -- quarter turns and flips -----------------------------------------------------------
def rotate_quarter(array: np.ndarray, turns_clockwise: int) -> np.ndarray:
    """Turned by 90° steps (1 = a quarter turn clockwise, -1 = anticlockwise); exact."""
    return np.ascontiguousarray(np.rot90(array, k=-turns_clockwise, axes=(0, 1)))


def flip(array: np.ndarray, horizontal: bool) -> np.ndarray:
    """Mirrored left-right (``horizontal``) or top-bottom; exact."""
    return np.ascontiguousarray(array[:, ::-1] if horizontal else array[::-1])


# -- straighten ------------------------------------------------------------------------
def level_angle(start: Point, end: Point) -> float | None:
    """The clockwise turn (degrees) that makes the line ``start``-``end`` level.

    The line is taken as meant to be horizontal or vertical, whichever it is nearer, so
    the turn is within +-45°. Image coordinates run downwards, as on screen. None for a
    line too short to have a direction.
    """
    dx, dy = end[0] - start[0], end[1] - start[1]
    if math.hypot(dx, dy) < MIN_LEVEL_LINE:
        return None
    tilt = math.degrees(math.atan2(dy, dx))  # clockwise from pointing right, on screen
    off_axis = (tilt + 45.0) % 90.0 - 45.0  # how far clockwise of the nearest axis
    return -off_axis


def straighten_size(width: int, height: int, degrees: float) -> tuple[int, int]:
    """Width and height of the largest upright rectangle inside the photo turned by
    ``degrees``: what straightening keeps, with no empty corners."""
    angle = math.radians(abs(degrees) % 180.0)
    if angle > math.pi / 2:
        angle = math.pi - angle
    sin_a, cos_a = math.sin(angle), math.cos(angle)
    if sin_a < 1e-12:
        return width, height
    long_side, short_side = max(width, height), min(width, height)
    if short_side <= 2.0 * sin_a * cos_a * long_side or abs(sin_a - cos_a) < 1e-10:
        # Thin photo (or 45°): the rectangle touches the two long sides only.
        half = 0.5 * short_side
        inner_w, inner_h = (half / sin_a, half / cos_a) if width >= height else (
            half / cos_a, half / sin_a)  # fmt: skip
    else:
        cos_2a = cos_a * cos_a - sin_a * sin_a
        inner_w = (width * cos_a - height * sin_a) / cos_2a
        inner_h = (height * cos_a - width * sin_a) / cos_2a
    # The tiny epsilon keeps an exact fit (floating error) from losing a pixel row.
    return max(1, min(width, math.floor(inner_w + 1e-6))), max(
        1, min(height, math.floor(inner_h + 1e-6)))  # fmt: skip


def straighten(
    image: np.ndarray, mask: np.ndarray, degrees: float
) -> tuple[np.ndarray, np.ndarray]:
    """The photo and mask turned ``degrees`` clockwise and cropped to no empty corners.

    The photo is resampled bicubically, the mask bilinearly; both come from the same
    output-to-source mapping, so they stay aligned pixel for pixel.
    """
    if abs(degrees) > MAX_STRAIGHTEN_DEGREES:
        raise ValueError(f"straighten by at most {MAX_STRAIGHTEN_DEGREES}°, not {degrees}")
    if degrees == 0:
        return image.copy(), mask.copy()
    height, width = image.shape[:2]
    out_w, out_h = straighten_size(width, height, degrees)
    matrix = _turn_matrix(width, height, out_w, out_h, degrees)
    turned = _transform(image, (out_w, out_h), matrix, Image.Resampling.BICUBIC)
    turned_mask = _transform(mask, (out_w, out_h), matrix, Image.Resampling.BILINEAR)
    return turned, turned_mask


def straighten_outline(width: int, height: int, degrees: float) -> list[Point]:
    """The four corners (in the photo before turning) of what :func:`straighten` keeps:
    a tilted rectangle to preview on the photo as it is now."""
    out_w, out_h = straighten_size(width, height, degrees)
    a, b, c, d, e, f = _turn_matrix(width, height, out_w, out_h, degrees)
    corners = ((0, 0), (out_w, 0), (out_w, out_h), (0, out_h))
    return [(a * x + b * y + c, d * x + e * y + f) for x, y in corners]


def _turn_matrix(
    width: int, height: int, out_w: int, out_h: int, degrees: float
) -> tuple[float, float, float, float, float, float]:
    """Pillow's affine (output pixel -> source pixel) for a clockwise turn about the centre."""
    angle = math.radians(degrees)
    cos_a, sin_a = math.cos(angle), math.sin(angle)
    # Output point p samples the source at R·(p - output centre) + source centre, where R
    # turns anticlockwise on screen (y down): undoing the clockwise turn of the output.
    a, b, d, e = cos_a, sin_a, -sin_a, cos_a
    c = width / 2 - (a * out_w / 2 + b * out_h / 2)
    f = height / 2 - (d * out_w / 2 + e * out_h / 2)
    return (a, b, c, d, e, f)


def _transform(array: np.ndarray, size: tuple[int, int], matrix, resample) -> np.ndarray:
    picture = Image.fromarray(np.ascontiguousarray(array))
    if picture.mode == "RGBA":
        # Resampled premultiplied, so transparent pixels' colours do not bleed in.
        turned = (
            picture.convert("RGBa")
            .transform(size, Image.Transform.AFFINE, matrix, resample)
            .convert("RGBA")
        )
    else:
        turned = picture.transform(size, Image.Transform.AFFINE, matrix, resample)
    return np.asarray(turned, dtype=np.uint8).copy()


# -- resize ----------------------------------------------------------------------------
def resize(image: np.ndarray, width: int, height: int, resampling: str = "lanczos") -> np.ndarray:
    """The photo at ``width`` x ``height`` with the named resampling (see ``RESAMPLING``)."""
    if resampling not in RESAMPLING:
        raise ValueError(f"unknown resampling {resampling!r}; one of {', '.join(RESAMPLING)}")
    if width < 1 or height < 1:
        raise ValueError(f"cannot resize to {width} x {height}")
    if image.shape[:2] == (height, width):
        return image.copy()
    # Pillow resizes RGBA premultiplied, so transparent pixels' colours never bleed in.
    picture = Image.fromarray(np.ascontiguousarray(image))
    resized = picture.resize((width, height), RESAMPLING[resampling])
    return np.asarray(resized, dtype=np.uint8).copy()


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """The mask at ``width`` x ``height``, bilinear: it covers the same part of the picture
    and soft edges stay soft (whatever resampling the photo used)."""
    if mask.shape == (height, width):
        return mask.copy()
    picture = Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8))
    return np.asarray(picture.resize((width, height), Image.Resampling.BILINEAR)).copy()


def scaled_size(
    width: int, height: int, new_width: int | None, new_height: int | None
) -> tuple[int, int]:
    """The size with one side given and the other following the photo's aspect ratio."""
    if new_width is not None and new_height is not None:
        return new_width, new_height
    if new_width is not None:
        return new_width, max(1, round(height * new_width / width))
    if new_height is not None:
        return max(1, round(width * new_height / height)), new_height
    return width, height


# -- padding (extend canvas) -----------------------------------------------------------
def pad(
    array: np.ndarray, left: int, top: int, right: int, bottom: int, mode: PadMode = "reflect"
) -> np.ndarray:
    """``array`` with borders added: a mirror of the photo (``reflect``) or its edge
    pixels repeated (``edge``). Works for images and masks."""
    if min(left, top, right, bottom) < 0:
        raise ValueError("borders cannot be negative")
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
    if mode == "reflect" and min(array.shape[:2]) < 2:
        mode = "edge"  # one pixel has nothing to mirror
    return np.pad(array, widths, mode="reflect" if mode == "reflect" else "edge")


def borders_for_aspect(width: int, height: int, ratio: float) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) that bring the photo to ``ratio`` (width / height) by
    adding canvas only, split evenly between the two sides (the odd pixel right/bottom)."""
    if ratio <= 0:
        raise ValueError("the ratio must be positive")
    if width / height < ratio:
        extra = max(0, round(height * ratio) - width)
        return extra // 2, 0, extra - extra // 2, 0
    extra = max(0, round(width / ratio) - height)
    return 0, extra // 2, 0, extra - extra // 2
