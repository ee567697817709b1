from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sdstudio.errors import MaskError
from sdstudio.imaging.masks import (
    binarize,
    coverage,
    dilate,
    feather,
    invert,
    load_mask,
    mask_bbox,
    mask_regions,
    save_mask,
)


def _disc_reference(marked: np.ndarray, radius: int) -> np.ndarray:
    yy, xx = np.mgrid[: marked.shape[0], : marked.shape[1]]
    grown = np.zeros_like(marked)
    for y, x in zip(*np.nonzero(marked), strict=True):
        grown |= (yy - y) ** 2 + (xx - x) ** 2 <= radius * radius
    return grown


# --- files -----------------------------------------------------------------------


def test_save_and_load_round_trip(tmp_path):
    mask = np.zeros((30, 40), np.uint8)
    mask[5:15, 10:30] = 255
    mask[20, 1] = 17  # soft brush edges keep their value
    save_mask(mask, tmp_path / "mask.png")
    with Image.open(tmp_path / "mask.png") as written:
        assert written.format == "PNG" and written.mode == "L"
    loaded, notes = load_mask(tmp_path / "mask.png", (40, 30))
    np.testing.assert_array_equal(loaded, mask)
    assert loaded.dtype == np.uint8 and notes == []


def test_boolean_mask_saves_as_black_and_white(tmp_path):
    marked = np.zeros((4, 4), bool)
    marked[1, 2] = True
    save_mask(marked, tmp_path / "m.png")
    loaded, _ = load_mask(tmp_path / "m.png", (4, 4))
    assert loaded[1, 2] == 255 and loaded.sum() == 255


def test_transparent_image_uses_alpha(tmp_path):
    rgba = np.zeros((10, 12, 4), np.uint8)  # black paint on a transparent sheet
    rgba[2:5, 3:7, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "layer.png")
    loaded, _ = load_mask(tmp_path / "layer.png", (12, 10))
    assert loaded[3, 4] == 255 and loaded[8, 8] == 0
    assert np.count_nonzero(loaded) == 12


def test_coloured_painting_marks_painted_pixels(tmp_path):
    rgb = np.zeros((10, 12, 3), np.uint8)
    rgb[4, 5] = (200, 0, 0)  # red stroke on black
    Image.fromarray(rgb).save(tmp_path / "red.png")
    loaded, _ = load_mask(tmp_path / "red.png", (12, 10))
    assert loaded[4, 5] == 200 and np.count_nonzero(loaded) == 1


def test_size_mismatch_names_both_sizes(tmp_path):
    save_mask(np.zeros((20, 30), np.uint8), tmp_path / "small.png")
    with pytest.raises(MaskError, match="30 x 20.*60 x 40"):
        load_mask(tmp_path / "small.png", (60, 40))


def test_size_mismatch_resized_on_request(tmp_path):
    mask = np.zeros((20, 30), np.uint8)
    mask[:, 15:] = 255
    save_mask(mask, tmp_path / "small.png")
    loaded, notes = load_mask(tmp_path / "small.png", (60, 40), resize=True)
    assert loaded.shape == (40, 60)
    assert loaded[20, 50] == 255 and loaded[20, 10] == 0
    assert len(notes) == 1 and "resized" in notes[0]


def test_bad_mask_file_is_a_mask_error(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not a png at all")
    with pytest.raises(MaskError, match="junk.png"):
        load_mask(tmp_path / "junk.png", (4, 4))


# --- operations -------------------------------------------------------------------


def test_binarize_invert_coverage():
    mask = np.array([[0, 1, 128, 255]], np.uint8)
    assert binarize(mask).tolist() == [[False, True, True, True]]
    assert binarize(mask, threshold=128).tolist() == [[False, False, True, True]]
    assert invert(mask).tolist() == [[255, 254, 127, 0]]
    assert invert(mask > 0).tolist() == [[True, False, False, False]]
    assert coverage(mask) == 0.75
    assert coverage(np.zeros((0, 0), np.uint8)) == 0.0


def test_mask_bbox():
    mask = np.zeros((10, 20), np.uint8)
    assert mask_bbox(mask) is None
    mask[3, 4] = 9
    mask[6, 15] = 255
    assert mask_bbox(mask) == (4, 3, 16, 7)


@pytest.mark.parametrize("radius", [0, 1, 2, 5])
def test_dilate_grows_by_a_disc(radius):
    rng = np.random.default_rng(radius)
    marked = rng.random((40, 50)) > 0.97
    marked[0, 0] = marked[-1, -1] = True  # the borders clip the disc
    np.testing.assert_array_equal(dilate(marked, radius), _disc_reference(marked, radius))


def test_dilate_empty_mask():
    assert not dilate(np.zeros((5, 5), bool), 3).any()


def test_feather_softens_the_edge():
    mask = np.zeros((40, 40), np.uint8)
    mask[10:30, 10:30] = 255
    soft = feather(mask, 3)
    assert soft.dtype == np.float32
    assert soft[20, 20] == pytest.approx(1.0, abs=0.01)
    assert soft[0, 0] == pytest.approx(0.0, abs=0.01)
    assert 0.3 < soft[20, 10] < 0.7  # the edge is half way
    assert 0.0 < soft[20, 8] < soft[20, 10] < soft[20, 12] < 1.0
    np.testing.assert_array_equal(feather(mask, 0), mask / np.float32(255))


# --- regions ----------------------------------------------------------------------


def test_separate_regions_get_separate_boxes():
    mask = np.zeros((200, 300), np.uint8)
    mask[10:20, 10:30] = 255
    mask[150:160, 250:270] = 255
    boxes = mask_regions(mask, context=5, merge_distance=10)
    assert boxes == [(5, 5, 35, 25), (245, 145, 275, 165)]


def test_boxes_are_clipped_to_the_image():
    mask = np.zeros((50, 60), np.uint8)
    mask[0:3, 55:60] = 255
    assert mask_regions(mask, context=10, merge_distance=0) == [(45, 0, 60, 13)]


def test_nearby_regions_merge():
    mask = np.zeros((100, 200), np.uint8)
    mask[40:50, 10:20] = 255
    mask[40:50, 26:36] = 255  # 6 px gap
    assert len(mask_regions(mask, context=0, merge_distance=0)) == 2
    assert mask_regions(mask, context=0, merge_distance=16) == [(10, 40, 36, 50)]


def test_boxes_that_overlap_after_context_merge():
    mask = np.zeros((100, 100), np.uint8)
    mask[10:12, 10:12] = 255
    mask[10:12, 40:42] = 255
    assert len(mask_regions(mask, context=5, merge_distance=0)) == 2
    assert mask_regions(mask, context=20, merge_distance=0) == [(0, 0, 62, 32)]


def test_connected_shapes_are_one_region():
    mask = np.zeros((60, 60), np.uint8)
    mask[10:50, 10:12] = 255  # a U shape
    mask[10:50, 40:42] = 255
    mask[48:50, 10:42] = 255
    for offset in range(8):  # a diagonal line touches only at corners
        mask[offset, 50 + offset] = 255
    boxes = mask_regions(mask, context=0, merge_distance=0)
    assert boxes == [(50, 0, 58, 8), (10, 10, 42, 50)]


def test_regions_on_a_large_mask_are_tight():
    # Large masks are labelled on a coarse grid; the boxes must still be pixel-exact.
    mask = np.zeros((3000, 4000), np.uint8)
    mask[1001:1004, 2003:2011] = 255
    mask[2500:2600, 100:150] = 255
    assert mask_regions(mask, context=0, merge_distance=0) == [
        (2003, 1001, 2011, 1004),
        (100, 2500, 150, 2600),
    ]


def test_empty_mask_has_no_regions():
    assert mask_regions(np.zeros((10, 10), np.uint8), context=4, merge_distance=4) == []
