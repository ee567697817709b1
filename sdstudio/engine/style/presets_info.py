"""The style presets, as the engine names them: the tables live at layer 0.

They moved to :mod:`sdstudio.style_presets` so that jobs and UI code can read them without
importing the engine; this module keeps the engine's own import path.
"""

from __future__ import annotations

from sdstudio.style_presets import (
    DIFFUSION_STYLE_PRESETS,
    FREE_PROMPT_PRESET,
    STYLE_PRESETS,
    DiffusionStylePreset,
    StylePreset,
    check_diffusion_preset,
    check_preset,
    diffusion_style_presets,
    style_names_and_descriptions,
)

__all__ = [
    "DIFFUSION_STYLE_PRESETS",
    "FREE_PROMPT_PRESET",
    "STYLE_PRESETS",
    "DiffusionStylePreset",
    "StylePreset",
    "check_diffusion_preset",
    "check_preset",
    "diffusion_style_presets",
    "style_names_and_descriptions",
]
