"""The style presets' names and descriptions, at layer 0 (no torch, Qt or cv2).

A UI can list them at once, and a job can title itself, without loading the engine; the
engine's style code (``sdstudio.engine.style``) reads the same tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, TypeVar

from sdstudio.errors import UnknownNameError

PresetT = TypeVar("PresetT", "StylePreset", "DiffusionStylePreset")


def _by_id(*presets: PresetT) -> dict[str, PresetT]:
    """The presets by id, in display order."""
    return {preset.id: preset for preset in presets}


class StylePreset(NamedTuple):
    id: str  # what a StyleJob's ``preset`` names
    name: str  # shown under the thumbnail
    description: str  # tooltip / help text


STYLE_PRESETS: dict[str, StylePreset] = _by_id(
    StylePreset(
        "oil_painting",
        "Oil painting",
        "Thick brush strokes: flattened colour patches with painted edges and canvas relief.",
    ),
    StylePreset(
        "watercolour",
        "Watercolour",
        "Light washes of pigment that pool at the edges, with granulation and paper grain.",
    ),
    StylePreset(
        "pencil_sketch",
        "Pencil sketch",
        "A grey graphite drawing on paper, with hatching in the shadows.",
    ),
    StylePreset(
        "pencil_colour",
        "Colour pencil",
        "A pencil drawing tinted with the photo's own colours.",
    ),
    StylePreset(
        "cartoon",
        "Cartoon",
        "Flat colour areas with bold dark outlines, like a comic or animation cel.",
    ),
    StylePreset(
        "pop_art",
        "Pop art",
        "Bold posterised colours with comic-book halftone dots.",
    ),
    StylePreset(
        "vintage_film",
        "Vintage film",
        "Faded warm colours, lifted blacks, film grain and a soft vignette.",
    ),
    StylePreset(
        "charcoal",
        "Charcoal",
        "High-contrast smudged charcoal strokes on rough paper.",
    ),
    StylePreset(
        "neon_glow",
        "Neon glow",
        "The photo's edges as glowing neon lines on a dark background.",
    ),
)


def _named(presets: Mapping[str, PresetT], preset_id: str, what: str) -> PresetT:
    """``presets[preset_id]``; an :class:`UnknownNameError` listing the choices if none."""
    try:
        return presets[preset_id]
    except KeyError:
        choices = ", ".join(presets)
        raise UnknownNameError(f"Unknown {what} '{preset_id}'. Choose one of: {choices}.") from None


def style_names_and_descriptions() -> list[StylePreset]:
    """Every preset as ``(id, name, description)``, in display order."""
    return list(STYLE_PRESETS.values())


def check_preset(preset_id: str) -> StylePreset:
    """The preset called ``preset_id``; an :class:`UnknownNameError` listing the choices if none."""
    return _named(STYLE_PRESETS, preset_id, "style preset")


class DiffusionStylePreset(NamedTuple):
    """A prompt-based style run through Stable Diffusion image-to-image."""

    id: str  # what a StyleJob's ``preset`` names when ``options["method"]`` is a diffusion id
    name: str
    prompt: str  # empty for the free prompt: the job's ``options["prompt"]`` is required
    negative_prompt: str = ""


FREE_PROMPT_PRESET = "sd_prompt"
_NEGATIVE = "blurry, low quality, deformed, watermark, text"

DIFFUSION_STYLE_PRESETS: dict[str, DiffusionStylePreset] = _by_id(
    DiffusionStylePreset(
        "sd_oil_painting",
        "Oil painting (Stable Diffusion)",
        "an oil painting, thick brush strokes, impasto, rich colours, canvas texture",
        _NEGATIVE,
    ),
    DiffusionStylePreset(
        "sd_watercolour",
        "Watercolour (Stable Diffusion)",
        "a watercolour painting, soft washes, wet edges, paper texture, light colours",
        _NEGATIVE,
    ),
    DiffusionStylePreset(
        "sd_pencil",
        "Pencil drawing (Stable Diffusion)",
        "a detailed graphite pencil drawing, hatching, sketchbook paper, monochrome",
        _NEGATIVE + ", colour",
    ),
    DiffusionStylePreset(
        "sd_anime",
        "Anime (Stable Diffusion)",
        "an anime illustration, cel shading, clean line art, vibrant colours",
        _NEGATIVE + ", photo, realistic",
    ),
    DiffusionStylePreset(
        "sd_comic",
        "Comic book (Stable Diffusion)",
        "a comic book panel, bold ink outlines, halftone shading, flat colours",
        _NEGATIVE,
    ),
    DiffusionStylePreset(
        "sd_impressionist",
        "Impressionist (Stable Diffusion)",
        "an impressionist painting in the style of Claude Monet, visible dabs of paint, soft light",
        _NEGATIVE,
    ),
    DiffusionStylePreset(FREE_PROMPT_PRESET, "Your own prompt", "", _NEGATIVE),
)


def diffusion_style_presets() -> list[DiffusionStylePreset]:
    """The prompt-based presets (Stable Diffusion image-to-image), in display order."""
    return list(DIFFUSION_STYLE_PRESETS.values())


def check_diffusion_preset(preset_id: str) -> DiffusionStylePreset:
    return _named(DIFFUSION_STYLE_PRESETS, preset_id, "Stable Diffusion style")
