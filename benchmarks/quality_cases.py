"""What ``quality.py`` measures on: the photos, the repair masks, the low-resolution inputs
for enhance, and the metrics.

The low-resolution inputs are made here with OpenCV and Pillow directly, not with the
training code's degradations, so a change to what the models train on can never change
what they are judged on.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

MASK_KINDS = ("scratches", "blobs", "box")

# Every resampler a user's photo may have been shrunk with before it reaches Enhance:
# OpenCV's cubic and linear alias (no antialiasing filter), area and Pillow's filters do not.
_CV2_DOWNSCALERS = {
    "cv2_cubic": cv2.INTER_CUBIC,
    "cv2_area": cv2.INTER_AREA,
    "cv2_linear": cv2.INTER_LINEAR,
}
_PIL_DOWNSCALERS = {
    "pil_bicubic": Image.Resampling.BICUBIC,
    "pil_lanczos": Image.Resampling.LANCZOS,
}
DOWNSCALERS = (*_CV2_DOWNSCALERS, *_PIL_DOWNSCALERS)
DEGRADED = "degraded"  # blur, area downscale, noise, JPEG: an old scan or a phone photo
DEGRADED_SCALES = (2,)
DEGRADED_SEED = 18  # its own seed (issue 18), mixed with the photo's name
DEGRADED_BLUR_SIGMA = 1.2  # at full size, before the downscale
DEGRADED_NOISE_SIGMA = 6.0  # on 0..255 values, per channel
DEGRADED_JPEG_QUALITY = 60


@dataclass(frozen=True)
class EnhanceCase:
    scale: int
    downscaler: str  # one of DOWNSCALERS or DEGRADED

    @property
    def name(self) -> str:
        return f"x{self.scale} {self.downscaler}"


def enhance_cases(scales: tuple[int, ...], downscalers: tuple[str, ...]) -> list[EnhanceCase]:
    """Each scale with each downscaler; the degraded case only at its own scales."""
    return [
        EnhanceCase(scale, downscaler)
        for scale in scales
        for downscaler in downscalers
        if downscaler != DEGRADED or scale in DEGRADED_SCALES
    ]


def downscale(image: np.ndarray, scale: int, downscaler: str) -> np.ndarray:
    """``uint8 (H, W, 3)`` -> ``(H / scale, W / scale, 3)`` with one named resampler."""
    height, width = image.shape[:2]
    size = (width // scale, height // scale)
    if downscaler in _CV2_DOWNSCALERS:
        return cv2.resize(image, size, interpolation=_CV2_DOWNSCALERS[downscaler])
    if downscaler in _PIL_DOWNSCALERS:
        # A copy, not a view: Pillow's buffer is read-only, which torch warns about.
        return np.array(Image.fromarray(image).resize(size, _PIL_DOWNSCALERS[downscaler]))
    raise ValueError(f"unknown downscaler {downscaler!r}; expected one of {DOWNSCALERS}")


def degrade(image: np.ndarray, scale: int, photo_name: str) -> np.ndarray:
    """Blur, area downscale, Gaussian noise and a JPEG save, seeded by the photo's name
    (so a photo gets the same noise in a ``--limit`` run as in the full one)."""
    blurred = cv2.GaussianBlur(image.astype(np.float32), (0, 0), DEGRADED_BLUR_SIGMA)
    small = downscale(np.clip(blurred + 0.5, 0, 255).astype(np.uint8), scale, "cv2_area")
    rng = np.random.default_rng([DEGRADED_SEED, zlib.crc32(photo_name.encode())])
    noise = rng.normal(0.0, DEGRADED_NOISE_SIGMA, small.shape)
    noisy = np.clip(small.astype(np.float32) + noise + 0.5, 0, 255).astype(np.uint8)
    quality = [cv2.IMWRITE_JPEG_QUALITY, DEGRADED_JPEG_QUALITY]
    _, encoded = cv2.imencode(".jpg", noisy[:, :, ::-1], quality)
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1])


def low_res_input(truth: np.ndarray, case: EnhanceCase, photo_name: str) -> np.ndarray:
    if case.downscaler == DEGRADED:
        return degrade(truth, case.scale, photo_name)
    return downscale(truth, case.scale, case.downscaler)


# ----- photos and masks -----
def load_photos(folder: Path, size: int, limit: int | None) -> list[tuple[str, np.ndarray]]:
    """``(file stem, uint8 RGB)`` per photo, area-downscaled to a long side of at most
    ``size`` and cropped to a multiple of 4, so every scale divides it exactly."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise SystemExit(f"No photos in {folder}.")
    photos = []
    for path in files[:limit] if limit else files:
        image = np.array(Image.open(path).convert("RGB"))  # writable, unlike asarray
        height, width = image.shape[:2]
        factor = min(1.0, size / max(height, width))
        if factor < 1.0:
            new_size = (round(width * factor), round(height * factor))
            image = cv2.resize(image, new_size, interpolation=cv2.INTER_AREA)
        height, width = image.shape[:2]
        photos.append((path.stem, np.ascontiguousarray(image[: height // 4 * 4, : width // 4 * 4])))
    return photos


def make_mask(kind: str, height: int, width: int, seed: int) -> np.ndarray:
    """A fixed, seeded ``uint8 (H, W)`` mask (255 = hole) of the given kind."""
    rng = np.random.default_rng([seed, MASK_KINDS.index(kind)])
    mask = np.zeros((height, width), np.uint8)
    if kind == "scratches":
        for _ in range(6):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            angle = rng.uniform(0, 2 * math.pi)
            points = [(x, y)]
            for _ in range(12):
                angle += rng.normal(0, 0.25)
                x += math.cos(angle) * min(height, width) / 24
                y += math.sin(angle) * min(height, width) / 24
                points.append((x, y))
            line = np.round(np.array(points)).astype(np.int32)
            cv2.polylines(mask, [line], False, 255, int(rng.integers(2, 5)), cv2.LINE_8)
    elif kind == "blobs":
        target = 0.03 * height * width
        for _ in range(5):
            area = target / 5 * rng.uniform(0.7, 1.3)
            ratio = rng.uniform(0.5, 2.0)
            a = math.sqrt(area / math.pi * ratio)
            b = area / (math.pi * a)
            centre = (int(rng.uniform(a, width - a)), int(rng.uniform(b, height - b)))
            angle = float(rng.uniform(0, 180))
            cv2.ellipse(mask, centre, (int(a), int(b)), angle, 0, 360, 255, -1)
    elif kind == "box":
        box_w, box_h = width // 4, height // 4
        x0 = int(rng.integers(width // 8, width - box_w - width // 8 + 1))
        y0 = int(rng.integers(height // 8, height - box_h - height // 8 + 1))
        mask[y0 : y0 + box_h, x0 : x0 + box_w] = 255
    else:
        raise ValueError(kind)
    return mask


def speed_blob_mask(height: int, width: int, coverage: float = 0.05) -> np.ndarray:
    """Seeded ellipses until ``coverage`` of the image is hole: the repair speed goal."""
    mask = np.zeros((height, width), np.uint8)
    rng = np.random.default_rng(5)
    while (mask > 0).mean() < coverage:
        centre = (int(rng.integers(100, width - 100)), int(rng.integers(100, height - 100)))
        axes = (int(rng.integers(20, 70)), int(rng.integers(20, 70)))
        cv2.ellipse(mask, centre, axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return mask


# ----- metrics -----
def luminance(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Luminance SSIM per pixel (7x7 Gaussian window, sigma 1.5)."""
    x, y = luminance(a), luminance(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(v: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(v, (7, 7), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def detail_ratio(output: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    """Fine detail (mean absolute Laplacian of the luminance) of ``output`` over ``truth``'s
    in ``where``: 1.0 is as crisp as the original; blur is below 1, invented texture or
    noise above."""

    def energy(image: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(luminance(image), cv2.CV_64F))[where].mean())

    return energy(output) / max(energy(truth), 1e-9)


def psnr_ssim(output: np.ndarray, truth: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    """PSNR over the RGB values and mean luminance SSIM, both over the pixels in ``where``."""
    diff = output.astype(np.float64)[where] - truth.astype(np.float64)[where]
    mse = max(float(np.mean(diff * diff)), 1e-10)
    return 10 * math.log10(255.0**2 / mse), float(ssim_map(output, truth)[where].mean())


Score = tuple[float, float, float]  # PSNR, SSIM, detail ratio


def score(output: np.ndarray, truth: np.ndarray, where: np.ndarray) -> Score:
    return (*psnr_ssim(output, truth, where), detail_ratio(output, truth, where))


def whole_image(image: np.ndarray) -> np.ndarray:
    """The whole image: enhance and style are scored on every pixel, borders included,
    because a network that mishandles its padding shows it there first."""
    return np.ones(image.shape[:2], bool)
