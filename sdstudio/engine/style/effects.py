"""Which torch function renders each preset, and how much context its tiles need."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from sdstudio.engine.style import drawing, painterly, photo_looks
from sdstudio.engine.style.context import TileContext


class Effect(NamedTuple):
    apply: Callable[[torch.Tensor, TileContext], torch.Tensor]
    reach: Callable[[TileContext], int]


EFFECTS: dict[str, Effect] = {
    "oil_painting": Effect(painterly.oil_painting, painterly.oil_painting_reach),
    "watercolour": Effect(painterly.watercolour, painterly.watercolour_reach),
    "pencil_sketch": Effect(drawing.pencil_sketch, drawing.pencil_sketch_reach),
    "pencil_colour": Effect(drawing.pencil_colour, drawing.pencil_colour_reach),
    "cartoon": Effect(painterly.cartoon, painterly.cartoon_reach),
    "pop_art": Effect(painterly.pop_art, painterly.pop_art_reach),
    "vintage_film": Effect(photo_looks.vintage_film, photo_looks.vintage_film_reach),
    "charcoal": Effect(drawing.charcoal, drawing.charcoal_reach),
    "neon_glow": Effect(photo_looks.neon_glow, photo_looks.neon_glow_reach),
}
