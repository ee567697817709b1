"""Strength and mask: how much of the styled image each pixel gets."""

from __future__ import annotations

import numpy as np

from sdstudio.errors import MaskError


def effect_weight(
    mask: np.ndarray | None, image_shape: tuple[int, int], strength: float
) -> np.ndarray | float | None:
    """Per-pixel blend weight (float32 0..1), a constant, or None when nothing changes.

    An empty mask means "no selection", so the whole image is styled, as in the app.
    """
    if strength <= 0.0:
        return None
    if mask is None:
        return strength
    mask = np.asarray(mask)
    if mask.ndim == 3 and mask.shape[2] in (1, 3, 4):
        mask = mask[..., 0]
    if mask.shape != tuple(image_shape):
        raise MaskError(
            f"The mask is {mask.shape[1]}x{mask.shape[0]} pixels but the image is "
            f"{image_shape[1]}x{image_shape[0]}; they must be the same size."
        )
    if not mask.any():
        return strength
    return mask.astype(np.float32) * np.float32(strength / 255.0)


def blend_into(
    output: np.ndarray,
    original: np.ndarray,
    styled: np.ndarray,
    weight: np.ndarray | float,
    core: tuple[int, int, int, int],
) -> None:
    """Write ``original + (styled - original) * weight`` into ``output`` inside ``core``.

    Pixels whose weight is 0 keep their original bytes exactly.
    """
    top, left, bottom, right = core
    if not isinstance(weight, np.ndarray) and weight >= 1.0:
        output[top:bottom, left:right] = styled
        return
    base = original[top:bottom, left:right].astype(np.float32)
    if isinstance(weight, np.ndarray):
        w = weight[top:bottom, left:right, None]
    else:
        w = np.float32(weight)
    mixed = base + (styled.astype(np.float32) - base) * w
    result = np.clip(mixed + 0.5, 0, 255).astype(np.uint8)
    if isinstance(weight, np.ndarray):
        result = np.where(w > 0, result, original[top:bottom, left:right])
    output[top:bottom, left:right] = result
