"""Filling repair crops with a community inpainting model (LaMa via spandrel).

The engine's Repair job (``sdstudio.engine.repair``) picks the region around each painted
area, scales it to ``working_size`` and pastes the fill back with a feathered edge; this
filler only turns one crop and its hole into filled pixels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sdstudio.engine.devices import resolve_device
from sdstudio.engine.tiled_inference import (
    CPU_FALLBACK_NOTE,
    image_to_tensor,
    release_cuda_memory,
    tensor_to_image,
)
from sdstudio.errors import UserFacingError

from .spandrel_models import call_model, info_from_descriptor, loaded_models

log = logging.getLogger(__name__)

# LaMa was trained on 256-512 px crops and generalises well up to about 1024 (its
# Fourier convolutions see the whole crop); larger crops are filled at this size.
WORKING_SIZE = 1024


@dataclass
class SpandrelFiller:
    descriptor: Any
    device: torch.device
    working_size: int = WORKING_SIZE
    blend_colours: bool = True
    notes: list[str] = field(default_factory=list)

    @classmethod
    def for_method(cls, method: Any, device_choice: str) -> SpandrelFiller:
        descriptor = loaded_models.get(Path(method.path))
        info = info_from_descriptor(descriptor)
        if info.task != "repair":
            raise UserFacingError(f"{method.display_name} is a {info.describe()} model.")
        device = resolve_device(device_choice)
        working = max(WORKING_SIZE, descriptor.size_requirements.minimum)
        return cls(descriptor, device, working_size=working)

    @property
    def dtype(self) -> torch.dtype:
        if self.device.type == "cuda" and self.descriptor.supports_half:
            return torch.float16
        return torch.float32

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        try:
            return self._predict(image, hole)
        except torch.cuda.OutOfMemoryError:
            if self.device.type == "cpu":
                raise
            log.warning("out of memory on %s while repairing; finishing on the CPU", self.device)
            release_cuda_memory()
            self.device = torch.device("cpu")
            if CPU_FALLBACK_NOTE not in self.notes:
                self.notes.append(CPU_FALLBACK_NOTE)
            return self._predict(image, hole)

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        self.descriptor.to(device=self.device, dtype=self.dtype)
        rgb = image_to_tensor(image, self.device, self.dtype)
        mask = torch.from_numpy(hole.astype(np.float32))[None, None].to(self.device, self.dtype)
        with torch.inference_mode():
            output = call_model(self.descriptor, rgb, mask)
        return np.clip(np.rint(tensor_to_image(output) * 255.0), 0, 255).astype(np.uint8)
