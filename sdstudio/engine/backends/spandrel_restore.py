"""Run a community (spandrel) model on an Enhance job: upscale, restore, restore faces.

Super-resolution and restoration go through the engine's tiled inference (bounded memory,
progress per tile, GPU out-of-memory fallback); models that spandrel marks as unsuited to
tiling run in one piece. spandrel pads each call to the model's size requirements and
crops the result again. Inpainting models fill repair crops through the shared
``network_filler``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch import nn

from sdstudio.engine.devices import inference_dtype
from sdstudio.engine.tiled_inference import DEFAULT_TILE_SIZE, run_network_tiled
from sdstudio.errors import UserFacingError
from sdstudio.jobs import Progress

from .spandrel_faces import restore_faces
from .spandrel_files import call_model, info_from_descriptor, loaded_descriptor


class DescriptorNetwork(nn.Module):
    """A spandrel descriptor as the ``nn.Module`` that tiled inference and the repair
    filler move between devices and call."""

    def __init__(self, descriptor: Any) -> None:
        super().__init__()
        self.descriptor = descriptor
        self.model = descriptor.model  # registered, so .to() moves the weights
        self.supports_half = bool(descriptor.supports_half)

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return call_model(self.descriptor, *inputs)


def tile_size_for(descriptor: Any, height: int, width: int) -> int:
    """The engine's tile size, or the whole image for models that must not be tiled."""
    from spandrel import ModelTiling

    if descriptor.tiling != ModelTiling.SUPPORTED:
        return max(height, width)
    minimum = descriptor.size_requirements.minimum
    return max(DEFAULT_TILE_SIZE, minimum)


def _gray_to_rgb_run(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Luma for single-channel models, and the chroma to put back afterwards."""
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    return ycrcb[..., :1].copy(), ycrcb[..., 1:]


def _merge_luma(luma: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    height, width = luma.shape[:2]
    if chroma.shape[:2] != (height, width):
        chroma = cv2.resize(chroma, (width, height), interpolation=cv2.INTER_CUBIC)
    merged = np.concatenate([luma.reshape(height, width, 1), chroma], axis=2)
    return cv2.cvtColor(np.ascontiguousarray(merged), cv2.COLOR_YCrCb2RGB)


def run_model_on_image(
    descriptor: Any, rgb: np.ndarray, device: torch.device, message: str
) -> Generator[Progress, None, tuple[np.ndarray, list[str], torch.device]]:
    """The model's output for an RGB uint8 image (scale x larger), tiled where allowed."""
    network = DescriptorNetwork(descriptor)
    dtype = inference_dtype(device, network)
    network.to(device=device, dtype=dtype)
    single_channel = descriptor.input_channels == 1
    chroma = None
    source = rgb
    if single_channel:
        source, chroma = _gray_to_rgb_run(rgb)
    elif descriptor.input_channels != 3:
        raise UserFacingError(
            f"This model takes {descriptor.input_channels}-channel images; SD Studio "
            "works with RGB (3) and grayscale (1) models."
        )
    height, width = source.shape[:2]
    result = yield from run_network_tiled(
        network, source, scale=int(descriptor.scale), device=device, dtype=dtype,
        tile_size=tile_size_for(descriptor, height, width), message=message,
    )  # fmt: skip
    output = result.image
    if single_channel and chroma is not None:
        output = _merge_luma(output[..., :1] if output.ndim == 3 else output, chroma)
    return output, list(result.notes), result.device


def enhance_rgb(
    method: Any, rgb: np.ndarray, device: torch.device, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    """``rgb`` (uint8 RGB) upscaled or restored by the community model ``method`` names.

    The result is at the model's own scale (face models: x1); the Enhance job resamples
    the rest of the way. Notes for the person are appended to ``notes``.
    """
    yield Progress(0.0, f"Loading {method.display_name}")
    descriptor = loaded_descriptor(Path(method.path))
    info = info_from_descriptor(descriptor)
    if info.task != "enhance":
        raise UserFacingError(
            f"{method.display_name} is a {info.describe()} model, not for Enhance."
        )
    if info.is_face_model:
        output, extra, _device = yield from restore_faces(descriptor, rgb, device)
    else:
        output, extra, _device = yield from run_model_on_image(
            descriptor, rgb, device, f"Enhancing with {method.display_name}"
        )
    notes.extend(extra)
    notes.append(f"Used the community model {Path(method.path).name} ({info.describe()}).")
    return output
