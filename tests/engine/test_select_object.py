from __future__ import annotations

import cv2
import numpy as np
import pytest

from sdstudio.engine import select_object as engine
from sdstudio.engine.select_object import clip_box, select_object
from sdstudio.errors import MaskError
from tests.engine.object_scenes import iou, object_scene


def edge_error(mask: np.ndarray, truth: np.ndarray, width: int = 6) -> float:
    """Share of wrong pixels within ``width`` px of the true outline."""
    kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    truth8 = truth.astype(np.uint8)
    band = cv2.dilate(truth8, kernel) != cv2.erode(truth8, kernel)
    return float(((mask > 0) != truth)[band].mean())


@pytest.fixture(scope="module")
def scenes():
    # 1024 x 768: larger than the working copies, so every stage runs.
    return {hard: object_scene(1024, 768, seed=3, hard=hard) for hard in (False, True)}


@pytest.mark.parametrize("hard", [False, True], ids=["scene", "hard scene"])
def test_finds_the_object_in_the_box(scenes, hard):
    scene = scenes[hard]
    mask = select_object(scene.image, scene.box)
    assert mask.dtype == np.uint8 and mask.shape == scene.truth.shape
    assert set(np.unique(mask)) <= {0, 255}
    assert iou(mask, scene.truth) >= 0.85
    x, y, w, h = scene.box
    outside = np.ones(mask.shape, bool)
    outside[y : y + h, x : x + w] = False
    assert not mask[outside].any()


def test_small_photo_is_cut_at_its_own_resolution():
    scene = object_scene(150, 112, seed=5)
    assert scene.image.shape[0] * scene.image.shape[1] < engine.COARSE_PIXELS
    assert iou(select_object(scene.image, scene.box), scene.truth) >= 0.85


def test_the_edge_follows_the_full_resolution_photo_not_the_working_copy(scenes, monkeypatch):
    scene = scenes[False]
    refined = select_object(scene.image, scene.box)
    # The same search with the last step replaced by a plain (bilinear) upsampling.
    monkeypatch.setattr(
        engine,
        "_guided_upsample",
        lambda inside, small, full: (
            cv2.resize(inside.astype(np.float32), full.shape[1::-1], interpolation=cv2.INTER_LINEAR)
            > 0.5
        ),
    )
    blocky = select_object(scene.image, scene.box)
    assert edge_error(refined, scene.truth) < 0.6 * edge_error(blocky, scene.truth)


def test_matches_full_resolution_grabcut():
    scene = object_scene(640, 480, seed=3, hard=True)  # small: the baseline is slow
    fast = select_object(scene.image, scene.box)
    baseline = select_object(scene.image, scene.box, full_resolution=True)
    assert iou(baseline, scene.truth) >= 0.85
    assert iou(fast, scene.truth) >= iou(baseline, scene.truth) - 0.02


def test_a_box_past_the_photo_edge_and_an_rgba_photo():
    scene = object_scene(400, 300, seed=7)
    x, y, w, h = scene.box
    rgba = np.dstack([scene.image, np.full(scene.truth.shape, 90, np.uint8)])
    mask = select_object(rgba, (x - 1000, y, w + 1000, h + 500))
    assert iou(mask, scene.truth) >= 0.85


def test_a_box_over_the_whole_photo_still_has_a_background_to_learn():
    scene = object_scene(240, 180, seed=2)
    mask = select_object(scene.image, (0, 0, 240, 180))
    assert iou(mask, scene.truth) >= 0.85


def test_boxes_too_small_or_outside_are_refused():
    image = np.zeros((50, 60, 3), np.uint8)
    with pytest.raises(MaskError):
        select_object(image, (10, 10, 2, 30))
    with pytest.raises(MaskError):
        select_object(image, (100, 100, 40, 40))
    assert clip_box((-5, 10, 30, 100), 60, 50) == (0, 10, 25, 40)
