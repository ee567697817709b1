"""Which torch function renders each preset, and how much context its tiles need.

Some presets end with a *finish* that depends on where a pixel is in the whole image
(film grain, a vignette). A style network is convolutional and cannot know that, so a
network that learns such a preset learns the stage before the finish
(:func:`network_target`), and the engine adds the named finish after the network, as the
model file's ``finish`` metadata says (:data:`FINISHES`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch

from sdstudio.engine.style import drawing, graphic, painterly, photo_looks
from sdstudio.engine.style.context import TileContext


class Effect(NamedTuple):
    apply: Callable[[torch.Tensor, TileContext], torch.Tensor]
    reach: Callable[[TileContext], int]


EFFECTS: dict[str, Effect] = {
    "oil_painting": Effect(painterly.oil_painting, painterly.oil_painting_reach),
    "watercolour": Effect(painterly.watercolour, painterly.watercolour_reach),
    "pencil_sketch": Effect(drawing.pencil_sketch, drawing.pencil_sketch_reach),
    "pencil_colour": Effect(drawing.pencil_colour, drawing.pencil_colour_reach),
    "cartoon": Effect(graphic.cartoon, graphic.cartoon_reach),
    "pop_art": Effect(graphic.pop_art, graphic.pop_art_reach),
    "vintage_film": Effect(photo_looks.vintage_film, photo_looks.vintage_film_reach),
    "charcoal": Effect(drawing.charcoal, drawing.charcoal_reach),
    "neon_glow": Effect(photo_looks.neon_glow, photo_looks.neon_glow_reach),
}

# Finishes a style network's output can get, by the name its model file gives.
FINISHES: dict[str, Effect] = {
    "film": Effect(photo_looks.film_finish, photo_looks.film_finish_reach),
}
# Presets that are (learnable stage, then a finish from FINISHES).
STAGED_PRESETS: dict[str, tuple[Effect, str]] = {
    "vintage_film": (Effect(photo_looks.vintage_grade, photo_looks.vintage_grade_reach), "film"),
}


def network_target(preset_id: str) -> Effect:
    """What a style network learns for ``preset_id``: the preset before its finish."""
    staged = STAGED_PRESETS.get(preset_id)
    return staged[0] if staged is not None else EFFECTS[preset_id]


def preset_finish(preset_id: str) -> str | None:
    """The name of the finish the engine adds after a network that learnt ``preset_id``."""
    staged = STAGED_PRESETS.get(preset_id)
    return staged[1] if staged is not None else None
