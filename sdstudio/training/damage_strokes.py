"""Drawing primitives shared by the damage renderer and its look-alike distractors.

Everything draws *coverage* (float32 0..1 per pixel) rather than colour: a caller
composites a colour through the coverage, so one function serves a white scratch, a dark
crack and a power line alike. Curves are drawn with cv2's fixed-point coordinates
(``shift``), so sub-pixel positions survive; ``antialiased=False`` gives the hard,
aliased edge of a scratch cut into emulsion, ``True`` the soft edge of something the
camera's lens saw.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_SHIFT = 4  # cv2 fixed-point bits: coordinates in 1/16 px
_SCALE = 1 << _SHIFT


def to_fixed_point(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points, np.float64) * _SCALE).astype(np.int32).reshape(-1, 1, 2)


def bezier(p0, p1, p2, count: int) -> np.ndarray:
    """``count`` points on the quadratic Bézier curve p0 -> p2 pulled towards p1."""
    t = np.linspace(0.0, 1.0, max(count, 2))[:, None]
    p0, p1, p2 = (np.asarray(p, np.float64) for p in (p0, p1, p2))
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def gentle_curve(
    rng: np.random.Generator, start, angle: float, length: float, bend: float
) -> np.ndarray:
    """A long line from ``start`` along ``angle`` whose middle sags by ``bend`` x length."""
    start = np.asarray(start, np.float64)
    direction = np.array([math.cos(angle), math.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    end = start + direction * length
    middle = (start + end) / 2 + normal * length * bend * rng.uniform(-1.0, 1.0)
    return bezier(start, middle, end, count=max(8, int(length / 6)))


def random_walk(
    rng: np.random.Generator, start, angle: float, steps: int, step_len: float, wobble: float
) -> tuple[np.ndarray, float]:
    """A jagged path (cracks, fibres); returns the points and the final heading."""
    points = [np.asarray(start, np.float64)]
    for _ in range(steps):
        angle += rng.normal(0.0, wobble)
        points.append(points[-1] + step_len * np.array([math.cos(angle), math.sin(angle)]))
    return np.array(points), angle


def draw_polyline(
    coverage: np.ndarray,
    points: np.ndarray,
    *,
    strength: float,
    thickness: int,
    antialiased: bool,
) -> None:
    """Draw a polyline of ``strength`` (0..1) into ``coverage`` (float32), keeping the max."""
    if len(points) < 2:
        return
    canvas = np.zeros(coverage.shape, np.uint8)
    line_type = cv2.LINE_AA if antialiased else cv2.LINE_8
    cv2.polylines(
        canvas, [to_fixed_point(points)], False, 255, max(1, int(thickness)), line_type, _SHIFT
    )
    np.maximum(coverage, canvas.astype(np.float32) * (strength / 255.0), out=coverage)


def draw_varying_line(
    rng: np.random.Generator,
    coverage: np.ndarray,
    points: np.ndarray,
    *,
    strength: float,
    thickness: int,
    antialiased: bool,
    broken: bool,
) -> None:
    """A line whose strength wanders along its length and which may have gaps, the way a
    real scratch fades in and out; drawn in short runs of points."""
    run = max(2, len(points) // int(rng.integers(2, 7)))
    for begin in range(0, len(points) - 1, run):
        if broken and rng.random() < 0.25:
            continue
        segment = points[begin : begin + run + 1]
        local = float(np.clip(strength * rng.uniform(0.7, 1.15), 0.0, 1.0))
        draw_polyline(
            coverage, segment, strength=local, thickness=thickness, antialiased=antialiased
        )


def smooth_field(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Low-frequency noise in about [-1, 1]: random values on a coarse grid, upsampled."""
    grid = rng.standard_normal((cells + 1, cells + 1)).astype(np.float32)
    field = cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)
    return field / max(float(np.abs(field).max()), 1e-6)


def composite(image: np.ndarray, coverage: np.ndarray, colour) -> np.ndarray:
    """``image`` (float32 0..255, H x W x 3) with ``colour`` laid over through ``coverage``.

    ``colour`` is an RGB triple or an (H, W, 3) array.
    """
    alpha = coverage[..., None]
    return image * (1.0 - alpha) + np.asarray(colour, np.float32) * alpha
