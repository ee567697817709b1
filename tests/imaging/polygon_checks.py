"""Point-in-polygon and distance-to-outline, written independently of the code under test."""

from __future__ import annotations

import numpy as np


def inside_polygon(
    xs: np.ndarray, ys: np.ndarray, polygon: list[tuple[float, float]]
) -> np.ndarray:
    """Even-odd rule, by casting a ray to the right of each point."""
    inside = np.zeros(xs.shape, bool)
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        crosses = (y0 > ys) != (y1 > ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            at_x = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs < at_x)
    return inside


def distance_to_outline(
    xs: np.ndarray, ys: np.ndarray, polygon: list[tuple[float, float]]
) -> np.ndarray:
    best = np.full(xs.shape, np.inf)
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        dx, dy = x1 - x0, y1 - y0
        length = max(dx * dx + dy * dy, 1e-12)
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length, 0, 1)
        best = np.minimum(best, np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy)))
    return best


def assert_mask_is_polygon(
    mask: np.ndarray, polygon: list[tuple[float, float]], margin: float
) -> None:
    """Every pixel centre farther than ``margin`` px from the outline is fully in (inside
    the polygon) or fully out (outside it)."""
    ys, xs = np.mgrid[0 : mask.shape[0], 0 : mask.shape[1]] + 0.5
    clear = distance_to_outline(xs, ys, polygon) > margin
    truth = inside_polygon(xs, ys, polygon)
    assert truth[clear].any(), "the polygon covers no pixel"
    wrong_inside = int((mask[clear & truth] != 255).sum())
    wrong_outside = int((mask[clear & ~truth] != 0).sum())
    assert wrong_inside == 0 and wrong_outside == 0, (wrong_inside, wrong_outside)
