"""Select object: a box drawn around an object becomes the object's mask.

OpenCV's GrabCut separates the object from its background inside the box. At full
resolution it is far too slow for a click (6-10 s for a box over half of a 3 MP photo on
a 2-core CPU, and its graph cut slows down most on smooth photos), so it works coarse to
fine on the box and its surroundings:

1. GrabCut proper on a copy of at most ``COARSE_PIXELS`` pixels, until the labels stop
   changing (usually 2-4 iterations, at most ``MAX_ITERATIONS``);
2. one more graph cut at up to ``FINE_PIXELS`` pixels with the colour models learnt in
   step 1, where only a narrow band around the coarse edge is left undecided: the edge
   moves to the finer copy's pixels for a fraction of a full GrabCut's cost;
3. a *fast guided filter* (He & Sun, 2015) brings that mask to full resolution: its
   coefficients are fitted on the finer copy and applied to the full-resolution colours,
   so the edge follows the photo's own edges instead of the blocky upsampled one. Like
   step 2 it may move the edge only near the edge, so texture inside the object never
   punches holes in it.

``benchmarks/select_object.py`` measures this against full-resolution GrabCut.
"""

from __future__ import annotations

import cv2
import numpy as np

from sdstudio.errors import MaskError

COARSE_PIXELS = 20_000  # about 163 x 122: where GrabCut learns object and background
FINE_PIXELS = 120_000  # about 400 x 300: where the edge band is cut again
MAX_ITERATIONS = 5
SETTLED = 0.002  # fraction of pixels changing label: GrabCut has converged
# Background around the box that GrabCut learns the background colours from: local
# colours describe the background next to the object better than the whole photo.
CONTEXT_FRACTION = 0.25
MIN_CONTEXT = 16
MIN_BOX = 4  # image pixels; a smaller box holds no object to find
BAND_RADIUS = 2  # pixels of the coarser copy either side of its edge left undecided
GUIDE_RADIUS = 2  # pixels of the finer copy
GUIDE_EPS = 1e-3  # regularisation: lower follows colour edges more closely

Rect = tuple[int, int, int, int]  # x, y, width, height in image pixels


def select_object(image: np.ndarray, rect: Rect, *, full_resolution: bool = False) -> np.ndarray:
    """The mask (uint8 0/255, the image's size) of the object inside ``rect``.

    Nothing outside ``rect`` is ever selected. ``full_resolution=True`` runs plain
    GrabCut (``MAX_ITERATIONS`` iterations) on the full-resolution pixels: the
    benchmark's baseline.
    """
    height, width = image.shape[:2]
    box = clip_box(rect, width, height)
    if box is None:
        raise MaskError("Draw a box around the object, a few pixels across at least.")
    x, y, w, h = box
    rx, ry, rw, rh = _context_region(box, width, height)
    # cv2 works in BGR; alpha, if any, plays no part in telling object from background.
    region = np.ascontiguousarray(image[ry : ry + rh, rx : rx + rw, 2::-1])
    box_in_region = (x - rx, y - ry, w, h)
    if full_resolution:
        inside, _ = _grabcut(region, box_in_region, MAX_ITERATIONS, until_settled=False)
    else:
        inside = _coarse_to_fine(region, box_in_region)
    mask = np.zeros((height, width), np.uint8)
    mask[ry : ry + rh, rx : rx + rw][inside] = 255
    # The refinement may spill a pixel or two past the box: the box is a promise.
    outside_box = np.ones((height, width), bool)
    outside_box[y : y + h, x : x + w] = False
    mask[outside_box] = 0
    return mask


def clip_box(rect: Rect, width: int, height: int) -> Rect | None:
    """``rect`` within the image, or None when too little of it is left to work with."""
    x, y, w, h = (int(round(value)) for value in rect)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    if x1 - x0 < MIN_BOX or y1 - y0 < MIN_BOX:
        return None
    return x0, y0, x1 - x0, y1 - y0


def _coarse_to_fine(region: np.ndarray, box: Rect) -> np.ndarray:
    coarse_scale = _scale_for(region, COARSE_PIXELS)
    coarse = _downscale(region, coarse_scale)
    inside, models = _grabcut(coarse, _scaled_box(box, coarse_scale, coarse), MAX_ITERATIONS)
    fine_scale = _scale_for(region, FINE_PIXELS)
    if fine_scale > coarse_scale:
        fine = _downscale(region, fine_scale)
        inside = _cut_edge_band(inside, fine, _scaled_box(box, fine_scale, fine), models)
    else:
        fine = coarse
    if fine.shape[:2] == region.shape[:2]:
        return inside
    return _guided_upsample(inside, fine, region)


def _scale_for(region: np.ndarray, pixels: int) -> float:
    height, width = region.shape[:2]
    return min((pixels / (width * height)) ** 0.5, 1.0)


def _context_region(box: Rect, width: int, height: int) -> Rect:
    x, y, w, h = box
    margin_x = max(int(w * CONTEXT_FRACTION), MIN_CONTEXT)
    margin_y = max(int(h * CONTEXT_FRACTION), MIN_CONTEXT)
    x0, y0 = max(x - margin_x, 0), max(y - margin_y, 0)
    x1, y1 = min(x + w + margin_x, width), min(y + h + margin_y, height)
    return x0, y0, x1 - x0, y1 - y0


def _downscale(bgr: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return bgr
    size = (max(round(bgr.shape[1] * scale), 1), max(round(bgr.shape[0] * scale), 1))
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)


def _scaled_box(box: Rect, scale: float, scaled: np.ndarray) -> Rect:
    height, width = scaled.shape[:2]
    x, y, w, h = box
    x0 = min(max(int(np.floor(x * scale)), 0), width - 1)
    y0 = min(max(int(np.floor(y * scale)), 0), height - 1)
    x1 = min(max(int(np.ceil((x + w) * scale)), x0 + 1), width)
    y1 = min(max(int(np.ceil((y + h) * scale)), y0 + 1), height)
    return x0, y0, x1 - x0, y1 - y0


def _grabcut(
    bgr: np.ndarray, box: Rect, iterations: int, until_settled: bool = True
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """GrabCut's object pixels (bool) inside ``box``, and its (background, object)
    colour models. Stops early once an iteration changes almost no labels."""
    height, width = bgr.shape[:2]
    x, y, w, h = box
    if w >= width and h >= height:
        # GrabCut learns the background from outside the box; with no outside it has
        # nothing to learn from, so the outermost ring of pixels stands in for it.
        box = (1, 1, max(width - 2, 1), max(height - 2, 1))
    labels = np.zeros((height, width), np.uint8)
    models = (np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64))
    try:
        if not until_settled:
            cv2.grabCut(bgr, labels, box, *models, iterations, cv2.GC_INIT_WITH_RECT)
            return _object_labels(labels), models
        cv2.grabCut(bgr, labels, box, *models, 1, cv2.GC_INIT_WITH_RECT)
        inside = _object_labels(labels)
        for _ in range(iterations - 1):
            cv2.grabCut(bgr, labels, None, *models, 1, cv2.GC_EVAL)
            previous, inside = inside, _object_labels(labels)
            if np.count_nonzero(previous != inside) < SETTLED * inside.size:
                break
    except cv2.error as error:  # e.g. a box of one flat colour: no model to learn
        raise MaskError("Could not tell the object from its background in this box.") from error
    return inside, models


def _object_labels(labels: np.ndarray) -> np.ndarray:
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _cut_edge_band(
    coarse_inside: np.ndarray, fine: np.ndarray, box: Rect, models: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """One graph cut on ``fine`` with the coarse level's colour models; every pixel
    farther than ``BAND_RADIUS`` coarse pixels from the coarse edge keeps its label."""
    height, width = fine.shape[:2]
    upsampled, near_edge = _upsample_with_band(coarse_inside, (width, height))
    labels = np.where(upsampled, cv2.GC_FGD, cv2.GC_BGD).astype(np.uint8)
    labels[near_edge & upsampled] = cv2.GC_PR_FGD
    labels[near_edge & ~upsampled] = cv2.GC_PR_BGD
    x, y, w, h = box
    in_box = np.zeros((height, width), bool)
    in_box[y : y + h, x : x + w] = True
    labels[~in_box] = cv2.GC_BGD
    if not (labels == cv2.GC_PR_FGD).any() and not (labels == cv2.GC_PR_BGD).any():
        return upsampled & in_box
    try:
        cv2.grabCut(fine, labels, None, *models, 1, cv2.GC_EVAL_FREEZE_MODEL)
    except cv2.error:  # the coarse result stands: it is a good mask, only blockier
        return upsampled & in_box
    return _object_labels(labels)


def _upsample_with_band(inside: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """``inside`` at ``size`` (width, height), and where it lies within ``BAND_RADIUS``
    of its own edge (in ``inside``'s pixels)."""
    upsampled = cv2.resize(inside.astype(np.float32), size, interpolation=cv2.INTER_LINEAR) > 0.5
    kernel = np.ones((2 * BAND_RADIUS + 1, 2 * BAND_RADIUS + 1), np.uint8)
    small = inside.astype(np.uint8)
    band = (cv2.dilate(small, kernel) != cv2.erode(small, kernel)).astype(np.uint8)
    near_edge = cv2.resize(band, size, interpolation=cv2.INTER_NEAREST).astype(bool)
    return upsampled, near_edge


def _guided_upsample(inside: np.ndarray, small: np.ndarray, full: np.ndarray) -> np.ndarray:
    """``inside`` (at ``small``'s size) at ``full``'s size, its edge snapped to the
    full-resolution colours by a fast colour guided filter, moving only near the edge."""
    height, width = full.shape[:2]
    size = (width, height)
    a, b = _guided_coefficients(small.astype(np.float32) / 255.0, inside.astype(np.float32))
    # The coefficients vary smoothly, so upsampling them loses little; the
    # full-resolution colours then put the edge where the photo has it.
    filtered = cv2.resize(b, size, interpolation=cv2.INTER_LINEAR)
    for channel in range(3):
        a_up = cv2.resize(a[..., channel], size, interpolation=cv2.INTER_LINEAR)
        filtered += a_up * full[..., channel].astype(np.float32) * (1.0 / 255.0)
    upsampled, near_edge = _upsample_with_band(inside, size)
    return np.where(near_edge, filtered > 0.5, upsampled)


def _guided_coefficients(guide: np.ndarray, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel linear model ``source ≈ a · guide + b`` (He et al.'s colour guided
    filter), box-averaged; ``guide`` is (H, W, 3) float32 0..1, ``source`` (H, W)."""
    window = (2 * GUIDE_RADIUS + 1, 2 * GUIDE_RADIUS + 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, window, borderType=cv2.BORDER_REFLECT)

    mean_guide = mean(guide)
    mean_source = mean(source)
    covariance = mean(guide * source[..., None]) - mean_guide * mean_source[..., None]
    variance = np.empty(guide.shape[:2] + (3, 3), np.float32)
    for i in range(3):
        for j in range(i, 3):
            value = mean(guide[..., i] * guide[..., j]) - mean_guide[..., i] * mean_guide[..., j]
            variance[..., i, j] = value
            variance[..., j, i] = value
    variance += GUIDE_EPS * np.eye(3, dtype=np.float32)
    a = np.linalg.solve(variance, covariance[..., None])[..., 0]
    b = mean_source - (a * mean_guide).sum(axis=-1)
    return mean(a), mean(b)
