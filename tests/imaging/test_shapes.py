from __future__ import annotations

import math

import numpy as np
import pytest

from sdstudio.imaging.shapes import (
    MAX_SUPERSAMPLED_PIXELS,
    CombineMode,
    box_corners,
    combine,
    ellipse_mask,
    polygon_mask,
    rectangle_mask,
    supersample_factor,
)
from tests.imaging.polygon_checks import assert_mask_is_polygon


def test_rectangle_snaps_to_whole_pixels_between_its_corners():
    mask = rectangle_mask((100, 80), (60.4, 50.6), (10.2, 20.4))  # dragged up and left
    assert mask.dtype == np.uint8 and mask.shape == (80, 100)
    assert set(np.unique(mask)) == {0, 255}
    ys, xs = np.nonzero(mask)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 59, 20, 50)


def test_rectangle_past_the_photo_is_clipped():
    mask = rectangle_mask((50, 40), (-30, -30), (20, 500))
    assert mask[:, :20].all() and not mask[:, 20:].any()


def test_ellipse_has_the_area_and_centre_it_was_drawn_with():
    mask = ellipse_mask((400, 300), (50.3, 40.7), (250.9, 160.2))
    a, b = (250.9 - 50.3) / 2, (160.2 - 40.7) / 2
    area = mask.sum() / 255
    assert area == pytest.approx(math.pi * a * b, rel=0.01)
    ys, xs = np.mgrid[0:300, 0:400] + 0.5
    weights = mask / 255
    assert (weights * xs).sum() / weights.sum() == pytest.approx((50.3 + 250.9) / 2, abs=0.2)
    assert (weights * ys).sum() / weights.sum() == pytest.approx((40.7 + 160.2) / 2, abs=0.2)
    # Anti-aliased: the edge holds partial values, the inside is solid.
    assert ((mask > 0) & (mask < 255)).sum() > 200
    assert mask[100, 150] == 255 and mask[5, 5] == 0


def test_concave_polygon_covers_exactly_its_inside():
    star = [
        (100 + r * math.cos(k * math.pi / 5), 90 + r * math.sin(k * math.pi / 5))
        for k, r in zip(range(10), [70, 28] * 5, strict=True)
    ]
    mask = polygon_mask((200, 180), star)
    assert_mask_is_polygon(mask, star, margin=0.75)  # beyond the anti-aliased edge


def test_polygon_partly_outside_the_photo_and_degenerate_ones():
    mask = polygon_mask((60, 60), [(-40, -40), (30, -40), (30, 30), (-40, 30)])
    assert mask[:29, :29].all() and not mask[31:, :].any() and not mask[:, 31:].any()
    assert not polygon_mask((60, 60), [(5, 5), (50, 50)]).any()
    assert not polygon_mask((60, 60), [(100, 100), (150, 100), (150, 150)]).any()


def test_huge_shapes_are_drawn_with_a_smaller_supersampling_factor():
    assert supersample_factor(1_000_000) == 4
    assert supersample_factor(MAX_SUPERSAMPLED_PIXELS // 16 + 1) == 2
    assert supersample_factor(24_000_000) == 1
    mask = ellipse_mask((6000, 4000), (0, 0), (6000, 4000))  # 24 MP, no supersampling
    assert mask.sum() / 255 == pytest.approx(math.pi * 3000 * 2000, rel=0.005)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (CombineMode.REPLACE, [0, 255, 255, 0]),
        (CombineMode.ADD, [200, 255, 255, 0]),
        (CombineMode.SUBTRACT, [200, 0, 0, 0]),
        (CombineMode.INTERSECT, [0, 255, 200, 0]),
    ],
)
def test_combine_modes(mode, expected):
    current = np.array([[200, 255, 200, 0]], np.uint8)
    shape = np.array([[0, 255, 255, 0]], np.uint8)
    result = combine(current, shape, mode)
    assert result.tolist() == [expected]
    assert result is not current and current.tolist() == [[200, 255, 200, 0]]


def test_subtracting_a_soft_edge_leaves_the_rest_of_a_pixel():
    result = combine(np.array([[255]], np.uint8), np.array([[64]], np.uint8), CombineMode.SUBTRACT)
    assert result[0, 0] == 191


def test_box_corners_square_and_from_the_centre():
    assert box_corners((10, 10), (40, 20), square=False, from_centre=False) == ((10, 10), (40, 20))
    assert box_corners((10, 10), (40, 20), square=True, from_centre=False) == ((10, 10), (40, 40))
    assert box_corners((10, 10), (-5, 15), square=True, from_centre=False) == ((10, 10), (-5, 25))
    assert box_corners((50, 50), (60, 55), square=False, from_centre=True) == ((40, 45), (60, 55))
    assert box_corners((50, 50), (60, 55), square=True, from_centre=True) == ((40, 40), (60, 60))
