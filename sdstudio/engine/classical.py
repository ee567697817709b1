"""Classical methods: always available, the fallback when no trained model exists and the
baseline every model is measured against.

Repair: OpenCV's Telea (fast marching) and Navier-Stokes inpainting, and PatchMatch
(exemplar-based "content-aware fill", from ``pypatchmatch``) where it is installed.
Enhance: Lanczos resampling and non-local-means denoising (sharpening and levels live in
``sdstudio.imaging.colour``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from sdstudio.engine.patchmatch_library import patchmatch_available
from sdstudio.jobs import Progress

INPAINT_RADIUS = 3
# PatchMatch compares (2 * 3 + 1)^2 patches; larger is much slower and rarely better.
PATCHMATCH_PATCH_RADIUS = 3
CLASSICAL_INPAINT_METHODS = ("auto_classical", "telea", "navier_stokes", "patchmatch")
# Holes at most this thick (pixels) are scratches/dust, where Telea is as good as
# PatchMatch and many times faster; thicker holes (objects) need PatchMatch's texture.
THIN_HOLE_DIAMETER = 12
# Context around a thick blob for PatchMatch: this many times its thickness, at least
# PATCHMATCH_MIN_CONTEXT pixels (the texture it copies from).
PATCHMATCH_CONTEXT = 1.0
PATCHMATCH_MIN_CONTEXT = 32


def hole_diameter(hole: np.ndarray) -> int:
    """Twice the largest distance from a hole pixel to a known one: how thick the hole is."""
    inside = np.pad(hole > 0, 1).astype(np.uint8)  # the border counts as known
    return int(2 * cv2.distanceTransform(inside, cv2.DIST_L2, 5).max())


def thick_parts(hole: np.ndarray) -> np.ndarray:
    """The hole pixels where a disc thicker than ``THIN_HOLE_DIAMETER`` fits in the hole.

    A morphological opening: lines and specks vanish, blobs and objects stay whole (a
    thin line that crosses an object is thin everywhere but inside the object).
    """
    size = THIN_HOLE_DIAMETER + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    inside = (hole > 0).astype(np.uint8)
    opened = cv2.morphologyEx(inside, cv2.MORPH_OPEN, disc)
    # The opening misses a pixel here and there on a blob's rim (a digital disc is not
    # exactly open); a 2 px margin inside the hole keeps Telea pixels off the rim.
    grown = cv2.dilate(opened, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    return (grown & inside) > 0


def patchmatch_groups(thick: np.ndarray) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Crops for PatchMatch, one per thick blob: its box plus context in proportion to its
    thickness. Returns ``(box, hole, own)``: every thick pixel in the crop is a hole (never
    copied from), only the blob's own pixels (``own``) are taken from that crop's fill.
    Overlapping crops are not merged: the union of two boxes can be far larger than both.
    """
    height, width = thick.shape
    count, labels, stats, _ = cv2.connectedComponentsWithStats(thick.astype(np.uint8), 8)
    groups = []
    for label in range(1, count):
        x, y, w, h = (int(v) for v in stats[label, :4])
        diameter = hole_diameter(labels[y : y + h, x : x + w] == label)
        context = max(PATCHMATCH_MIN_CONTEXT, round(PATCHMATCH_CONTEXT * diameter))
        x0, y0 = max(0, x - context), max(0, y - context)
        x1, y1 = min(width, x + w + context), min(height, y + h + context)
        groups.append(((x0, y0, x1, y1), thick[y0:y1, x0:x1], labels[y0:y1, x0:x1] == label))
    return groups


def inpaint_auto(
    image: np.ndarray, hole: np.ndarray, *, seed: int = 0, telea: np.ndarray | None = None
) -> np.ndarray:
    """Telea everywhere, then PatchMatch on the thick parts only, each on a tight crop.

    Thin damage (scratches, dust, the thin parts of a stroke) is Telea's: as good there and
    hundreds of times faster. Objects get PatchMatch's copied texture, on their own box
    plus context in proportion to their thickness (PatchMatch's cost grows with the crop's
    area, not just the hole's). Crops are independent, so they run on a thread each
    (the native code releases the GIL). ``telea``: the Telea fill, if the caller has it.
    """
    filled = (
        telea.copy()
        if telea is not None
        else cv2.inpaint(image, hole, INPAINT_RADIUS, cv2.INPAINT_TELEA)
    )
    if not patchmatch_available():
        return filled
    groups = patchmatch_groups(thick_parts(hole))
    if not groups:
        return filled
    from patchmatch import patch_match

    def run(group) -> np.ndarray:
        (x0, y0, x1, y1), crop_hole, _own = group
        crop = np.ascontiguousarray(filled[y0:y1, x0:x1])
        mask = crop_hole.astype(np.uint8) * 255
        return patch_match.inpaint(crop, mask, patch_size=PATCHMATCH_PATCH_RADIUS)

    patch_match.set_random_seed(seed)
    workers = min(len(groups), os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            fills = list(pool.map(run, groups))
    else:
        fills = [run(group) for group in groups]
    for ((x0, y0, x1, y1), _hole, own), fill in zip(groups, fills, strict=True):
        target = filled[y0:y1, x0:x1]
        target[own] = fill[own]
    return filled


def inpaint(method: str, image: np.ndarray, mask: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """Fill the non-zero ``mask`` pixels of an RGB uint8 ``image`` with a classical method.

    Pixels outside the mask are returned unchanged.
    """
    hole = (mask > 0).astype(np.uint8) * 255
    image = np.ascontiguousarray(image)
    if method == "auto_classical":
        filled = inpaint_auto(image, hole, seed=seed)
    elif method == "telea":
        filled = cv2.inpaint(image, hole, INPAINT_RADIUS, cv2.INPAINT_TELEA)
    elif method == "navier_stokes":
        filled = cv2.inpaint(image, hole, INPAINT_RADIUS, cv2.INPAINT_NS)
    elif method == "patchmatch":
        from patchmatch import patch_match

        patch_match.set_random_seed(seed)
        filled = patch_match.inpaint(
            np.ascontiguousarray(image), hole, patch_size=PATCHMATCH_PATCH_RADIUS
        )
    else:
        raise ValueError(f"unknown classical inpainting method {method!r}")
    # The libraries already keep known pixels; this makes it a guarantee.
    return np.where(hole[..., None] > 0, filled, image)


def resize_lanczos(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Lanczos (8x8 kernel) resampling of an (H, W) or (H, W, C) uint8 image."""
    if (image.shape[1], image.shape[0]) == (width, height):
        return image.copy()
    shrinking = width < image.shape[1] and height < image.shape[0]
    # INTER_AREA is the alias-free choice for shrinking; Lanczos rings when it shrinks.
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4
    resized = cv2.resize(image, (width, height), interpolation=interpolation)
    return resized.reshape((height, width, *image.shape[2:]))


def filter_in_strips(
    image: np.ndarray,
    filter_strip: Callable[[np.ndarray], np.ndarray],
    *,
    margin: int,
    strip_height: int,
    message: str,
    scale: int = 1,
) -> Generator[Progress, None, np.ndarray]:
    """``filter_strip`` run on horizontal strips of ``image``, with a progress report and a
    cancel point after each. Every strip carries ``margin`` rows of context on both sides,
    cut off again afterwards: with a margin beyond the filter's reach, the result is the
    same as one call on the whole image, while memory stays bounded. ``scale``: how many
    times larger the filter makes each side (an integer)."""
    height, width = image.shape[:2]
    out = np.empty((height * scale, width * scale, *image.shape[2:]), dtype=image.dtype)
    starts = list(range(0, height, strip_height))
    for index, top in enumerate(starts):
        bottom = min(top + strip_height, height)
        lo, hi = max(0, top - margin), min(height, bottom + margin)
        strip = filter_strip(image[lo:hi])
        out[top * scale : bottom * scale] = strip[(top - lo) * scale : (bottom - lo) * scale]
        yield Progress((index + 1) / len(starts), message)
    return out


def resize_lanczos_in_strips(
    image: np.ndarray, scale: int, *, strip_height: int = 256
) -> Generator[Progress, None, np.ndarray]:
    """Integer-scale Lanczos enlargement, strip by strip; the margin is beyond the 8-tap
    kernel, so the result is the same as one call on the whole image."""
    width = image.shape[1] * scale
    return (
        yield from filter_in_strips(
            image,
            lambda strip: resize_lanczos(strip, width, strip.shape[0] * scale),
            margin=8,
            strip_height=strip_height,
            message="Upscaling (Lanczos)",
            scale=scale,
        )
    )


def denoise_strength_to_h(strength: float) -> float:
    """NLM filter strength: 0 keeps the image, 1 removes heavy sensor noise (h = 15)."""
    return 2.0 + 13.0 * float(np.clip(strength, 0.0, 1.0))


def denoise(
    image: np.ndarray, strength: float, *, strip_height: int = 256
) -> Generator[Progress, None, np.ndarray]:
    """Non-local-means denoising of an RGB uint8 image, in horizontal strips.

    Each strip (see :func:`filter_in_strips`) carries a margin larger than the NLM search
    window, so the result matches a whole-image pass.
    """
    if strength <= 0:
        return image.copy()
    h = denoise_strength_to_h(strength)
    return (
        yield from filter_in_strips(
            image,
            lambda strip: cv2.fastNlMeansDenoisingColored(
                np.ascontiguousarray(strip), None, h, h, 7, 11
            ),
            margin=16,  # search window 11 + template 7 reach 8 pixels; 16 is safe
            strip_height=strip_height,
            message="Reducing noise",
        )
    )
