from __future__ import annotations

import cv2
import numpy as np
import pytest

from sdstudio import paths
from sdstudio.engine.patchmatch_library import patchmatch_available
from sdstudio.engine.repair import EMPTY_MASK_MESSAGE, blend_ring_width, repair_image, run_repair
from sdstudio.errors import MaskError, UnknownNameError, UserFacingError
from sdstudio.imaging.masks import dilate
from sdstudio.jobs import JobResult, Progress, RepairJob
from tests.engine.helpers import drive, save_tiny_repair_model, validation_scores


def _scene(height=120, width=160, channels=3):
    """A smooth gradient with a dark 'object' to remove."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 120)], axis=-1)
    image = rgb.astype(np.uint8)
    if channels == 4:
        alpha = ((x + y) % 256).astype(np.uint8)
        image = np.concatenate([image, alpha[..., None]], axis=-1)
    return image


def _two_region_mask(height=120, width=160):
    mask = np.zeros((height, width), np.uint8)
    mask[20:34, 25:40] = 255
    mask[80:100, 110:135] = 200  # any non-zero value is a hole
    return mask


def _assert_outside_dilated_identical(original, repaired, mask):
    ring = blend_ring_width(*mask.shape)
    outside = ~dilate(mask > 0, ring)
    assert np.array_equal(repaired[outside], original[outside])


@pytest.mark.parametrize("method", ["telea", "navier_stokes", "patchmatch"])
def test_classical_repair_fills_holes_and_keeps_everything_else(method):
    image = _scene()
    image_with_object = image.copy()
    mask = _two_region_mask()
    image_with_object[mask > 0] = (10, 10, 10)
    result, progress = drive(run_repair(RepairJob(image_with_object, mask, method=method)))
    assert isinstance(result, JobResult) and result.params["method"] == method
    assert [p.fraction for p in progress][-1] == 1.0 and len(progress) >= 3  # start + 2 areas
    _assert_outside_dilated_identical(image_with_object, result.image, mask)
    hole = mask > 0
    # the dark object is gone: the fill is close to the smooth background it hid
    error = np.abs(result.image[hole].astype(int) - image[hole].astype(int)).mean()
    assert error < 25
    assert result.image[hole].mean() > 60


def test_repair_keeps_alpha_bit_identical():
    image = _scene(channels=4)
    mask = _two_region_mask()
    result, _ = drive(run_repair(RepairJob(image, mask, method="telea")))
    assert result.image.shape == image.shape
    assert np.array_equal(result.image[..., 3], image[..., 3])
    _assert_outside_dilated_identical(image, result.image, mask)


def test_builtin_network_repair_uses_the_model_file():
    save_tiny_repair_model(paths.user_models_dir())
    image = _scene()
    mask = _two_region_mask()
    image[mask > 0] = 0
    result, progress = drive(run_repair(RepairJob(image, mask)))  # "auto" -> the model
    assert result.params["method"] == "tiny-repair" and result.params["method_kind"] == "builtin"
    assert "tiny-repair" in progress[0].message
    _assert_outside_dilated_identical(image, result.image, mask)
    assert not np.array_equal(result.image[mask > 0], image[mask > 0])


def _save_refiner(folder, head_std: float = 0.0):
    import torch

    from sdstudio.engine.model_file import save_model
    from sdstudio.engine.networks import ClassicalFillRefiner

    torch.manual_seed(0)
    hyper = {"channels": 4, "dilations": [1, 2]}
    network = ClassicalFillRefiner(**hyper)
    if head_std:
        torch.nn.init.normal_(network.head.weight, std=head_std)
    save_model(
        folder / "tiny-refiner.safetensors", network, task="repair",
        architecture="inpaint_refiner", hyperparameters=hyper, name="Tiny refiner",
        extra_metadata={"validation": validation_scores("repair")},  # so "auto" picks it
    )  # fmt: skip


@pytest.mark.skipif(not patchmatch_available(), reason="pypatchmatch is not installed")
def test_a_fill_refiner_starts_from_the_automatic_classical_fill():
    image = _scene()
    mask = _two_region_mask()
    image[mask > 0] = 0
    classical, _ = drive(run_repair(RepairJob(image, mask, method="auto_classical", seed=3)))
    _save_refiner(paths.user_models_dir())
    untrained, _ = drive(run_repair(RepairJob(image, mask, seed=3)))  # "auto": the model
    assert untrained.params["method"] == "tiny-refiner"
    # Zero correction: bit for bit the classical result (same PatchMatch seed, no recolouring).
    np.testing.assert_array_equal(untrained.image, classical.image)
    _save_refiner(paths.user_models_dir(), head_std=0.2)
    from sdstudio.engine.model_cache import model_cache

    model_cache.clear()
    corrected, _ = drive(run_repair(RepairJob(image, mask, seed=3)))
    assert not np.array_equal(corrected.image, classical.image)
    _assert_outside_dilated_identical(image, corrected.image, mask)


class SpyFiller:
    """Fills with a flat colour and records the crops it was given."""

    blend_colours = False

    def __init__(self, working_size):
        self.working_size = working_size
        self.notes = []
        self.crops = []

    def fill(self, image, hole):
        self.crops.append((image.shape, int(hole.sum())))
        out = image.copy()
        out[hole] = (250, 0, 250)
        return out


def test_each_region_gets_its_own_crop_with_context():
    image = _scene(300, 400)
    mask = np.zeros((300, 400), np.uint8)
    mask[20:30, 20:30] = 255
    mask[250:270, 350:380] = 255
    spy = SpyFiller(working_size=4096)
    result, progress = drive(repair_image(image, mask > 0, spy))
    assert len(spy.crops) == 2 and len(progress) == 2
    for shape, holes in spy.crops:
        assert shape[0] < 150 and shape[1] < 150 and holes > 0  # a crop, not the photo
    assert (result[mask > 0] == (250, 0, 250)).all()
    _assert_outside_dilated_identical(image, result, mask)


def test_a_huge_region_is_filled_at_working_size_and_only_the_hole_changes():
    image = _scene(600, 500)
    mask = np.zeros((600, 500), np.uint8)
    mask[100:500, 150:350] = 255
    spy = SpyFiller(working_size=64)
    result, _ = drive(repair_image(image, mask > 0, spy))
    ((shape, _),) = spy.crops
    assert max(shape[:2]) == 64
    _assert_outside_dilated_identical(image, result, mask)
    inner = np.zeros_like(mask, dtype=bool)
    inner[120:480, 170:330] = True
    assert np.abs(result[inner].astype(int) - (250, 0, 250)).max() <= 2


def test_a_long_thin_scratch_is_filled_at_full_resolution_in_tiles():
    image = _scene(600, 500)
    mask = np.zeros((600, 500), np.uint8)
    cv2.line(mask, (10, 20), (480, 580), 255, 4)
    spy = SpyFiller(working_size=256)
    result, progress = drive(repair_image(image, mask > 0, spy))
    assert len(spy.crops) > 3
    assert len(progress) > len(spy.crops)  # progress (a chance to cancel) after every tile
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(max(shape[:2]) <= 256 for shape, _ in spy.crops)
    assert (result[mask > 0] == (250, 0, 250)).all()  # no down/up-scaling blur
    _assert_outside_dilated_identical(image, result, mask)


class OffsetFiller(SpyFiller):
    """A 'network' whose fill is right but 40 levels too bright everywhere."""

    blend_colours = True

    def __init__(self, truth):
        super().__init__(working_size=512)
        self.truth = truth

    def fill(self, image, hole):
        return np.clip(self.truth[: image.shape[0], : image.shape[1]].astype(int) + 40, 0, 255)


def test_a_brightness_step_at_the_hole_edge_is_corrected():
    truth = _scene(120, 160)
    mask = np.zeros((120, 160), np.uint8)
    mask[:30, :40] = 255  # at the corner, so the crop starts at (0, 0) like the truth
    damaged = truth.copy()
    damaged[mask > 0] = 0
    result, _ = drive(repair_image(damaged, mask > 0, OffsetFiller(truth)))
    error = np.abs(result[mask > 0].astype(int) - truth[mask > 0].astype(int)).mean()
    assert error < 8  # without the correction it would be ~40


def test_empty_mask_says_so():
    image = _scene()
    with pytest.raises(UserFacingError, match="empty") as caught:
        drive(run_repair(RepairJob(image, np.zeros(image.shape[:2], np.uint8))))
    assert str(caught.value) == EMPTY_MASK_MESSAGE


def test_wrong_size_mask_is_a_mask_error():
    image = _scene()
    with pytest.raises(MaskError, match="160 x 120"):
        drive(run_repair(RepairJob(image, np.full((10, 10), 255, np.uint8))))


def test_mask_covering_everything_is_a_clear_error():
    image = _scene()
    with pytest.raises(MaskError, match="whole image"):
        drive(run_repair(RepairJob(image, np.full(image.shape[:2], 255, np.uint8))))


def test_mostly_covered_mask_works_with_a_note():
    image = _scene(40, 40)
    mask = np.full((40, 40), 255, np.uint8)
    mask[:5, :5] = 0
    result, _ = drive(run_repair(RepairJob(image, mask, method="telea")))
    assert any("covers" in note for note in result.notes)


def test_tiny_images():
    with pytest.raises(MaskError):  # a 1x1 image can only be all hole
        drive(
            run_repair(RepairJob(np.full((1, 1, 3), 7, np.uint8), np.full((1, 1), 255, np.uint8)))
        )
    image = np.array([[[10, 20, 30], [200, 0, 0]]], np.uint8)
    mask = np.array([[0, 255]], np.uint8)
    save_tiny_repair_model(paths.user_models_dir())
    for method in ("telea", "tiny-repair"):
        result, _ = drive(run_repair(RepairJob(image, mask, method=method)))
        assert result.image.shape == (1, 2, 3)


def test_unknown_method_lists_choices():
    image = _scene()
    with pytest.raises(UnknownNameError, match="telea"):
        drive(run_repair(RepairJob(image, _two_region_mask(), method="magic")))


def test_progress_values_are_monotonic():
    _, progress = drive(run_repair(RepairJob(_scene(), _two_region_mask(), method="telea")))
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and all(isinstance(p, Progress) for p in progress)


@pytest.mark.skipif(not patchmatch_available(), reason="pypatchmatch not installed")
def test_parallel_regions_do_not_depend_on_the_thread_count(monkeypatch):
    image = _scene()
    mask = _two_region_mask()
    image[mask > 0] = (10, 10, 10)
    job = RepairJob(image, mask, method="auto_classical")
    many, _ = drive(run_repair(job))
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    one, _ = drive(run_repair(job))
    assert np.array_equal(many.image, one.image)
    _assert_outside_dilated_identical(image, many.image, mask)
    assert np.abs(many.image[mask > 0].astype(int) - 10).mean() > 30  # filled
