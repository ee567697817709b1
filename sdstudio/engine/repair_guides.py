"""What a guided repair network sees: the classical fills of the hole and the mask.

numpy and OpenCV only, so the trainer's batch makers and the engine build the same input.
Which networks take it: ``sdstudio.engine.architectures`` (``NetworkInput.GUIDED_FILLS``).
"""

from __future__ import annotations

import cv2
import numpy as np

from sdstudio.engine.classical import INPAINT_RADIUS, inpaint_auto


def guided_input(image: np.ndarray, hole: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """``uint8 (H, W, 3)`` and a boolean hole -> ``float32 (7, H, W)`` in 0..1: the
    automatic classical fill, the Telea fill, the mask."""
    image = np.ascontiguousarray(image)
    known = ~hole[..., None]
    mask = hole.astype(np.uint8) * 255
    telea = np.where(known, image, cv2.inpaint(image, mask, INPAINT_RADIUS, cv2.INPAINT_TELEA))
    auto = np.where(known, image, inpaint_auto(image, mask, seed=seed, telea=telea))
    stacked = np.concatenate([auto, telea, hole[..., None].astype(np.uint8) * 255], axis=2)
    return np.ascontiguousarray(stacked.transpose(2, 0, 1), dtype=np.float32) / 255.0
