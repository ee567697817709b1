from __future__ import annotations

import numpy as np
import pytest

from sdstudio.imaging.colour import (
    auto_levels,
    from_float,
    join_alpha,
    match_colour_stats,
    split_alpha,
    to_float,
    unsharp_mask,
)


def _rgba(rgb: np.ndarray) -> np.ndarray:
    alpha = (np.arange(rgb.shape[0] * rgb.shape[1]) % 256).astype(np.uint8)
    return join_alpha(rgb, alpha.reshape(rgb.shape[:2]))


def _dull(seed: int = 0) -> np.ndarray:
    """A low-contrast picture: every channel within 100..150."""
    rng = np.random.default_rng(seed)
    return rng.integers(100, 151, (60, 80, 3), dtype=np.uint8)


def test_split_and_join_alpha():
    rgba = _rgba(_dull())
    rgb, alpha = split_alpha(rgba)
    assert rgb.shape == (60, 80, 3) and alpha.shape == (60, 80)
    np.testing.assert_array_equal(join_alpha(rgb, alpha), rgba)
    assert split_alpha(_dull())[1] is None
    with pytest.raises(ValueError):
        split_alpha(np.zeros((4, 4), np.uint8))


def test_float_round_trip_is_exact():
    rgba = _rgba(_dull())
    rgb, alpha = to_float(rgba)
    assert rgb.dtype == np.float32 and 0.39 < rgb.min() and rgb.max() < 0.6
    np.testing.assert_array_equal(from_float(rgb, alpha), rgba)
    assert from_float(np.array([[[-0.5, 0.5, 2.0]]])).tolist() == [[[0, 128, 255]]]


def test_auto_levels_stretches_contrast():
    dull = _dull()
    full = auto_levels(dull, 1.0)
    for channel in range(3):
        assert full[..., channel].min() <= 3 and full[..., channel].max() >= 252
    np.testing.assert_array_equal(auto_levels(dull, 0.0), dull)
    half = auto_levels(dull, 0.5).astype(int)
    midway = (dull.astype(int) + full.astype(int)) / 2
    assert np.abs(half - midway).max() <= 1
    # Ordering of brightness is kept: the stretch is monotonic.
    order = np.argsort(dull[..., 0].ravel(), kind="stable")
    assert (np.diff(full[..., 0].ravel()[order].astype(int)) >= 0).all()


def test_auto_levels_leaves_alpha_and_flat_images_alone():
    rgba = _rgba(_dull())
    result = auto_levels(rgba, 1.0)
    np.testing.assert_array_equal(result[..., 3], rgba[..., 3])
    flat = np.full((10, 10, 3), 77, np.uint8)
    np.testing.assert_array_equal(auto_levels(flat, 1.0), flat)


def test_unsharp_mask_increases_edge_contrast():
    edge = np.full((32, 32, 3), 80, np.uint8)
    edge[:, 16:] = 160
    sharp = unsharp_mask(edge, amount=1.5, radius=2, threshold=0).astype(int)
    assert sharp[16, 15, 0] < 80 and sharp[16, 16, 0] > 160  # overshoot on both sides
    assert sharp[16, 2, 0] == 80 and sharp[16, 30, 0] == 160  # flat areas unchanged
    np.testing.assert_array_equal(unsharp_mask(edge, amount=0), edge)


def test_unsharp_mask_threshold_protects_small_differences():
    noisy = np.full((32, 32, 3), 120, np.uint8)
    noisy[::2, ::2] += 2
    np.testing.assert_array_equal(unsharp_mask(noisy, 1.0, 2, threshold=5), noisy)


def test_unsharp_mask_keeps_alpha():
    rgba = _rgba(_dull())
    np.testing.assert_array_equal(unsharp_mask(rgba, 1.0, 1.5)[..., 3], rgba[..., 3])


def test_match_colour_stats_removes_a_colour_cast():
    reference = _dull().astype(np.float32)
    cast = np.clip(reference * 0.6 + np.array([40, -20, 10]), 0, 255).astype(np.uint8)
    ring = np.zeros((60, 80), np.uint8)
    ring[5:20, 5:75] = 255
    fixed = match_colour_stats(cast, reference.astype(np.uint8), ring).astype(np.float32)
    inside = ring > 0
    assert np.abs(fixed[inside].mean(0) - reference[inside].mean(0)).max() < 0.5
    assert np.abs(fixed[inside].std(0) - reference[inside].std(0)).max() < 0.5
    # The correction learnt on the ring also fixes pixels outside it.
    assert np.abs(fixed[40:] - reference[40:]).mean() < 1.5


def test_match_colour_stats_edge_cases():
    image = _rgba(_dull())
    empty = np.zeros((60, 80), np.uint8)
    np.testing.assert_array_equal(match_colour_stats(image, image, empty), image)
    flat_source = np.full((60, 80, 3), 50, np.uint8)
    region = np.ones((60, 80), np.uint8)
    moved = match_colour_stats(flat_source, _dull(), region)
    assert np.abs(moved.astype(float).mean() - _dull().mean()) < 0.6  # mean still moves
    kept = match_colour_stats(image, _rgba(_dull(1)), region)
    np.testing.assert_array_equal(kept[..., 3], image[..., 3])
    with pytest.raises(ValueError):
        match_colour_stats(image, image, np.ones((3, 3), np.uint8))
