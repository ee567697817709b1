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


# Brush sizes are tuned for a photo whose short side is about this many pixels (unit 1).
# A style network that learnt a preset learnt it at unit 1, so the engine resizes photos
# to unit 1 for it (style/trained.py).
REFERENCE_SHORT_SIDE = 900


def style_unit(image_size: tuple[int, int]) -> float:
    """Pixels per style pixel for a photo of ``image_size``: 1 at the reference size."""
    return min(6.0, max(0.4, min(image_size) / REFERENCE_SHORT_SIDE))
