"""The damage finder trained by the trainer: rendered damage, marked scans, F1, export."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sdstudio.engine.damage import detect_damage, operating_threshold
from sdstudio.engine.model_file import read_model_info
from sdstudio.tasks import Task
from sdstudio.training import events as ev
from sdstudio.training.config import TrainingConfig
from sdstudio.training.datasets import scan_folder
from sdstudio.training.objectives import objective_for
from sdstudio.training.objectives.damage import THRESHOLDS, detector_scores
from sdstudio.training.trainer import train
from tests.training.conftest import write_photos
from tests.training.helpers import of_type, run_to_end

TINY_DETECTOR = {"widths": [4, 8], "deep_blocks": 1}


def tiny_damage_config(photos: Path, name: str, **overrides) -> TrainingConfig:
    values = dict(
        task=Task.DAMAGE,
        data_dir=str(photos),
        name=name,
        hyperparameters=dict(TINY_DETECTOR),
        steps=4,
        batch_size=2,
        crop=32,
        val_count=1,
        val_size=32,
        checkpoint_every=2,
        validate_every=2,
        max_side=96,
        lr_g=2e-3,
        betas=(0.9, 0.999),
        seed=1,
    )
    values.update(overrides)
    return TrainingConfig(**values)


def marked_scans(tmp_path: Path) -> tuple[Path, Path]:
    """Six photos; two with a mask (one at half size), and a mask with no photo."""
    photos = tmp_path / "scans"
    paths = write_photos(photos, 6, seed=3)
    masks = tmp_path / "masks"
    masks.mkdir()
    for index, path in enumerate(paths[:2]):
        image = cv2.imread(str(path))
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.line(mask, (4, 10), (90, 60), 255, 3)
        image[mask > 0] = 250  # the scratch the person marked
        cv2.imwrite(str(path), image)
        if index == 1:  # marked on a smaller copy
            mask = cv2.resize(mask, (48, 36), interpolation=cv2.INTER_AREA)
        cv2.imwrite(str(masks / f"{path.stem}.png"), mask)
    cv2.imwrite(str(masks / "lost_scan.png"), np.zeros((20, 20), np.uint8))
    return photos, masks


def test_the_damage_objective_has_no_discriminator_and_an_adversarial_weight_of_zero(tmp_path):
    config = tiny_damage_config(tmp_path, "x", adv_weight=0.5)
    assert config.adv_weight == 0.0
    assert objective_for(config).task == Task.DAMAGE


def test_detector_scores_choose_a_quiet_threshold_and_count_two_pixels_of_tolerance():
    truth = np.zeros((32, 32), np.uint8)
    truth[10, 4:28] = 255
    shifted = np.zeros((32, 32), np.uint8)
    shifted[12, 4:28] = 230  # two rows off: still right within the tolerance
    scores = detector_scores([shifted], [truth])
    assert scores["f1"] == pytest.approx(1.0)
    assert scores["operating_threshold"] in THRESHOLDS
    assert detector_scores([np.zeros_like(truth)], [truth])["recall"] == 0.0


def test_rendered_damage_training_lowers_the_loss_and_exports_a_usable_detector(tmp_path):
    photos = tmp_path / "photos"
    write_photos(photos, 4)
    config = tiny_damage_config(
        photos, "Damage tiny", steps=24, batch_size=4, validate_every=24, checkpoint_every=24
    )
    events, path = run_to_end(train(config))
    losses = [event.losses["g_total"] for event in of_type(events, ev.StepDone)]
    assert "d_total" not in of_type(events, ev.StepDone)[0].losses  # no discriminator
    assert np.mean(losses[-8:]) < np.mean(losses[:8])
    scores = of_type(events, ev.Validated)[-1].scores
    assert set(scores) >= {"base", "classical", "model"}
    assert 0.0 <= scores["model"]["f1"] <= 1.0 and 0.0 <= scores["classical"]["f1"] <= 1.0

    info = read_model_info(path)
    assert info.task == Task.DAMAGE and info.architecture == "damage_unet"
    threshold = operating_threshold(info)
    assert threshold == json.loads(info.metadata["validation"])["model"]["operating_threshold"]
    photo = cv2.imread(str(next(photos.iterdir())))[:, :, ::-1].copy()
    mask = detect_damage(photo, model_path=path)
    assert mask.shape == photo.shape[:2] and set(np.unique(mask)) <= {0, 255}


def test_marked_scans_fill_half_of_each_batch_with_their_own_masks(tmp_path):
    photos, masks = marked_scans(tmp_path)
    # Six validation photos of six: the run validates on its training photos, marks too.
    config = tiny_damage_config(photos, "Marked", mask_dir=str(masks), val_count=6)
    objective = objective_for(config)
    report = scan_folder(photos, config.crop, keep_side=config.max_side)
    from sdstudio.training.datasets import ImagePool

    pool = ImagePool(report.images, config.max_side, decoded=report.kept)
    batches, _ = objective.batch_maker(pool, report)
    assert len(batches.marked) == 2 and len(batches.rendered.photos) == 4
    scan = batches.marked[1]
    assert scan.mask.shape == scan.image.shape[:2]  # the half-size mask, resized
    assert set(np.unique(scan.mask)) <= {0, 255}  # with nearest: no grey edges
    assert any("lost_scan.png" in note for note in report.warnings())
    assert any("2 of 6 photo(s) have a mask" in note for note in report.warnings())

    batch = batches.make_batch(np.random.default_rng(0), 4)
    assert batch["input"].shape == (4, 5, 32, 32) and batch["target"].shape == (4, 1, 32, 32)
    marked = batch["target"][:2, 0] > 0
    bright = batch["input"][:2, :3].min(axis=1) > 0.9  # the painted scratch
    assert marked.any() and (marked == bright).mean() > 0.95

    # A validation photo with a mask is scored against the damage marked on it.
    marks = objective.validation_marks
    assert len(marks) == 6 and sum(mark is not None for mark in marks) == 2
    index = next(i for i, mark in enumerate(marks) if mark is not None)
    case = objective.validation_case(np.zeros((32, 32, 3), np.uint8), index, seed=0)
    assert case.mask.shape == (32, 32) and case.mask.any()


def test_a_run_with_a_masks_folder_trains_and_reports_the_lost_mask(tmp_path):
    photos, masks = marked_scans(tmp_path)
    config = tiny_damage_config(photos, "Marked run", mask_dir=str(masks))
    events, path = run_to_end(train(config))
    started = of_type(events, ev.RunStarted)[0]
    assert any("lost_scan.png" in note for note in started.notes)
    assert of_type(events, ev.StepDone)[-1].step == 4
    assert "marked in masks" in read_model_info(path).metadata["training_data"]


def test_a_fine_tune_is_a_personal_variant_with_its_verdict(tmp_path):
    photos = tmp_path / "photos"
    write_photos(photos, 4)
    _, base = run_to_end(train(tiny_damage_config(photos, "Base detector", steps=2)))
    config = tiny_damage_config(photos, "Tuned detector", base_model=base, steps=2)
    _, path = run_to_end(train(config))
    metadata = read_model_info(path).metadata
    assert metadata["variant"] == "personal"
    assert metadata["fine_tune_outcome"] in ("better", "no_better")
