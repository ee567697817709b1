"""A preset looks the same on any photo size, and a thumbnail is a downscale of the result.

Brushes, strokes, texture and outlines are sized in style pixels (``engine/style/scale.py``),
so styling a photo four times larger and shrinking the result gives (nearly) the result
of the smaller photo. Measured on the bundled example photo, upscaled, for every preset.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from sdstudio import paths
from sdstudio.engine.runner import run_to_completion
from sdstudio.engine.style import STYLE_PRESETS
from sdstudio.engine.style.scale import (
    MIN_RENDER_UNIT,
    preview_image,
    preview_size,
    render_size,
    style_unit,
)
from sdstudio.jobs import StyleJob

THUMBNAIL_SIDE = 96  # the Style panel's


def example(width: int) -> np.ndarray:
    photo = Image.open(paths.example_photo_path()).convert("RGB")
    height = round(width * photo.height / photo.width)
    return np.asarray(photo.resize((width, height), Image.Resampling.LANCZOS))


def styled(image: np.ndarray, preset: str) -> np.ndarray:
    job = StyleJob(image, preset, device="cpu", options={"renderer": "filters"})
    return run_to_completion(job).image


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean structural similarity of the luminances (Gaussian window, sigma 1.5)."""
    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)

    def blur(v):
        return cv2.GaussianBlur(v, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    index = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(index.mean())


def gradient_energy(image: np.ndarray) -> float:
    """How much texture and edge there is: mean squared Sobel gradient of the luminance."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    return float(np.mean(gx * gx + gy * gy))


@pytest.fixture(scope="module")
def photos() -> tuple[np.ndarray, np.ndarray]:
    small = example(512)
    # The same content four times larger: any difference is the preset's, not the photo's.
    large = cv2.resize(small, (2048, small.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
    return small, large


@pytest.mark.parametrize("preset", list(STYLE_PRESETS))
def test_a_preset_on_a_four_times_larger_photo_shrinks_to_the_same_look(photos, preset):
    small, large = photos
    at_small = styled(small, preset)
    shrunk = shrink(styled(large, preset), small.shape[:2])
    # Before style pixels, textures were one photo pixel whatever the photo, so the
    # large result shrank to a smoother picture: SSIM 0.25-0.7, 0.4-0.7 of the energy.
    assert ssim(at_small, shrunk) > 0.72, preset
    ratio = gradient_energy(shrunk) / gradient_energy(at_small)
    assert 0.8 < ratio < 1.45, f"{preset}: texture energy ratio {ratio:.2f}"


@pytest.mark.parametrize("preset", list(STYLE_PRESETS))
def test_a_thumbnail_is_a_downscale_of_the_full_size_result(photos, preset):
    _small, large = photos
    thumbnail_size = (THUMBNAIL_SIDE * large.shape[0] // large.shape[1], THUMBNAIL_SIDE)
    full = shrink(styled(large, preset), thumbnail_size)
    # What the Style panel does: style the preview, shrink the result to the thumbnail.
    thumbnail = shrink(styled(preview_image(large), preset), thumbnail_size)
    # Styling a thumbnail-sized copy directly draws strokes far too big for it.
    direct = styled(shrink(large, thumbnail_size), preset)
    assert ssim(thumbnail, full) > 0.8, preset
    assert ssim(thumbnail, full) > ssim(direct, full), preset


def test_style_units_and_render_sizes():
    assert style_unit((900, 1600)) == pytest.approx(1.0)
    assert style_unit((3648, 5472)) == pytest.approx(3648 / 900)  # a 20 MP photo
    assert style_unit((1536, 2048)) == pytest.approx(4 * style_unit((384, 512)))
    assert render_size((1536, 2048)) == (1536, 2048)
    # Too small for the finest texture: rendered enlarged to the smallest unit, but at
    # most four times.
    assert style_unit(render_size((300, 400))) == pytest.approx(MIN_RENDER_UNIT, abs=0.01)
    assert render_size((10, 20)) == (40, 80)
    # Previews are shrunk down to that smallest unit and never enlarged.
    assert style_unit(preview_size((3648, 5472))) == pytest.approx(MIN_RENDER_UNIT, abs=0.01)
    assert preview_size((300, 400)) == (300, 400)
    shrunk = preview_image(np.zeros((3000, 4000, 3), np.uint8))
    assert shrunk.shape == (450, 600, 3)
