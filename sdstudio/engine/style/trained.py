"""Trained style networks: when a model file backs a preset, the preset uses it."""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import torch

from sdstudio.engine.catalog import MethodInfo, list_methods
from sdstudio.engine.network_cache import network_cache
from sdstudio.engine.style.blend import blend_into
from sdstudio.engine.tiled_inference import run_network_tiled
from sdstudio.jobs import Progress

# The style network normalises per instance, so it looks best with much context per tile.
NETWORK_TILE_SIZE = 1024
NETWORK_OVERLAP = 96


def find_style_network(preset_id: str) -> MethodInfo | None:
    """The first trained model (the user's before the bundled ones) backing this preset."""
    for method in list_methods("style", include_providers=False):
        if method.kind == "builtin" and method.style == preset_id and method.path is not None:
            return method
    return None


def run_style_network(
    method: MethodInfo,
    rgb: np.ndarray,
    output: np.ndarray,
    weight: np.ndarray | float,
    device: torch.device,
    notes: list[str],
) -> Generator[Progress, None, np.ndarray]:
    """Style ``rgb`` with the network, blend by ``weight`` into ``output`` and return it."""
    assert method.path is not None
    network, dtype = network_cache.get(method.path, device)
    result = yield from run_network_tiled(
        network,
        rgb,
        scale=1,
        device=device,
        dtype=dtype,
        tile_size=NETWORK_TILE_SIZE,
        overlap=NETWORK_OVERLAP,
        message=method.display_name,
    )
    notes.extend(result.notes)
    height, width = rgb.shape[:2]
    blend_into(output, rgb, result.image, weight, (0, 0, height, width))
    return output
