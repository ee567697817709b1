"""Generated photos of one object on a textured background, with the true object mask.

Used by the Select object tests and ``benchmarks/select_object.py``. ``hard=True`` makes
the job harder the way real photos do: background patches in the object's colours (also
inside the box, apart from the object so that the truth stays unambiguous), shadows
inside the object as dark as the background's darks, a wavy outline and a thin stalk a
few pixels wide.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass
class ObjectScene:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    truth: np.ndarray  # (H, W) bool, the object
    box: tuple[int, int, int, int]  # x, y, width, height: the object plus a margin


def object_scene(width: int = 2048, height: int = 1536, seed: int = 0, hard: bool = False):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    unit = min(width, height) / 1536  # features keep their look at any size

    def noise(cell: float, amplitude: float) -> np.ndarray:
        rows, cols = max(int(height / (cell * unit)), 2), max(int(width / (cell * unit)), 2)
        coarse = rng.normal(0, 1, (rows, cols)).astype(np.float32)
        return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC) * amplitude

    grain = rng.normal(0, 6, (height, width)).astype(np.float32)
    texture = noise(64, 25) + noise(16, 15) + noise(4, 8) + grain
    background = np.stack(
        [90 + texture * 0.6, 120 + texture, 70 + texture * 0.5 + 20 * np.sin(x / (37 * unit))], -1
    )
    object_texture = noise(32, 20) + noise(8, 12) + grain
    stripes = 18 * np.sin((x + y) / (11 * unit))
    colour = np.stack(
        [200 + object_texture + stripes, 90 + object_texture * 0.7, 60 + object_texture * 0.4], -1
    )

    cx, cy, radius = width * 0.47, height * 0.52, min(width, height) * 0.28
    angle = np.arctan2(y - cy, x - cx)
    distance = np.hypot(x - cx, y - cy)
    outline = radius * (1 + 0.16 * np.sin(3 * angle) + 0.08 * np.cos(5 * angle + 1.0))
    if hard:
        outline += radius * 0.03 * np.sin(17 * angle)
    coverage = np.clip(outline - distance + 0.5, 0, 1)  # anti-aliased edge, as a lens gives
    if hard:
        # A stalk 8 px wide (at 1536 px) rising from the top of the object.
        half_width = 4 * unit
        top = cy - radius * 1.45
        stalk = np.clip(half_width - np.abs(x - cx - radius * 0.1) + 0.5, 0, 1)
        stalk *= (y > top) & (y < cy)
        coverage = np.maximum(coverage, stalk)
        # Background patches in the object's colours, and shadows inside the object as
        # dark as the background's darks: colour alone no longer separates them.
        apart = distance > outline + radius * 0.12
        patches = ((noise(96, 1) > 1.1) & apart)[..., None]
        background = np.where(patches, colour * 0.9, background)
        shadows = (noise(24, 1) > 1.3)[..., None]
        colour = np.where(shadows, colour * 0.4, colour)
    image = background * (1 - coverage[..., None]) + colour * coverage[..., None]
    truth = coverage >= 0.5
    ys, xs = np.nonzero(truth)
    margin = int(40 * unit)
    x0, y0 = max(int(xs.min()) - margin, 0), max(int(ys.min()) - margin, 0)
    x1, y1 = min(int(xs.max()) + margin, width), min(int(ys.max()) + margin, height)
    pixels = np.clip(image, 0, 255).astype(np.uint8)
    return ObjectScene(pixels, truth, (x0, y0, x1 - x0, y1 - y0))


def iou(mask: np.ndarray, truth: np.ndarray) -> float:
    """Intersection over union of a mask (any non-zero pixel) with the true object."""
    selected = mask > 0
    return float((selected & truth).sum() / max((selected | truth).sum(), 1))
