"""Trained style networks: when a model file backs a preset, the preset uses it.

The built-in backend's styler (``backends.builtin.style``) hands these to the preset
renderer (``style.run.render_preset``); the catalog finds the network (``style_network``).
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
import torch

from sdstudio.engine.classical import resize_lanczos
from sdstudio.engine.methods import MethodInfo
from sdstudio.engine.model_cache import cached_network
from sdstudio.engine.style.context import style_unit
from sdstudio.engine.style.effects import FINISHES, Effect
from sdstudio.engine.tiled_inference import run_network_tiled
from sdstudio.jobs import Progress

# The style network normalises per instance, so it looks best with much context per tile:
# a working-size photo (900 x 1600 at most for 16:9) is one tile.
NETWORK_TILE_SIZE = 1600
NETWORK_OVERLAP = 96
NETWORK_MIN_UNIT = 0.4


def run_style_network(
    method: MethodInfo, rgb: np.ndarray, device: torch.device, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    """``rgb`` styled by the network, the same size (not yet blended or finished).

    A style network paints with brushes of a fixed size in pixels: a learnt preset's at
    unit 1, the reference size. The photo is resized so that one of its style pixels is
    one network pixel, which gives the strokes the size the procedural preset would give
    them on this photo, and the result is resized back.
    """
    assert method.path is not None
    network, dtype = cached_network(method.path, device)
    height, width = rgb.shape[:2]
    working = working_size((height, width))
    small = rgb if working == (height, width) else resize_lanczos(rgb, working[1], working[0])
    result = yield from run_network_tiled(
        network,
        small,
        scale=1,
        device=device,
        dtype=dtype,
        tile_size=NETWORK_TILE_SIZE,
        overlap=NETWORK_OVERLAP,
        message=method.display_name,
    )
    notes.extend(result.notes)
    styled = result.image
    if working != (height, width):
        styled = resize_lanczos(styled, width, height)
        if working[0] < height:
            notes.append(
                f"The style network painted at {working[1]}x{working[0]} and the result "
                f"was enlarged to {width}x{height}."
            )
    return styled


def network_finish(method: MethodInfo, notes: list[str]) -> Effect | None:
    """The finish (film grain, ...) to add after the network, as its model file names it."""
    if not method.finish:
        return None
    if method.finish not in FINISHES:  # a file from a newer SD Studio, or an edited one
        notes.append(f"The model asks for a finish '{method.finish}' this version does not have.")
        return None
    return FINISHES[method.finish]


def working_size(size: tuple[int, int]) -> tuple[int, int]:
    """``(height, width)`` at which the photo's style unit is one pixel (within 5 %).

    Small pictures are enlarged at most 2.5 times: a network has no finest texture that
    needs more, and a thumbnail must stay cheap.
    """
    height, width = size
    factor = 1.0 / max(NETWORK_MIN_UNIT, style_unit(size))
    if abs(factor - 1.0) < 0.05:
        return height, width
    return max(1, round(height * factor)), max(1, round(width * factor))
