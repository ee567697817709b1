"""Named degradation profiles for enhance training: what a model's low-resolution inputs
look like.

The trainer's default (``degradations.degrade``, Real-ESRGAN's second-order model) is
tuned for badly damaged web images. The shipped fidelity-first models were trained on
milder profiles, and a fine-tune must keep feeding a model the inputs it was made for
(issue 19: tuning the shipped x2 on the heavy default made it worse on its own kind of
input). A profile is named in ``TrainingConfig.degradation`` and in the model file's
``recipe`` metadata, so it travels with the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from sdstudio.training.degradations import degrade as second_order_degrade

SECOND_ORDER = "second_order"  # the trainer's default: degradations.degrade


@dataclass(frozen=True)
class DegradationProfile:
    clean_probability: float  # share of plain antialiased bicubic downscales
    blur_probability: float
    blur_sigma: tuple[float, float]  # at the high resolution, in pixels
    noise_probability: float
    noise_sigma: tuple[float, float]  # 0..255 units, at the low resolution
    jpeg_probability: float
    jpeg_quality: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}


PROFILES = {
    # Ordinary photos: mild camera blur, sensor noise and one JPEG save (shipped x2).
    "mild": DegradationProfile(0.15, 0.7, (0.3, 1.6), 0.6, (1.0, 10.0), 0.7, (55, 95)),
    # Mostly clean downscales; a little blur, noise and JPEG so real photos do not break it
    # (shipped x4).
    "clean_mild": DegradationProfile(0.5, 0.4, (0.3, 1.0), 0.3, (1.0, 4.0), 0.4, (75, 95)),
}

Degrade = Callable[[np.random.Generator, np.ndarray, int], np.ndarray]


def downscale(image: np.ndarray, scale: int, method: int) -> np.ndarray:
    """``float32 (H, W, 3)`` -> ``(H / scale, W / scale)``: PIL bicubic (antialiased, as
    MATLAB's imresize), area averaging or bilinear."""
    height, width = image.shape[:2]
    size = (width // scale, height // scale)
    if method == 0:
        pixels = Image.fromarray(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8))
        return np.asarray(pixels.resize(size, Image.Resampling.BICUBIC), np.float32) / 255.0
    interpolation = cv2.INTER_AREA if method == 1 else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def profile_degrade(
    rng: np.random.Generator, clean: np.ndarray, scale: int, profile: DegradationProfile
) -> np.ndarray:
    """A low-resolution input for ``clean`` (``float32 (H, W, 3)`` in 0..1)."""
    if rng.random() < profile.clean_probability:
        return downscale(clean, scale, 0)
    image = clean
    if rng.random() < profile.blur_probability:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*profile.blur_sigma))
    image = downscale(image, scale, int(rng.integers(3)))
    if rng.random() < profile.noise_probability:
        sigma = rng.uniform(*profile.noise_sigma) / 255.0
        channels = 1 if rng.random() < 0.3 else 3
        noise = rng.normal(0.0, sigma, size=image.shape[:2] + (channels,))
        image = image + noise.astype(np.float32)
    image = np.clip(image, 0.0, 1.0)
    if rng.random() < profile.jpeg_probability:
        quality = int(rng.integers(profile.jpeg_quality[0], profile.jpeg_quality[1] + 1))
        pixels = (image * 255.0 + 0.5).astype(np.uint8)[:, :, ::-1]
        _, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
        image = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1].astype(np.float32) / 255.0
    return np.ascontiguousarray(image, dtype=np.float32)


def degrader(name: str | None) -> Degrade:
    """The degradation function of a profile name (None: the trainer's default)."""
    if name in (None, "", SECOND_ORDER):
        return second_order_degrade
    if name not in PROFILES:
        known = ", ".join([SECOND_ORDER, *PROFILES])
        raise ValueError(f"unknown degradation profile {name!r}; expected one of {known}")
    profile = PROFILES[name]
    return lambda rng, clean, scale: profile_degrade(rng, clean, scale, profile)


def fixed_degradation_for(name: str | None, clean: np.ndarray, scale: int, seed: int):
    """The same degradation for the same seed under a profile: what validation scores."""
    return degrader(name)(np.random.default_rng(seed), clean, scale)


def profile_named_by(values: Any) -> str | None:
    """The name of the profile whose values these are (older files stored the values)."""
    if not isinstance(values, dict):
        return None
    for name, profile in PROFILES.items():
        if profile.as_dict() == {
            k: list(v) if isinstance(v, tuple) else v for k, v in values.items()
        }:
            return name
    return None
