from __future__ import annotations

import cv2
import numpy as np
import pytest

from sdstudio.engine import classical
from sdstudio.engine.patchmatch_library import patchmatch_available


def _drive(work):
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


def _texture(size=96):
    rng = np.random.default_rng(3)
    base = rng.integers(60, 200, (size // 8, size // 8, 3), dtype=np.uint8)
    return cv2.resize(base, (size, size), interpolation=cv2.INTER_NEAREST)


@pytest.mark.parametrize("method", classical.CLASSICAL_INPAINT_METHODS)
def test_inpainting_changes_only_the_hole(method):
    if method == "patchmatch" and not patchmatch_available():
        pytest.skip("pypatchmatch not installed")
    image = _texture()
    mask = np.zeros(image.shape[:2], np.uint8)
    mask[30:50, 40:60] = 255
    damaged = image.copy()
    damaged[mask > 0] = 255
    filled = classical.inpaint(method, damaged, mask, seed=1)
    assert np.array_equal(filled[mask == 0], damaged[mask == 0])
    assert (filled[mask > 0] != 255).any()


@pytest.mark.skipif(not patchmatch_available(), reason="pypatchmatch not installed")
def test_automatic_classical_uses_telea_for_scratches_and_patchmatch_for_objects():
    image = _texture()
    scratch = np.zeros(image.shape[:2], np.uint8)
    cv2.line(scratch, (5, 5), (90, 80), 255, 3)
    blob = np.zeros(image.shape[:2], np.uint8)
    cv2.circle(blob, (48, 48), 15, 255, -1)
    auto = classical.inpaint("auto_classical", image, scratch, seed=2)
    assert np.array_equal(auto, classical.inpaint("telea", image, scratch))
    auto = classical.inpaint("auto_classical", image, blob, seed=2)
    assert np.array_equal(auto, classical.inpaint("auto_classical", image, blob, seed=2))
    telea = classical.inpaint("telea", image, blob)
    assert not np.array_equal(auto[blob > 0], telea[blob > 0])
    assert classical.thick_parts(blob > 0).sum() == (blob > 0).sum()  # the whole blob
    assert classical.hole_diameter(scratch > 0) <= classical.THIN_HOLE_DIAMETER
    assert classical.hole_diameter(blob > 0) > classical.THIN_HOLE_DIAMETER


@pytest.mark.skipif(not patchmatch_available(), reason="pypatchmatch not installed")
def test_automatic_classical_splits_thin_and_thick_parts_of_one_hole():
    image = np.concatenate([_texture(), _texture()], axis=1)  # 96 x 192
    hole = np.zeros(image.shape[:2], np.uint8)
    cv2.circle(hole, (40, 48), 14, 255, -1)  # an object ...
    cv2.line(hole, (40, 48), (185, 10), 255, 3)  # ... with a scratch running away from it
    thick = classical.thick_parts(hole > 0)
    assert thick[48, 40] and not thick[20, 150]  # the blob is thick, the line thin
    assert not (thick & (hole == 0)).any()
    auto = classical.inpaint("auto_classical", image, hole, seed=3)
    telea = classical.inpaint("telea", image, hole)
    far = np.zeros_like(thick)
    far[:, 120:] = True  # the scratch, far from the blob's PatchMatch crop
    assert np.array_equal(auto[far], telea[far])
    assert not np.array_equal(auto[thick], telea[thick])  # the blob is PatchMatch's
    assert np.array_equal(auto[hole == 0], image[hole == 0])
    # One PatchMatch crop per blob: the blob's box plus context in proportion to it.
    ((box, crop_hole, own),) = classical.patchmatch_groups(thick)
    assert box[2] - box[0] < 120 and own.sum() == thick.sum()


def test_lanczos_resize_handles_colour_alpha_and_one_pixel():
    assert classical.resize_lanczos(_texture(), 192, 96).shape == (96, 192, 3)
    assert classical.resize_lanczos(np.zeros((5, 7), np.uint8), 14, 10).shape == (10, 14)
    assert classical.resize_lanczos(np.zeros((1, 1, 4), np.uint8), 4, 4).shape == (4, 4, 4)


def test_denoise_in_strips_matches_a_whole_image_pass():
    rng = np.random.default_rng(0)
    noisy = np.clip(_texture(160).astype(int) + rng.normal(0, 20, (160, 160, 3)), 0, 255)
    noisy = noisy.astype(np.uint8)
    h = classical.denoise_strength_to_h(0.7)
    whole = cv2.fastNlMeansDenoisingColored(noisy, None, h, h, 7, 11)
    strips = _drive(classical.denoise(noisy, 0.7, strip_height=48))
    assert np.array_equal(strips, whole)
    assert np.array_equal(_drive(classical.denoise(noisy, 0.0)), noisy)


def test_lanczos_in_strips_matches_one_call():
    image = _texture(96)[:90]
    for scale in (2, 4):
        whole = classical.resize_lanczos(image, 96 * scale, 90 * scale)
        strips = _drive(classical.resize_lanczos_in_strips(image, scale, strip_height=16))
        assert np.array_equal(strips, whole)
