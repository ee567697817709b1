"""Growing and shrinking a mask by a disc: exact against a brute-force reference, fast."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sdstudio.imaging.masks import grow_mask, shrink_mask


def _max_over_disc_reference(mask: np.ndarray, radius: int, outside: int) -> np.ndarray:
    """Every offset of the disc, one at a time; pixels beyond the edge count as ``outside``."""
    height, width = mask.shape
    padded = np.pad(mask, radius, constant_values=outside)
    best = np.zeros_like(mask)
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dx * dx + dy * dy <= radius * radius:
                rows, cols = radius + dy, radius + dx
                best = np.maximum(best, padded[rows : rows + height, cols : cols + width])
    return best


def _soft_specks(seed: int, shape=(41, 57)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.integers(1, 256, shape).astype(np.uint8)
    return np.where(rng.random(shape) > 0.96, values, 0).astype(np.uint8)


@pytest.mark.parametrize("radius", [1, 2, 3, 5, 8, 13])
def test_grow_is_the_largest_value_within_the_disc(radius):
    for seed in range(3):
        mask = _soft_specks(seed)
        expected = _max_over_disc_reference(mask, radius, outside=0)
        np.testing.assert_array_equal(grow_mask(mask, radius), expected)


@pytest.mark.parametrize("radius", [1, 2, 4, 7])
def test_shrink_is_the_smallest_value_within_the_disc_and_keeps_the_border(radius):
    rng = np.random.default_rng(radius)
    mask = np.where(rng.random((37, 45)) > 0.1, 255, rng.integers(0, 255, (37, 45))).astype(
        np.uint8
    )
    # Erosion is the complement's dilation; beyond the photo counts as masked.
    expected = 255 - _max_over_disc_reference(255 - mask, radius, outside=0)
    np.testing.assert_array_equal(shrink_mask(mask, radius), expected)


def test_a_dot_grows_and_shrinks_by_the_radius():
    yy, xx = np.mgrid[:200, :200]
    dot = (((yy - 100) ** 2 + (xx - 90) ** 2) <= 20**2).astype(np.uint8) * 255

    def radius(mask):
        columns = np.flatnonzero(mask.any(axis=0))
        return (columns[-1] - columns[0]) / 2

    assert radius(grow_mask(dot, 5)) == pytest.approx(radius(dot) + 5, abs=1)
    assert radius(shrink_mask(dot, 5)) == pytest.approx(radius(dot) - 5, abs=1)
    assert not shrink_mask(dot, 25).any()  # narrower than the margin: gone


def test_soft_edges_stay_soft_and_move_outward():
    ramp = np.zeros((9, 40), np.uint8)
    ramp[:, 10:20] = 255
    ramp[:, 20:25] = [200, 150, 100, 50, 10]  # a brush's soft edge
    grown = grow_mask(ramp, 3)
    np.testing.assert_array_equal(grown[4, 23:28], [200, 150, 100, 50, 10])
    assert grown.dtype == np.uint8


def test_nothing_to_change():
    empty = np.zeros((20, 30), np.uint8)
    assert not grow_mask(empty, 5).any()
    assert not shrink_mask(empty, 5).any()
    full = np.full((20, 30), 255, np.uint8)
    np.testing.assert_array_equal(shrink_mask(full, 5), full)  # the border is not an edge
    mask = _soft_specks(1)
    np.testing.assert_array_equal(grow_mask(mask, 0), mask)
    grow_mask(mask, 3)
    np.testing.assert_array_equal(mask, _soft_specks(1))  # the input is not changed


def test_a_24_megapixel_mask_changes_within_seconds():
    mask = np.zeros((4000, 6000), np.uint8)
    mask[300:3700, 400:5600] = 255  # most of the photo: the worst case for the crop
    started = time.perf_counter()
    grown = grow_mask(mask, 16)
    shrunk = shrink_mask(mask, 16)
    elapsed = time.perf_counter() - started
    assert grown[300 - 16, 3000] == 255 and grown[300 - 17, 3000] == 0
    assert shrunk[300 + 16, 3000] == 255 and shrunk[300 + 15, 3000] == 0
    # Measured 0.2-0.8 s each on 2 shared cores; the bound leaves room for a busy CI.
    assert elapsed < 6.0
