"""Enhance: upscale and restore a degraded photo.

Batches pair a clean crop with its degraded, downscaled copy (``degradation_profiles``);
the loss is plain L1 on the upscaled output. Held-out photos are scored (PSNR, SSIM)
against bicubic upscaling of the same degraded inputs.
"""

from __future__ import annotations

import cv2
import numpy as np

from sdstudio.tasks import Task
from sdstudio.training.datasets import FolderReport, ImagePool, augment, random_crop
from sdstudio.training.degradation_profiles import Degrade, degrader, fixed_degradation_for
from sdstudio.training.objectives.base import ExportFields, TrainingObjective, ValidationCase
from sdstudio.training.validation import mean_psnr_and_ssim, to_uint8


class EnhancePairs:
    def __init__(
        self,
        pool: ImagePool,
        crop: int,
        scale: int,
        jitter: float,
        degrade: Degrade | None = None,
        zoom: float = 2.0,
    ) -> None:
        self.pool, self.scale, self.jitter = pool, scale, jitter
        self.degrade = degrade or degrader(None)
        self.zoom = zoom
        # The high-resolution crop must divide evenly into low-resolution pixels.
        self.crop = max(scale * 8, crop - crop % (4 * scale))

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        inputs, targets = [], []
        for _ in range(size):
            image = self.pool.sample(rng)
            patch = augment(rng, random_crop(rng, image, self.crop, self.zoom), self.jitter)
            clean = patch.astype(np.float32) / 255.0
            inputs.append(self.degrade(rng, clean, self.scale).transpose(2, 0, 1))
            targets.append(clean.transpose(2, 0, 1))
        return {
            "input": np.ascontiguousarray(np.stack(inputs)),
            "target": np.ascontiguousarray(np.stack(targets)),
        }


class EnhanceObjective(TrainingObjective):
    task = Task.ENHANCE

    def batch_maker(
        self, pool: ImagePool, report: FolderReport
    ) -> tuple[EnhancePairs, list[np.ndarray]]:
        c = self.config
        scale = c.network_hyperparameters()["scale"]
        degrade = degrader(c.degradation)
        return EnhancePairs(pool, c.crop, scale, c.color_jitter, degrade, c.crop_zoom), []

    def validation_size(self, size: int) -> int:
        # The high-resolution square must divide evenly into low-resolution pixels.
        return size - size % (4 * self.scale)

    def validation_case(self, target: np.ndarray, index: int, seed: int) -> ValidationCase:
        clean = target.astype(np.float32) / 255.0
        low = fixed_degradation_for(self.config.degradation, clean, self.scale, seed)
        return ValidationCase(low.transpose(2, 0, 1).astype(np.float32))

    def classical(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        height, width = target.shape[:2]
        low = to_uint8(case.input)
        return cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)

    def scores(self, outputs, targets, cases) -> dict[str, float]:
        mean_psnr, mean_ssim = mean_psnr_and_ssim(outputs, targets)
        return {"psnr": mean_psnr, "ssim": mean_ssim}

    def shown_input(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        height, width = target.shape[:2]
        low = to_uint8(case.input)
        return cv2.resize(low, (width, height), interpolation=cv2.INTER_NEAREST)

    def export_fields(self, base, hyperparameters: dict) -> ExportFields:
        return ExportFields(scale=hyperparameters.get("scale", self.config.scale))
