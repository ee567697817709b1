"""Paired style batches: a content crop and the procedural preset's rendering of it.

This is how the default style networks are made (``style_source="preset"``): the generator
learns the preset itself, so the shipped model looks like the preset and is a trained
starting point the wizard can fine-tune on a user's own style examples. The preset is
rendered at unit 1 (its look on a photo of the reference size), which is the size style
networks work at in the engine.
"""

from __future__ import annotations

import numpy as np
import torch

from sdstudio.engine.style.context import TileContext
from sdstudio.engine.style.effects import network_target
from sdstudio.engine.style.presets_info import check_preset
from sdstudio.training.datasets import ImagePool, augment, random_crop, to_chw

NETWORK_UNIT = 1.0


def render_preset(preset_id: str, batch: np.ndarray, seeds: list[int]) -> np.ndarray:
    """``float32 (N, 3, H, W)`` content -> the preset's rendering, same shape, on the CPU:
    the stage a network learns (without a position-dependent finish such as film grain).

    Each crop is rendered as a whole picture of its own (its borders are the image's
    borders), which is also what the network sees at a crop's edge.
    """
    effect = network_target(check_preset(preset_id).id)
    out = np.empty_like(batch)
    with torch.inference_mode():
        for index, (image, seed) in enumerate(zip(batch, seeds, strict=True)):
            x = torch.from_numpy(image[None])
            ctx = TileContext((0, 0), tuple(image.shape[1:]), NETWORK_UNIT, seed, x.device)
            out[index] = effect.apply(x, ctx).clamp(0, 1)[0].numpy()
    return out


class PresetStylePairs:
    """Content crops (flipped, jittered) and their preset renderings as targets."""

    def __init__(self, pool: ImagePool, preset_id: str, crop: int, jitter: float) -> None:
        check_preset(preset_id)
        self.pool, self.preset_id, self.crop, self.jitter = pool, preset_id, crop, jitter

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        contents = np.stack(
            [
                to_chw(
                    augment(rng, random_crop(rng, self.pool.sample(rng), self.crop), self.jitter)
                )
                for _ in range(size)
            ]
        )
        seeds = [int(seed) for seed in rng.integers(0, 2**31, size)]
        return {"input": contents, "target": render_preset(self.preset_id, contents, seeds)}
