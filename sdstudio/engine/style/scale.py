"""How big a preset's brush is on a given photo, and at what size a preset is rendered.

A preset's look is defined in *style pixels*: one style pixel is ``unit`` photo pixels,
and a photo whose short side is ``REFERENCE_SHORT_SIDE`` has unit 1. Every length,
stroke and texture cell of a preset is a number of style pixels, so a 22 MP photo gets
the same strokes, relative to the picture, as a 1 MP one, and a downscaled result looks
like the result of the downscaled photo.

The finest texture of a preset is two style pixels across; below ``MIN_RENDER_UNIT``
that would be smaller than a photo pixel. Such small pictures are rendered enlarged
(up to ``MAX_RENDER_UPSCALE``) and shrunk back, which is exactly "a downscale of what
the full size looks like". Thumbnails use the same rule from the other side: the photo
is shrunk only down to ``MIN_RENDER_UNIT`` (:func:`preview_image`), styled, and then
shrunk to the thumbnail.

No torch here: the UI computes preview sizes without loading the engine.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

REFERENCE_SHORT_SIDE = 900  # the photo size the presets' style pixels are tuned for
MAX_UNIT = 8.0  # beyond ~7200 px short side brushes stop growing (bounded tile margins)
MIN_RENDER_UNIT = 0.5  # smaller pictures are rendered enlarged to this unit
MAX_RENDER_UPSCALE = 4.0  # tiny pictures are not enlarged without limit


def style_unit(image_size: tuple[int, int]) -> float:
    """Photo pixels per style pixel for a photo of ``(height, width)``: 1 at the reference."""
    return min(MAX_UNIT, max(1, min(image_size)) / REFERENCE_SHORT_SIDE)


def render_size(image_size: tuple[int, int]) -> tuple[int, int]:
    """``(height, width)`` at which the filters render a photo of ``image_size``.

    The photo's own size unless its unit is below ``MIN_RENDER_UNIT``; then enlarged so
    that it reaches it (at most ``MAX_RENDER_UPSCALE`` times).
    """
    unit = style_unit(image_size)
    if unit >= MIN_RENDER_UNIT:
        return tuple(image_size)  # type: ignore[return-value]
    factor = min(MIN_RENDER_UNIT / unit, MAX_RENDER_UPSCALE)
    height, width = image_size
    return max(1, round(height * factor)), max(1, round(width * factor))


def render_unit(image_size: tuple[int, int]) -> float:
    """The style unit a photo of ``image_size`` is rendered at (at its :func:`render_size`)."""
    return style_unit(render_size(image_size))


def preview_size(image_size: tuple[int, int]) -> tuple[int, int]:
    """The smallest size at which a preset still renders at full detail: the photo shrunk
    to unit ``MIN_RENDER_UNIT`` (never enlarged)."""
    height, width = image_size
    factor = MIN_RENDER_UNIT * REFERENCE_SHORT_SIDE / max(1, min(height, width))
    if factor >= 1.0:
        return height, width
    return max(1, round(height * factor)), max(1, round(width * factor))


def preview_image(image: np.ndarray) -> np.ndarray:
    """``image`` shrunk to :func:`preview_size`: what a thumbnail is styled from.

    Style it, then shrink the result to the thumbnail: that is a downscale of the
    full-size result, which styling a 96 px copy directly would not be.
    """
    height, width = image.shape[:2]
    size = preview_size((height, width))
    if size == (height, width):
        return image.copy()
    return np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.Resampling.BOX))
