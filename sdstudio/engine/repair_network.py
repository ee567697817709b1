"""Filling repair crops with a trained inpainting network.

``ffc_inpaint`` networks fill the masked photo; guided ones (``inpaint_refiner``) refine
the classical fills (``engine.repair_guides``), which the filler computes first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sdstudio.engine.catalog import MethodInfo
from sdstudio.engine.devices import resolve_device
from sdstudio.engine.model_file import read_model_info
from sdstudio.engine.network_cache import network_cache
from sdstudio.engine.networks import FFCInpaintGenerator
from sdstudio.engine.repair_guides import GUIDED_ARCHITECTURES, guided_input
from sdstudio.engine.tiled_inference import (
    CPU_FALLBACK_NOTE,
    image_to_tensor,
    release_cuda_memory,
    tensor_to_image,
)

log = logging.getLogger(__name__)

# Crops are filled at most this large unless the model file says otherwise
# (metadata "working_size"): the size range the network was trained around.
DEFAULT_WORKING_SIZE = 512


@dataclass
class NetworkFiller:
    network: nn.Module
    device: torch.device
    dtype: torch.dtype
    working_size: int = DEFAULT_WORKING_SIZE
    blend_colours: bool = True
    notes: list[str] = field(default_factory=list)
    guided: bool = False  # the network takes repair_guides.guided_input
    seed: int = 0  # PatchMatch's, for guided networks

    @property
    def parallel_regions(self) -> bool:
        # A guided fill is mostly PatchMatch (native, releases the GIL), like auto_classical.
        return self.guided

    @classmethod
    def for_method(cls, method: MethodInfo, device_choice: str, seed: int = 0) -> NetworkFiller:
        if method.path is None:
            raise ValueError(f"{method.id} has no model file")
        info = read_model_info(method.path)
        device = resolve_device(device_choice)
        network, dtype = network_cache.get(info, device)
        working_size = int(info.provenance.get("working_size", DEFAULT_WORKING_SIZE))
        guided = info.architecture in GUIDED_ARCHITECTURES
        # A guided network's fill starts from the classical one, which already continues
        # the surroundings' colours; re-matching them would undo what it learnt.
        return cls(
            network, device, dtype, working_size=max(64, working_size),
            blend_colours=not guided, guided=guided, seed=seed,
        )  # fmt: skip

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        try:
            return self._predict(image, hole)
        except torch.cuda.OutOfMemoryError:
            if self.device.type == "cpu" and self.dtype == torch.float32:
                raise
            log.warning("out of memory on %s while repairing; finishing on the CPU", self.device)
            release_cuda_memory()
            self.device, self.dtype = torch.device("cpu"), torch.float32
            self.network.to(device=self.device, dtype=self.dtype)
            if CPU_FALLBACK_NOTE not in self.notes:
                self.notes.append(CPU_FALLBACK_NOTE)
            return self._predict(image, hole)

    def _predict(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        if self.guided:
            guides = torch.from_numpy(guided_input(image, hole, seed=self.seed))
            with torch.inference_mode():
                output = self.network(guides[None].to(self.device, self.dtype))
            return np.clip(np.rint(tensor_to_image(output) * 255.0), 0, 255).astype(np.uint8)
        rgb = image_to_tensor(image, self.device, self.dtype)
        mask = torch.from_numpy(hole.astype(np.float32))[None, None].to(self.device, self.dtype)
        with torch.inference_mode():
            output = self.network(FFCInpaintGenerator.prepare_input(rgb, mask))
        return np.clip(np.rint(tensor_to_image(output) * 255.0), 0, 255).astype(np.uint8)
