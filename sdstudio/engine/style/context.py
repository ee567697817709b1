"""What a style effect knows about the tile it works on."""

from __future__ import annotations

from dataclasses import dataclass

import torch

# Re-exported: the style unit is defined torch-free in scale.py (the UI needs it too).
from sdstudio.engine.style.scale import REFERENCE_SHORT_SIDE, style_unit

__all__ = ["REFERENCE_SHORT_SIDE", "TileContext", "style_unit"]


@dataclass(frozen=True)
class TileContext:
    origin: tuple[int, int]  # whole-image (row, column) of the tile's top-left pixel
    image_size: tuple[int, int]  # whole image (height, width)
    unit: float  # pixels per "style pixel": brush sizes grow with the photo
    seed: int
    device: torch.device

    def px(self, size: float) -> int:
        """A length in style pixels as whole photo pixels (at least 1)."""
        return max(1, round(size * self.unit))

    def length(self, size: float) -> float:
        """A length in style pixels as (fractional) photo pixels, e.g. a blur's sigma."""
        return size * self.unit
