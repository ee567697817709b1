"""The classical damage finder, and the morphological cues the learnt detector also reads.

Scratches and dust are thin and much brighter or darker than their surroundings. A white
top-hat (the luminance minus its morphological opening) keeps bright things narrower
than the structuring element; a black-hat (closing minus luminance) keeps dark ones. The
classical finder thresholds the larger of the two. It also marks every wire, twig and
eyelash, which is why the detector in :mod:`sdstudio.engine.damage` exists; the
benchmark (``benchmarks/damage.py``) compares both on the same photos.

numpy + cv2 only: cheap enough to run on a whole 3 MP photo before tiling (tens of ms).
"""

from __future__ import annotations

import cv2
import numpy as np

DEFAULT_KERNEL = 9
# Best single threshold (levels of 255) of max(top-hat, black-hat) with DEFAULT_KERNEL,
# chosen by pixel F1 on rendered damage over TRAIN photos (benchmarks/damage.py
# re-chooses it in every run and prints it; never on the val photos).
DEFAULT_THRESHOLD = 40


def luminance(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W) luma of a uint8 RGB or RGBA image (alpha ignored)."""
    if image.ndim == 2:
        return image
    return cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)


def cue_channels(image: np.ndarray, kernel: int = DEFAULT_KERNEL) -> np.ndarray:
    """uint8 (H, W, 2): white top-hat and black-hat of the luminance, ellipse ``kernel``."""
    gray = luminance(image)
    element = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
    top_hat = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, element)
    black_hat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, element)
    return np.stack([top_hat, black_hat], axis=2)


def damage_score(image: np.ndarray, kernel: int = DEFAULT_KERNEL) -> np.ndarray:
    """uint8 (H, W): how much brighter or darker than its surroundings each thin thing is."""
    cues = cue_channels(image, kernel)
    return np.maximum(cues[..., 0], cues[..., 1])


def find_damage_classical(
    image: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, kernel: int = DEFAULT_KERNEL
) -> np.ndarray:
    """uint8 (H, W) mask, 255 where the top-hat / black-hat score exceeds ``threshold``."""
    return np.where(damage_score(image, kernel) > threshold, 255, 0).astype(np.uint8)
