"""Random masks that look like real damage and real removals, for repair training.

Old photos have thin scratches (mostly along one direction), branching cracks, dust
specks and hairs; people paint blobs, brush strokes and boxes over objects to remove.
Every function draws into a ``uint8 (H, W)`` mask (255 = hole) with sizes relative to
the image so a 128 px crop and a 512 px crop get alike-looking damage.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

MAX_COVERAGE = 0.5


def _unit(height: int, width: int) -> float:
    return min(height, width) / 256.0


def _walk(rng: np.random.Generator, start, angle, steps, step_len, wobble, height, width):
    points = [start]
    x, y = start
    for _ in range(steps):
        angle += rng.normal(0.0, wobble)
        x = float(np.clip(x + math.cos(angle) * step_len, 0, width - 1))
        y = float(np.clip(y + math.sin(angle) * step_len, 0, height - 1))
        points.append((x, y))
    return np.array(points, dtype=np.int32), angle


def draw_scratches(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Long thin, almost straight lines, mostly sharing one direction (film scratches)."""
    height, width = mask.shape
    unit = _unit(height, width)
    direction = rng.uniform(0, math.pi)
    for _ in range(int(rng.integers(1, 6))):
        angle = direction + rng.normal(0, 0.15)
        length = rng.uniform(0.3, 1.2) * max(height, width)
        steps = 12
        start = (rng.uniform(0, width), rng.uniform(0, height))
        points, _ = _walk(rng, start, angle, steps, length / steps, 0.04, height, width)
        thickness = max(1, int(round(rng.uniform(0.6, 2.5) * unit)))
        cv2.polylines(mask, [points], False, 255, thickness, lineType=cv2.LINE_AA)
    return mask


def draw_cracks(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Jagged lines that branch, as in cracked emulsion or a folded print."""
    height, width = mask.shape
    unit = _unit(height, width)
    branches = [((rng.uniform(0, width), rng.uniform(0, height)), rng.uniform(0, 2 * math.pi), 0)]
    drawn = 0
    while branches and drawn < 12:
        start, angle, depth = branches.pop()
        steps = int(rng.integers(6, 20))
        points, end_angle = _walk(rng, start, angle, steps, 6 * unit, 0.5, height, width)
        thickness = max(1, int(round(rng.uniform(0.8, 2.0) * unit / (1 + depth * 0.5))))
        cv2.polylines(mask, [points], False, 255, thickness, lineType=cv2.LINE_AA)
        drawn += 1
        if depth < 3:
            for _ in range(int(rng.integers(0, 3))):
                index = int(rng.integers(1, len(points)))
                side = rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 1.2)
                branches.append((tuple(points[index].tolist()), end_angle + side, depth + 1))
    return mask


def draw_dust(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Many small specks of irregular size, and a few short curled hairs."""
    height, width = mask.shape
    unit = _unit(height, width)
    for _ in range(int(rng.integers(10, 80))):
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        axes = (
            max(1, int(rng.exponential(1.2) * unit)),
            max(1, int(rng.exponential(1.2) * unit)),
        )
        cv2.ellipse(mask, centre, axes, rng.uniform(0, 180), 0, 360, 255, -1)
    for _ in range(int(rng.integers(0, 4))):
        start = (rng.uniform(0, width), rng.uniform(0, height))
        points, _ = _walk(rng, start, rng.uniform(0, 2 * math.pi), 10, 3 * unit, 0.6, height, width)
        cv2.polylines(mask, [points], False, 255, 1, lineType=cv2.LINE_AA)
    return mask


def draw_blobs(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Irregular rounded shapes: smoothed random noise thresholded, a few % of the image."""
    height, width = mask.shape
    coarse = rng.random((max(2, height // 32), max(2, width // 32))).astype(np.float32)
    field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    field = cv2.GaussianBlur(field, (0, 0), sigmaX=max(1.0, min(height, width) / 40))
    threshold = np.quantile(field, 1.0 - rng.uniform(0.02, 0.12))
    mask[field >= threshold] = 255
    return mask


def draw_strokes(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Thick brush strokes as a person paints them over something to remove."""
    height, width = mask.shape
    unit = _unit(height, width)
    for _ in range(int(rng.integers(1, 4))):
        start = (rng.uniform(0, width), rng.uniform(0, height))
        steps = int(rng.integers(3, 10))
        points, _ = _walk(
            rng, start, rng.uniform(0, 2 * math.pi), steps, 18 * unit, 0.7, height, width
        )
        thickness = max(2, int(rng.uniform(6, 28) * unit))
        cv2.polylines(mask, [points], False, 255, thickness, lineType=cv2.LINE_AA)
        for x, y in points:
            cv2.circle(mask, (int(x), int(y)), thickness // 2, 255, -1)
    return mask


def draw_boxes(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """One or two rectangles of 10-40 % of each side (object removal, lost corners)."""
    height, width = mask.shape
    for _ in range(int(rng.integers(1, 3))):
        box_w = int(rng.uniform(0.1, 0.4) * width)
        box_h = int(rng.uniform(0.1, 0.4) * height)
        left = int(rng.integers(0, max(1, width - box_w)))
        top = int(rng.integers(0, max(1, height - box_h)))
        mask[top : top + box_h, left : left + box_w] = 255
    return mask


DAMAGE_KINDS = {
    "scratches": (draw_scratches, 0.2),
    "cracks": (draw_cracks, 0.15),
    "dust": (draw_dust, 0.15),
    "blobs": (draw_blobs, 0.2),
    "strokes": (draw_strokes, 0.2),
    "boxes": (draw_boxes, 0.1),
}


def damage_mask(rng: np.random.Generator, height: int, width: int, kind: str) -> np.ndarray:
    draw, _ = DAMAGE_KINDS[kind]
    mask = draw(rng, np.zeros((height, width), np.uint8))
    mask[mask > 0] = 255
    return mask


def random_damage_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """One kind of damage, sometimes two mixed; never empty, at most half the image."""
    names = list(DAMAGE_KINDS)
    weights = np.array([DAMAGE_KINDS[name][1] for name in names])
    count = 2 if rng.random() < 0.25 else 1
    chosen = rng.choice(names, size=count, replace=False, p=weights / weights.sum())
    mask = np.zeros((height, width), np.uint8)
    for kind in chosen:
        mask = np.maximum(mask, damage_mask(rng, height, width, str(kind)))
    if mask.mean() / 255.0 > MAX_COVERAGE:
        mask = damage_mask(rng, height, width, "dust")
    if not mask.any():
        cv2.circle(mask, (width // 2, height // 2), max(2, min(height, width) // 16), 255, -1)
    return mask
