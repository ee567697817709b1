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
    # Which of ``DOWNSCALERS`` make the small photo (indices; the first three are the
    # kernels the first shipped models knew). Issue 18: a model that never saw a sharp,
    # aliased OpenCV INTER_CUBIC downscale does worse than bicubic on one.
    kernels: tuple[int, ...] = (0, 1, 2)
    # Before a kernel without antialiasing, sometimes a slight Gaussian blur (sigma in
    # units of the scale factor): the continuum between aliased and antialiased resizes
    # that other tools (browsers, phones, GIMP) produce.
    preblur_probability: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}


PROFILES = {
    # Ordinary photos: mild camera blur, sensor noise and one JPEG save (shipped x2).
    "mild": DegradationProfile(0.15, 0.7, (0.3, 1.6), 0.6, (1.0, 10.0), 0.7, (55, 95)),
    # Mostly clean downscales; a little blur, noise and JPEG so real photos do not break it
    # (shipped x4).
    "clean_mild": DegradationProfile(0.5, 0.4, (0.3, 1.0), 0.3, (1.0, 4.0), 0.4, (75, 95)),
    # Any way a photo gets small (every downscaler of DOWNSCALERS, aliased or antialiased,
    # with a continuum between them), and about half the time mild camera blur, noise and
    # JPEG on top (shipped x2 and x4 since issue 18).
    "any_downscale": DegradationProfile(
        0.35,
        0.5,
        (0.3, 1.6),
        0.5,
        (1.0, 10.0),
        0.5,
        (50, 95),
        kernels=(0, 1, 2, 3, 4, 5),
        preblur_probability=0.3,
    ),
}

# How a small photo may have been made. Index 0..2 keep their first meaning (the "mild"
# and "clean_mild" profiles draw from them and must stay reproducible).
DOWNSCALERS = (
    "pil_bicubic",  # antialiased, as MATLAB's imresize and benchmarks/quality.py
    "cv2_area",
    "cv2_linear",  # no antialiasing
    "cv2_cubic",  # no antialiasing: sharp and aliased
    "pil_lanczos",  # antialiased
    "pil_bilinear",  # antialiased (a triangle filter as wide as the scale)
)
_ALIASING = {"cv2_linear", "cv2_cubic"}

Degrade = Callable[[np.random.Generator, np.ndarray, int], np.ndarray]


_PIL_FILTERS = {
    "pil_bicubic": Image.Resampling.BICUBIC,
    "pil_lanczos": Image.Resampling.LANCZOS,
    "pil_bilinear": Image.Resampling.BILINEAR,
}
_CV2_FILTERS = {
    "cv2_area": cv2.INTER_AREA,
    "cv2_linear": cv2.INTER_LINEAR,
    "cv2_cubic": cv2.INTER_CUBIC,
}


def downscale(image: np.ndarray, scale: int, method: int | str) -> np.ndarray:
    """``float32 (H, W, 3)`` -> ``(H / scale, W / scale)`` with one of ``DOWNSCALERS``
    (an index or a name)."""
    name = DOWNSCALERS[method] if isinstance(method, int) else method
    height, width = image.shape[:2]
    size = (width // scale, height // scale)
    if name in _PIL_FILTERS:
        pixels = Image.fromarray(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8))
        return np.asarray(pixels.resize(size, _PIL_FILTERS[name]), np.float32) / 255.0
    if name not in _CV2_FILTERS:
        raise ValueError(f"unknown downscaler {name!r}; expected one of {DOWNSCALERS}")
    return cv2.resize(image, size, interpolation=_CV2_FILTERS[name])


def profile_degrade(
    rng: np.random.Generator, clean: np.ndarray, scale: int, profile: DegradationProfile
) -> np.ndarray:
    """A low-resolution input for ``clean`` (``float32 (H, W, 3)`` in 0..1)."""
    if rng.random() < profile.clean_probability:
        if len(profile.kernels) == 3:  # the first profiles: a clean input is PIL bicubic
            return downscale(clean, scale, 0)
        return downscale(clean, scale, profile.kernels[int(rng.integers(len(profile.kernels)))])
    image = clean
    if rng.random() < profile.blur_probability:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(*profile.blur_sigma))
    kernel = profile.kernels[int(rng.integers(len(profile.kernels)))]
    if DOWNSCALERS[kernel] in _ALIASING and rng.random() < profile.preblur_probability:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.15, 0.5) * scale)
    image = downscale(image, scale, kernel)
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


# Files saved before these fields existed stored fewer keys: absent means these values.
_FIELDS_ADDED_LATER = {"kernels": [0, 1, 2], "preblur_probability": 0.0}


def profile_named_by(values: Any) -> str | None:
    """The name of the profile whose values these are (older files stored the values)."""
    if not isinstance(values, dict):
        return None
    stored = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    for name, profile in PROFILES.items():
        if profile.as_dict() == {**_FIELDS_ADDED_LATER, **stored}:
            return name
    return None
