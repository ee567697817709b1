"""The damage renderer: masks mark exactly what damage changed, distractors are never
marked, every kind of damage shows, and a seed gives one sample."""

from __future__ import annotations

import numpy as np
import pytest

from sdstudio.training.damage_distractors import add_thin_structures
from sdstudio.training.damage_render import (
    DAMAGE_KINDS,
    VISIBLE_CHANGE,
    render_damage,
    render_damage_sample,
)
from sdstudio.training.damage_scores import MaskCounts


def generated_photo(height: int = 160, width: int = 200, seed: int = 0) -> np.ndarray:
    """A smooth colour photo-like image (gradients + soft blobs), never flat."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack(
        [
            90 + 60 * np.sin(xx / 37 + c) + 40 * np.cos(yy / 23 - c) + rng.normal(0, 2, xx.shape)
            for c in (0.0, 1.3, 2.1)
        ],
        axis=2,
    )
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", range(6))
def test_mask_is_exactly_where_damage_visibly_changed_the_picture(seed):
    sample = render_damage_sample(np.random.default_rng(seed), generated_photo(seed=seed))
    change = np.abs(sample.marked.astype(int) - sample.clean.astype(int)).max(axis=2)
    assert np.array_equal(sample.mask > 0, change > VISIBLE_CHANGE)
    assert set(np.unique(sample.mask)) <= {0, 255}
    # After scan noise and JPEG the unmarked pixels stay close to the clean picture, the
    # marked ones do not.
    difference = np.abs(sample.damaged.astype(int) - sample.clean.astype(int)).max(axis=2)
    assert difference[sample.mask == 0].mean() < 8
    if sample.mask.any():
        assert difference[sample.mask > 0].mean() > 25


@pytest.mark.parametrize("kind", sorted(DAMAGE_KINDS))
def test_every_kind_of_damage_is_drawn_and_marked(kind):
    photo = generated_photo(192, 192)
    marked = [
        render_damage_sample(
            np.random.default_rng(seed),
            photo,
            damage_probability=1.0,
            kinds=(kind,),
            distractors=False,
        ).mask.mean()
        / 255  # fmt: skip
        for seed in range(4)
    ]
    assert max(marked) > 0.001, f"{kind} never changed the picture"
    assert max(marked) < 0.6


def test_thin_structures_change_the_clean_picture_but_are_never_marked():
    photo = generated_photo()
    drawn = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        image = photo.astype(np.float32)
        with_structures = add_thin_structures(rng, image.copy(), blur_sigma=0.5)
        drawn += np.abs(with_structures - image).max() > 30
        sample = render_damage_sample(
            np.random.default_rng(seed), photo, damage_probability=0.0, distractors=True
        )
        assert not sample.mask.any()
    assert drawn >= 4, "distractors were hardly ever drawn"


def test_a_seed_gives_one_sample_and_another_seed_another():
    photo = generated_photo()
    first = render_damage(np.random.default_rng(42), photo)
    again = render_damage(np.random.default_rng(42), photo)
    other = render_damage(np.random.default_rng(43), photo)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    damaged, mask = first
    assert damaged.shape == photo.shape and damaged.dtype == np.uint8
    assert mask.shape == photo.shape[:2] and mask.dtype == np.uint8


def test_a_crop_of_a_big_photo_gets_the_big_photos_line_widths():
    photo = generated_photo(128, 128)
    widths = []
    for unit in (0.5, 3.0):
        sample = render_damage_sample(
            np.random.default_rng(5), photo, damage_probability=1.0, kinds=("dust",),
            distractors=False, unit=unit,
        )  # fmt: skip
        widths.append(sample.mask.mean())
    assert widths[1] > 2 * widths[0]


def test_scores_tolerate_a_one_pixel_offset_but_not_a_wrong_place():
    truth = np.zeros((64, 64), np.uint8)
    truth[30, 5:60] = 255
    shifted = np.roll(truth, 1, axis=0)
    tolerant, strict, wrong = MaskCounts(), MaskCounts(), MaskCounts()
    tolerant.add(shifted, truth, tolerance=2)
    strict.add(shifted, truth, tolerance=0)
    wrong.add(np.roll(truth, 10, axis=0), truth, tolerance=2)
    assert tolerant.f1 == pytest.approx(1.0)
    assert strict.f1 == 0.0
    assert wrong.f1 == 0.0 and wrong.marked_fraction == pytest.approx(55 / 64**2)
