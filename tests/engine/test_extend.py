"""Extend canvas with the real engine: size, the photo kept, and a border with no seam."""

from __future__ import annotations

import numpy as np
import pytest

from sdstudio.engine import extend
from sdstudio.engine.repair import blend_ring_width
from sdstudio.engine.runner import run_job, run_to_completion
from sdstudio.errors import UserFacingError
from sdstudio.imaging.geometry import pad
from sdstudio.jobs import ExtendJob, Progress


def textured_photo(height: int = 72, width: int = 96, seed: int = 3) -> np.ndarray:
    """A left-to-right gradient with grain and a ripple: a border has all three to continue."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    ripple = 12 * np.sin(x / 3.0) * np.cos(y / 4.0)
    base = np.stack([60 + 1.2 * x + ripple, 90 + 0.8 * y + ripple, 140 - 0.5 * x], -1)
    return np.clip(base + rng.normal(0, 5, base.shape), 0, 255).astype(np.uint8)


def column_steps(image: np.ndarray) -> np.ndarray:
    """Mean absolute change from each column to the next (per column pair)."""
    signal = image.astype(np.float64).mean(axis=2)
    return np.abs(np.diff(signal, axis=1)).mean(axis=0)


def test_extend_right_and_bottom_keeps_the_photo_and_continues_it():
    photo = textured_photo()
    height, width = photo.shape[:2]
    job = ExtendJob(image=photo, right=32, bottom=16)
    progress = []
    work = run_job(job)
    while True:
        try:
            progress.append(next(work))
        except StopIteration as done:
            result = done.value
            break
    assert all(isinstance(step, Progress) for step in progress) and len(progress) >= 2
    image = result.image
    assert image.shape == (height + 16, width + 32, 3)
    assert result.params["task"] == "extend" and result.params["method"] == "auto_classical"

    # Every photo pixel further than the overlap and the blend ring from a new border is kept.
    band = extend.SEAM_OVERLAP + blend_ring_width(*image.shape[:2]) + 1
    np.testing.assert_array_equal(
        image[: height - band, : width - band], photo[: height - band, : width - band]
    )

    # No flat fill: the border carries grain like the photo's (a smear would not).
    photo_grain = column_steps(photo[:, : width - band]).mean()
    border = image[: height - band, width + 4 :]
    assert column_steps(border).mean() > 0.5 * photo_grain
    assert border.astype(np.float64).std(axis=(0, 1)).min() > 3
    # ...and is a fill, not the mirrored seed left in place (a mirror has no seam either).
    mirror = pad(photo, 0, 0, 32, 16)[: height - band, width + 4 :]
    assert np.abs(border.astype(np.int16) - mirror).mean() > 5

    # No seam: stepping across the photo's last column is like stepping anywhere inside it.
    steps = column_steps(image[: height - band])
    inside = steps[width - 40 : width - band]
    across = steps[width - band : width + band]
    assert across.max() < 2.0 * np.median(inside) + 4
    # The gradient carries on: the first border columns continue the last photo columns.
    last_photo = image[: height - band, width - 4 : width].astype(np.float64).mean(axis=(0, 1))
    first_border = image[: height - band, width : width + 4].astype(np.float64).mean(axis=(0, 1))
    assert np.abs(last_photo - first_border).max() < 12


def test_extend_keeps_alpha_and_accepts_a_named_method():
    photo = np.dstack([textured_photo(40, 40), np.full((40, 40), 200, np.uint8)])
    result = run_to_completion(ExtendJob(image=photo, left=8, top=6, method="telea"))
    assert result.image.shape == (46, 48, 4)
    assert (result.image[..., 3] == 200).all()  # the mirrored seed's alpha, untouched
    assert result.params["method"] == "telea"


def test_wide_borders_grow_in_passes_and_short_sides_finish_first():
    assert extend.plan_passes(100, 100, (0, 0, 10, 0)) == [(0, 0, 10, 0)]
    passes = extend.plan_passes(100, 80, (5, 0, 0, 40))
    assert len(passes) == 4  # 40 rows of 80 in passes of at most 15 % (12 rows)
    assert [p[0] for p in passes] == [5, 0, 0, 0]
    assert sum(p[3] for p in passes) == 40 and max(p[3] for p in passes) <= 12
    assert extend.plan_passes(100, 100, (0, 0, 0, 0)) == [(0, 0, 0, 0)]


def test_the_hole_is_the_border_plus_the_overlap():
    hole = extend.extend_mask(10, 20, 3, 0, 0, 2, overlap=4)
    assert hole.shape == (12, 23)
    assert hole[:, :7].all() and hole[6:, :].all()  # 3 new + 4 overlap; 2 new + 4 overlap
    assert not hole[:6, 7:].any()  # top and right had no border: no overlap there


@pytest.mark.parametrize(
    "borders, message",
    [
        ({}, "at least one pixel"),
        ({"left": -2}, "0 or more"),
        ({"right": 100}, "at most 2 times"),
        ({"bottom": 40000}, "at most 2 times"),
    ],
)
def test_unusable_borders_are_refused_before_any_work(borders, message):
    with pytest.raises(UserFacingError, match=message):
        next(run_job(ExtendJob(image=textured_photo(20, 30), **borders)))


def test_an_unknown_method_is_named():
    with pytest.raises(UserFacingError, match="no-such-method"):
        next(run_job(ExtendJob(image=textured_photo(20, 30), left=4, method="no-such-method")))
