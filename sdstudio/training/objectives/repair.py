"""Repair: fill a hole so that it continues the photo.

The discriminator judges the filled photo together with its mask, so it learns what a
seam looks like; the L1 loss weighs the hole more than the rest. Held-out photos are
scored inside the hole (PSNR) and on the whole image (SSIM) against OpenCV's Telea fill.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from sdstudio.tasks import Task
from sdstudio.training import losses
from sdstudio.training.damage_masks import damage_mask, random_damage_mask
from sdstudio.training.datasets import FolderReport, ImagePool, augment, random_crop, to_chw
from sdstudio.training.objectives.base import Batch, TrainingObjective, ValidationCase
from sdstudio.training.validation import psnr, ssim

VALIDATION_MASK_KINDS = ("blobs", "boxes", "scratches", "strokes", "dust", "cracks")
HOLE_COLOUR = (255, 0, 255)  # how the sample grid shows the hole


def repair_input(image: np.ndarray, mask: np.ndarray, guided: bool = False) -> np.ndarray:
    """What the inpainting generator sees: RGB with the hole blanked, then the mask; or,
    for a ``guided`` network, the classical fills and the mask (``engine.repair_guides``)."""
    if guided:
        from sdstudio.engine.repair_guides import guided_input

        return guided_input(image, mask > 0)
    hole = (mask > 0).astype(np.float32)[None]
    rgb = to_chw(image) if image.dtype == np.uint8 else image
    return np.concatenate([rgb * (1.0 - hole), hole], axis=0)


class RepairPairs:
    def __init__(
        self, pool: ImagePool, crop: int, jitter: float, guided: bool = False, zoom: float = 2.0
    ) -> None:
        self.pool, self.crop, self.jitter, self.guided = pool, crop, jitter, guided
        self.zoom = zoom  # random_crop's scale augmentation; 1 keeps the photos' own scale

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        inputs, targets, masks = [], [], []
        for _ in range(size):
            image = self.pool.sample(rng)
            patch = augment(rng, random_crop(rng, image, self.crop, self.zoom), self.jitter)
            mask = random_damage_mask(rng, self.crop, self.crop)
            inputs.append(repair_input(patch, mask, self.guided))
            targets.append(to_chw(patch))
            masks.append((mask > 0).astype(np.float32)[None])
        return {"input": np.stack(inputs), "target": np.stack(targets), "mask": np.stack(masks)}


class RepairObjective(TrainingObjective):
    task = Task.REPAIR
    discriminator_channels = 4  # RGB + mask

    def batch_maker(
        self, pool: ImagePool, report: FolderReport
    ) -> tuple[RepairPairs, list[np.ndarray]]:
        c = self.config
        return RepairPairs(pool, c.crop, c.color_jitter, self.guided, c.crop_zoom), []

    def judged(self, batch: Batch, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = batch["mask"]
        composite = output * mask + batch["target"] * (1 - mask)
        return torch.cat([composite, mask], 1), torch.cat([batch["target"], mask], 1)

    def reconstruction(self, nets, batch: Batch, output: torch.Tensor) -> Batch:
        c = self.config
        hole_l1 = losses.masked_l1(output, batch["target"], batch["mask"], c.mask_l1_weight)
        return {"l1": c.l1_weight * hole_l1}

    def validation_case(self, target: np.ndarray, index: int, seed: int) -> ValidationCase:
        kind = VALIDATION_MASK_KINDS[index % len(VALIDATION_MASK_KINDS)]
        height, width = target.shape[:2]
        mask = damage_mask(np.random.default_rng(seed), height, width, kind)
        return ValidationCase(repair_input(target, mask, self.guided), mask)

    def classical(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        damaged = np.where(case.mask[..., None] > 0, 0, target).astype(np.uint8)
        return cv2.inpaint(damaged, case.mask, 3, cv2.INPAINT_TELEA)

    def pasted(self, output: np.ndarray, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        return np.where(case.mask[:, :, None] > 0, output, target)

    def scores(self, outputs, targets, cases) -> dict[str, float]:
        holes = [np.repeat(case.mask[:, :, None], 3, axis=2) > 0 for case in cases]
        hole_psnr = [
            psnr(output, target, hole)
            for output, target, hole in zip(outputs, targets, holes, strict=True)
        ]
        mean_ssim = np.mean([ssim(o, t) for o, t in zip(outputs, targets, strict=True)])
        return {"psnr_hole": float(np.mean(hole_psnr)), "ssim": float(mean_ssim)}

    def shown_input(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        shown = target.copy()
        shown[case.mask > 0] = HOLE_COLOUR
        return shown
