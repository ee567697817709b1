"""Real-world degradations for enhance training, after Real-ESRGAN's second-order model.

A clean photo crop goes through blur, resizing, noise and JPEG compression twice (each
stage in a random order, each operation skipped now and then), then is resized to the
low-resolution size; the clean crop is the target. The second stage is milder, as in
Real-ESRGAN, because a real photo is usually degraded once hard (camera, first save) and
once lightly (re-shares).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class StageRanges:
    blur_sigma: tuple[float, float]
    resize: tuple[float, float]
    gaussian_noise: tuple[float, float]  # in 0..255 units
    poisson_scale: tuple[float, float]
    jpeg_quality: tuple[int, int]
    skip_probability: float


FIRST_STAGE = StageRanges((0.2, 2.4), (0.4, 1.5), (1.0, 20.0), (0.05, 2.0), (40, 95), 0.2)
SECOND_STAGE = StageRanges((0.2, 1.2), (0.5, 1.2), (1.0, 12.0), (0.05, 1.5), (50, 95), 0.3)


def gaussian_kernel(rng: np.random.Generator, sigma_range: tuple[float, float]) -> np.ndarray:
    """A normalised anisotropic Gaussian kernel with a random orientation."""
    sigma_x = rng.uniform(*sigma_range)
    sigma_y = sigma_x if rng.random() < 0.5 else rng.uniform(*sigma_range)
    theta = rng.uniform(0, math.pi)
    size = int(2 * math.ceil(3 * max(sigma_x, sigma_y)) + 1)
    size = max(3, min(size, 21))
    half = size // 2
    ys, xs = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float32)
    cos, sin = math.cos(theta), math.sin(theta)
    u = cos * xs + sin * ys
    v = -sin * xs + cos * ys
    kernel = np.exp(-0.5 * ((u / sigma_x) ** 2 + (v / sigma_y) ** 2))
    return (kernel / kernel.sum()).astype(np.float32)


def blur(rng: np.random.Generator, image: np.ndarray, ranges: StageRanges) -> np.ndarray:
    kernel = gaussian_kernel(rng, ranges.blur_sigma)
    return cv2.filter2D(image, -1, kernel, borderType=cv2.BORDER_REFLECT)


def random_resize(rng: np.random.Generator, image: np.ndarray, ranges: StageRanges) -> np.ndarray:
    factor = rng.uniform(*ranges.resize)
    height, width = image.shape[:2]
    size = (max(4, round(width * factor)), max(4, round(height * factor)))
    interpolation = [cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC][int(rng.integers(3))]
    return cv2.resize(image, size, interpolation=interpolation)


def add_noise(rng: np.random.Generator, image: np.ndarray, ranges: StageRanges) -> np.ndarray:
    grey = rng.random() < 0.4
    shape = image.shape[:2] + ((1,) if grey else (image.shape[2],))
    if rng.random() < 0.6:
        noise = rng.normal(0.0, rng.uniform(*ranges.gaussian_noise) / 255.0, size=shape)
    else:
        # Photon (shot) noise: variance grows with brightness.
        levels = 10 ** rng.uniform(2.0, 3.5)
        base = image.mean(axis=2, keepdims=True) if grey else image
        shot = rng.poisson(np.clip(base, 0, 1) * levels) / levels - np.clip(base, 0, 1)
        noise = shot * rng.uniform(*ranges.poisson_scale)
    return image + noise.astype(np.float32)


def jpeg(rng: np.random.Generator, image: np.ndarray, ranges: StageRanges) -> np.ndarray:
    quality = int(rng.integers(ranges.jpeg_quality[0], ranges.jpeg_quality[1] + 1))
    pixels = (np.clip(image, 0, 1) * 255.0 + 0.5).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", pixels[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        return image
    decoded = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1]
    return decoded.astype(np.float32) / 255.0


OPERATIONS = (blur, random_resize, add_noise, jpeg)


def degrade_stage(rng: np.random.Generator, image: np.ndarray, ranges: StageRanges) -> np.ndarray:
    for index in rng.permutation(len(OPERATIONS)):
        if rng.random() < ranges.skip_probability:
            continue
        image = np.clip(OPERATIONS[int(index)](rng, image, ranges), 0.0, 1.0)
    return image


def degrade(rng: np.random.Generator, clean: np.ndarray, scale: int) -> np.ndarray:
    """``clean`` (``float32 (H, W, 3)`` in 0..1, sides divisible by ``scale``) degraded
    twice and resized to ``(H / scale, W / scale)``."""
    height, width = clean.shape[:2]
    image = degrade_stage(rng, clean.astype(np.float32), FIRST_STAGE)
    image = degrade_stage(rng, image, SECOND_STAGE)
    target = (width // scale, height // scale)
    interpolation = [cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC][int(rng.integers(3))]
    image = cv2.resize(image, target, interpolation=interpolation)
    if rng.random() < 0.5:  # a last save after resizing keeps its blocks at output size
        image = jpeg(rng, image, SECOND_STAGE)
    return np.clip(image, 0.0, 1.0).astype(np.float32)


def fixed_degradation(clean: np.ndarray, scale: int, seed: int) -> np.ndarray:
    """The same degradation for the same seed: what validation scores against."""
    return degrade(np.random.default_rng(seed), clean, scale)
