"""Training batches made from plain photos, one maker per task.

Batches are numpy ``float32`` arrays shaped ``(N, C, H, W)`` in 0..1, ready for
``torch.from_numpy``; making them needs no torch (guided repair inputs use OpenCV's and
PatchMatch's fills), so they are easy to test and to look at.
"""

from __future__ import annotations

import numpy as np

from sdstudio.training.damage_masks import random_damage_mask
from sdstudio.training.datasets import ImagePool, augment, random_crop
from sdstudio.training.degradation_profiles import Degrade, degrader


def to_chw(image: np.ndarray) -> np.ndarray:
    """``uint8 (H, W, 3)`` -> ``float32 (3, H, W)`` in 0..1."""
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32) / 255.0


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


class StylePairs:
    """Unpaired: content crops (to restyle) and crops of the style examples."""

    def __init__(self, content: ImagePool, style: ImagePool, crop: int, jitter: float) -> None:
        self.content, self.style, self.crop, self.jitter = content, style, crop, jitter

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        contents, styles = [], []
        for _ in range(size):
            contents.append(
                to_chw(
                    augment(rng, random_crop(rng, self.content.sample(rng), self.crop), self.jitter)
                )
            )
            # Style crops keep their colours: colour is part of a style.
            styles.append(
                to_chw(augment(rng, random_crop(rng, self.style.sample(rng), self.crop), 0))
            )
        return {"input": np.stack(contents), "style": np.stack(styles)}
