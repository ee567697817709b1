"""Pixel scores for damage masks with a small spatial tolerance.

A hand-painted or rendered mask is only accurate to a pixel or two, so a predicted pixel
counts as right (precision) when a true damage pixel lies within ``tolerance`` px, and a
true pixel counts as found (recall) when a predicted one does. Counts add up over many
photos (pixel-pooled scores), so one photo with a big stain weighs as its pixels do.
numpy + cv2 only.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


def _grow(mask: np.ndarray, tolerance: int) -> np.ndarray:
    if tolerance <= 0:
        return mask
    size = 2 * tolerance + 1
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.dilate(mask, disk)


@dataclass
class MaskCounts:
    predicted: int = 0  # predicted pixels
    predicted_near_truth: int = 0  # of which a true pixel is within the tolerance
    true: int = 0  # true damage pixels
    true_near_prediction: int = 0  # of which a predicted pixel is within the tolerance
    pixels: int = 0  # all pixels seen

    def add(self, predicted: np.ndarray, truth: np.ndarray, tolerance: int = 2) -> None:
        """Count one photo's uint8 masks (non-zero = damage)."""
        predicted = (predicted > 0).astype(np.uint8)
        truth = (truth > 0).astype(np.uint8)
        self.predicted += int(predicted.sum())
        self.predicted_near_truth += int((predicted & _grow(truth, tolerance)).sum())
        self.true += int(truth.sum())
        self.true_near_prediction += int((truth & _grow(predicted, tolerance)).sum())
        self.pixels += int(truth.size)

    @property
    def precision(self) -> float:
        return self.predicted_near_truth / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_near_prediction / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def marked_fraction(self) -> float:
        """Predicted pixels over all pixels (on clean photos: the false-positive rate)."""
        return self.predicted / self.pixels if self.pixels else 0.0
