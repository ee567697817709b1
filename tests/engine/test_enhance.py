from __future__ import annotations

import numpy as np
import pytest

from sdstudio import paths
from sdstudio.engine.enhance import NOTHING_TO_DO, run_enhance
from sdstudio.engine.model_cache import model_cache
from sdstudio.errors import UnknownNameError, UserFacingError
from sdstudio.jobs import EnhanceJob
from tests.engine.helpers import drive, save_tiny_enhance_model


def _photo(height=48, width=64, channels=3, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 4 % 256, y * 5 % 256, (x + y) * 2 % 256], axis=-1).astype(float)
    rgb = 0.6 * rgb + 50
    image = np.clip(rgb + rng.normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
    if channels == 4:
        alpha = np.zeros((height, width, 1), np.uint8)
        alpha[height // 4 : 3 * height // 4, width // 4 : 3 * width // 4] = 255
        image = np.concatenate([image, alpha], axis=-1)
    return image


@pytest.mark.parametrize("scale", [2, 4])
def test_lanczos_upscale_shapes_and_alpha(scale):
    image = _photo(channels=4)
    result, progress = drive(run_enhance(EnhanceJob(image, scale=scale)))
    assert result.image.shape == (48 * scale, 64 * scale, 4)
    assert result.params["upscaler"] == "lanczos" and progress[-1].fraction == 1.0
    alpha = result.image[..., 3]
    # alpha is scaled on its own: opaque centre, transparent border
    assert alpha[alpha.shape[0] // 2, alpha.shape[1] // 2] == 255 and alpha[0, 0] == 0


def test_builtin_models_are_used_for_their_scale():
    folder = paths.user_models_dir()
    save_tiny_enhance_model(folder, 2)
    image = _photo()
    result, progress = drive(run_enhance(EnhanceJob(image, scale=2)))
    assert result.params["upscaler"] == "tiny-sr-x2"
    assert result.image.shape == (96, 128, 3)
    assert any("tiny-sr-x2" in p.message for p in progress)
    # x4 has no model: Lanczos
    result4, _ = drive(run_enhance(EnhanceJob(image, scale=4)))
    assert result4.params["upscaler"] == "lanczos"
    # a named x2 model for x4: the model, then Lanczos the rest of the way, with a note
    named, _ = drive(run_enhance(EnhanceJob(image, scale=4, model="tiny-sr-x2")))
    assert named.image.shape == (192, 256, 3) and "Lanczos" in named.notes[0]


def test_later_jobs_reuse_the_loaded_model():
    save_tiny_enhance_model(paths.user_models_dir(), 2)
    model_cache.clear()
    before = model_cache.loads
    for _ in range(2):
        drive(run_enhance(EnhanceJob(_photo(), scale=2)))
    assert model_cache.loads - before == 1


def test_denoise_reduces_noise_and_contrast_stretches():
    flat = np.full((64, 64, 3), 120, np.uint8)
    noisy = np.clip(flat + np.random.default_rng(1).normal(0, 15, flat.shape), 0, 255)
    noisy = noisy.astype(np.uint8)
    result, _ = drive(run_enhance(EnhanceJob(noisy, denoise=1.0)))
    assert result.image.std() < 0.5 * noisy.std()

    dull = (_photo().astype(float) * 0.4 + 80).astype(np.uint8)
    result, _ = drive(run_enhance(EnhanceJob(dull, contrast=1.0)))
    assert np.ptp(result.image) > np.ptp(dull) + 50


def test_sharpen_raises_local_contrast():
    image = _photo()
    blurred = (image.astype(float) * 0.5 + np.roll(image, 1, axis=1) * 0.5).astype(np.uint8)
    result, _ = drive(run_enhance(EnhanceJob(blurred, sharpen=1.0)))

    def edge_energy(a):
        return np.abs(np.diff(a.astype(int), axis=1)).mean()

    assert edge_energy(result.image) > 1.1 * edge_energy(blurred)


def test_sharpening_in_strips_matches_one_pass():
    from sdstudio.engine.enhance import _sharpen
    from sdstudio.imaging.colour import unsharp_mask

    image = _photo(100, 64)
    whole = unsharp_mask(image, amount=1.5 * 0.7, radius=2.0)
    strips, progress = drive(_sharpen(image, 0.7, 2, strip_height=16))
    assert np.array_equal(strips, whole) and len(progress) == 7


def test_all_steps_combine_in_one_job():
    image = _photo(channels=4)
    result, progress = drive(
        run_enhance(EnhanceJob(image, scale=2, denoise=0.5, sharpen=0.5, contrast=0.5))
    )
    assert result.image.shape == (96, 128, 4)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions)


def test_bad_requests_are_clear():
    image = _photo()
    with pytest.raises(UserFacingError, match="Nothing to enhance") as caught:
        drive(run_enhance(EnhanceJob(image)))
    assert str(caught.value) == NOTHING_TO_DO
    with pytest.raises(UserFacingError, match="scale"):
        drive(run_enhance(EnhanceJob(image, scale=3)))
    with pytest.raises(UserFacingError, match="between 0 and 1"):
        drive(run_enhance(EnhanceJob(image, denoise=2)))
    with pytest.raises(UnknownNameError, match="lanczos"):
        drive(run_enhance(EnhanceJob(image, scale=2, model="nope")))


def test_a_result_too_large_to_hold_is_refused_before_any_work():
    image = np.zeros((1, 9000, 3), np.uint8)  # x4 would be 36000 px wide
    with pytest.raises(UserFacingError, match="smaller scale"):
        drive(run_enhance(EnhanceJob(image, scale=4)))


def test_one_pixel_image_upscales():
    result, _ = drive(run_enhance(EnhanceJob(np.full((1, 1, 3), 9, np.uint8), scale=4)))
    assert result.image.shape == (4, 4, 3)
