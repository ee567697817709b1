"""What a style effect knows about the tile it works on."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TileContext:
    origin: tuple[int, int]  # whole-image (row, column) of the tile's top-left pixel
    image_size: tuple[int, int]  # whole image (height, width)
    unit: float  # pixels per "style pixel": brush sizes grow with the photo
    seed: int
    device: torch.device

    def px(self, size: float) -> int:
        """A length given for a ~900-pixel photo, scaled to this one (at least 1 pixel)."""
        return max(1, round(size * self.unit))


def style_unit(image_size: tuple[int, int]) -> float:
    """Brush sizes are tuned for a photo whose short side is about 900 pixels."""
    return min(6.0, max(0.4, min(image_size) / 900.0))
