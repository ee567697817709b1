"""Small colour operations on 8-bit RGB/RGBA arrays; alpha is always left untouched."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter


def split_alpha(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(rgb, alpha)`` for RGBA, ``(rgb, None)`` for RGB."""
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxWx3 or HxWx4 image, got shape {image.shape}")
    if image.shape[2] == 4:
        return image[..., :3], image[..., 3]
    return image, None


def join_alpha(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if alpha is None:
        return rgb
    return np.concatenate([rgb, np.asarray(alpha)[..., None]], axis=2)


def to_float(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """RGB as float32 0..1, and the alpha channel (uint8, untouched) or None."""
    rgb, alpha = split_alpha(image)
    return rgb.astype(np.float32) / 255.0, alpha


def from_float(rgb: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
    """Round float 0..1 RGB back to uint8 (values outside are clipped); re-attach alpha."""
    rgb8 = np.clip(np.rint(np.asarray(rgb, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
    return join_alpha(rgb8, alpha)


def auto_levels(image: np.ndarray, strength: float = 1.0, clip_percent: float = 0.5) -> np.ndarray:
    """Stretch each channel so its darkest and brightest ``clip_percent`` % reach 0 and
    255, blended with the original by ``strength`` (0 = unchanged, 1 = full stretch)."""
    rgb, alpha = split_alpha(image)
    strength = float(np.clip(strength, 0.0, 1.0))
    if strength == 0.0 or rgb.size == 0:
        return np.array(image, copy=True)
    levels = np.arange(256, dtype=np.float32)
    out = np.empty_like(rgb)
    for channel in range(3):
        values = rgb[..., channel]
        histogram = np.bincount(values.ravel(), minlength=256)
        cumulative = np.cumsum(histogram) / values.size
        low = int(np.searchsorted(cumulative, clip_percent / 100.0, side="right"))
        high = int(np.searchsorted(cumulative, 1.0 - clip_percent / 100.0, side="left"))
        if high - low < 2:  # a flat channel: stretching would only amplify noise
            out[..., channel] = values
            continue
        stretched = np.clip((levels - low) * (255.0 / (high - low)), 0, 255)
        table = np.rint(levels + strength * (stretched - levels)).astype(np.uint8)
        out[..., channel] = table[values]
    return join_alpha(out, alpha)


def unsharp_mask(
    image: np.ndarray, amount: float = 1.0, radius: float = 2.0, threshold: int = 3
) -> np.ndarray:
    """Sharpen: add ``amount`` x (image - blurred) where the difference exceeds
    ``threshold`` levels."""
    rgb, alpha = split_alpha(image)
    if amount <= 0 or radius <= 0:
        return np.array(image, copy=True)
    sharpened = Image.fromarray(np.ascontiguousarray(rgb)).filter(
        ImageFilter.UnsharpMask(radius=radius, percent=round(amount * 100), threshold=threshold)
    )
    return join_alpha(np.asarray(sharpened).copy(), alpha)


def match_colour_stats(source: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Shift and scale each channel of ``source`` so that, inside ``mask``, its mean and
    spread match ``reference`` there.

    Used around a repair: comparing the filled image with the original on a ring just
    outside the hole removes a colour or brightness step at the edge. The scale is kept
    within 0.5..2 so a nearly flat region cannot blow the colours up.
    """
    source_rgb, alpha = split_alpha(source)
    reference_rgb, _ = split_alpha(reference)
    region = np.asarray(mask) > 0
    if source_rgb.shape != reference_rgb.shape or region.shape != source_rgb.shape[:2]:
        raise ValueError("source, reference and mask must have the same size")
    if not region.any():
        return np.array(source, copy=True)
    source_values = source_rgb[region].astype(np.float64)
    reference_values = reference_rgb[region].astype(np.float64)
    source_std = source_values.std(axis=0)
    reference_std = reference_values.std(axis=0)
    gain = np.where(source_std > 1e-6, reference_std / np.maximum(source_std, 1e-6), 1.0)
    gain = np.clip(gain, 0.5, 2.0)
    offset = reference_values.mean(axis=0) - gain * source_values.mean(axis=0)
    adjusted = source_rgb.astype(np.float32) * gain.astype(np.float32) + offset.astype(np.float32)
    return join_alpha(np.clip(np.rint(adjusted), 0, 255).astype(np.uint8), alpha)
