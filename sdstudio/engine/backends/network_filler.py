"""Filling repair crops with an inpainting network: SD Studio's own or a community one.

The region machinery (``engine.region_fill``) picks each crop and pastes the fill back;
this filler only turns one crop and its hole into filled pixels. Networks differ only in
what they are fed (:class:`InpaintInput`): ``ffc_inpaint`` the photo with the hole
blanked plus the mask as one tensor, guided ones (``inpaint_refiner``) the classical
fills (``engine.repair_guides``), community models (LaMa via spandrel) the photo and the
mask as two tensors.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import torch
from torch import nn

from sdstudio.engine.networks import FFCInpaintGenerator
from sdstudio.engine.out_of_memory import (
    CPU_FALLBACK_NOTE,
    note_once,
    with_memory_fallbacks,
)
from sdstudio.engine.repair_guides import guided_input
from sdstudio.engine.tiled_inference import image_to_tensor, tensor_to_image

log = logging.getLogger(__name__)


class InpaintInput(Enum):
    MASKED_PHOTO = "masked photo"  # one tensor: FFCInpaintGenerator.prepare_input
    GUIDES = "guides"  # one tensor: repair_guides.guided_input
    PHOTO_AND_MASK = "photo and mask"  # two tensors (spandrel's inpainting models)


@dataclass
class NetworkFiller:
    network: nn.Module
    device: torch.device
    dtype: torch.dtype
    feed: InpaintInput = InpaintInput.MASKED_PHOTO
    working_size: int = 512
    blend_colours: bool = True
    notes: list[str] = field(default_factory=list)
    seed: int = 0  # PatchMatch's, for guided networks

    @property
    def parallel_regions(self) -> bool:
        # A guided fill is mostly PatchMatch (native, releases the GIL), like auto_classical.
        return self.feed is InpaintInput.GUIDES

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        return with_memory_fallbacks(lambda: self._predict(image, hole), [self._move_to_cpu])

    def _move_to_cpu(self) -> bool:
        if self.device.type == "cpu" and self.dtype == torch.float32:
            return False
        log.warning("out of memory on %s while repairing; finishing on the CPU", self.device)
        self.device, self.dtype = torch.device("cpu"), torch.float32
        self.network.to(device=self.device, dtype=self.dtype)
        note_once(self.notes, CPU_FALLBACK_NOTE)
        return True

    def _inputs(self, image: np.ndarray, hole: np.ndarray) -> tuple[torch.Tensor, ...]:
        if self.feed is InpaintInput.GUIDES:
            guides = torch.from_numpy(guided_input(image, hole, seed=self.seed))
            return (guides[None].to(self.device, self.dtype),)
        rgb = image_to_tensor(image, self.device, self.dtype)
        mask = torch.from_numpy(hole.astype(np.float32))[None, None].to(self.device, self.dtype)
        if self.feed is InpaintInput.PHOTO_AND_MASK:
            return rgb, mask
        return (FFCInpaintGenerator.prepare_input(rgb, mask),)

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        inputs = self._inputs(image, hole)
        with torch.inference_mode():
            output = self.network(*inputs)
        return np.clip(np.rint(tensor_to_image(output) * 255.0), 0, 255).astype(np.uint8)
