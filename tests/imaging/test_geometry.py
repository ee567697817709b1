"""Crop, turns, flips, straighten, resize and padding of a photo and its mask."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from sdstudio.imaging import geometry
from sdstudio.imaging.exif_size import exif_for_size
from sdstudio.imaging.image_io import load_image, save_image


def numbered(height: int = 30, width: int = 40) -> np.ndarray:
    """Every pixel different, so a wrong move of any pixel shows."""
    values = np.arange(height * width * 3, dtype=np.int64).reshape(height, width, 3)
    return (values % 251).astype(np.uint8)


def test_crop_box_rounding_and_clamping():
    assert geometry.pixel_box((9.6, 20.4, 110.2, 80.5), 100, 90) == (10, 20, 100, 80)
    assert geometry.clamp_box((50, 40, 10, -5), 100, 90) == (10, 0, 50, 40)
    image = numbered()
    np.testing.assert_array_equal(geometry.crop(image, (5, 3, 25, 13)), image[3:13, 5:25])
    with pytest.raises(ValueError):
        geometry.crop(image, (5, 5, 5, 9))


@pytest.mark.parametrize(
    "anchor, point, ratio, expected",
    [
        ((10, 10), (50, 30), None, (10, 10, 50, 30)),  # free: the dragged rectangle
        ((50, 30), (10, 10), None, (10, 10, 50, 30)),  # dragged up and left
        ((10, 10), (70, 20), 1.0, (10, 10, 70, 70)),  # square reaches along the longer side
        ((10, 10), (70, 20), 1.5, (10, 10, 70, 50)),  # wider drag: 3:2
        ((10, 10), (20, 70), 1.5, (10, 10, 50, 70)),  # taller drag: 2:3
        ((90, 80), (0, 75), 16 / 9, (0, 29.375, 90, 80)),  # up-left, shrunk to fit
        ((10, 10), (500, 12), 1.0, (10, 10, 100, 100)),  # limited by the image
    ],
)
def test_ratio_box_keeps_the_shape_inside_the_image(anchor, point, ratio, expected):
    box = geometry.ratio_box(anchor, point, ratio, 100, 100)
    assert box == pytest.approx(expected)
    if ratio is not None:
        width, height = box[2] - box[0], box[3] - box[1]
        assert width / height == pytest.approx(max(ratio, 1 / ratio) if width >= height
                                               else min(ratio, 1 / ratio))  # fmt: skip


def test_quarter_turns_and_flips_move_every_pixel_exactly():
    image, mask = numbered(), numbered()[..., 0]
    right = geometry.rotate_quarter(image, 1)
    assert right.shape == (40, 30, 3)
    # After a clockwise quarter turn the old bottom-left corner is the new top-left.
    np.testing.assert_array_equal(right[0, 0], image[-1, 0])
    np.testing.assert_array_equal(right[0, -1], image[0, 0])
    np.testing.assert_array_equal(geometry.rotate_quarter(right, -1), image)
    np.testing.assert_array_equal(geometry.rotate_quarter(mask, 1), np.rot90(mask, -1))
    np.testing.assert_array_equal(geometry.flip(image, horizontal=True), image[:, ::-1])
    np.testing.assert_array_equal(geometry.flip(mask, horizontal=False), mask[::-1])
    assert geometry.flip(image, True).flags.c_contiguous


@pytest.mark.parametrize(
    "start, end, expected",
    [
        ((0, 0), (100, 10), -math.degrees(math.atan(0.1))),  # falls to the right: turn back
        ((100, 10), (0, 0), -math.degrees(math.atan(0.1))),  # same line, drawn backwards
        ((0, 10), (100, 0), math.degrees(math.atan(0.1))),  # rises to the right
        ((50, 0), (45, 100), -math.degrees(math.atan(0.05))),  # nearly vertical
        ((0, 0), (2, 1), None),  # a click, not a line
    ],
)
def test_level_angle_is_the_turn_that_makes_the_line_level(start, end, expected):
    angle = geometry.level_angle(start, end)
    assert angle == (None if expected is None else pytest.approx(expected))


def test_straighten_levels_a_tilted_horizon_and_leaves_no_empty_corner():
    picture = Image.new("RGB", (400, 300), "white")
    tilt = math.radians(8)
    start = (200 - 150 * math.cos(tilt), 150 - 150 * math.sin(tilt))
    end = (200 + 150 * math.cos(tilt), 150 + 150 * math.sin(tilt))
    ImageDraw.Draw(picture).line([start, end], fill="black", width=3)
    image = np.asarray(picture)
    painted = Image.new("L", (400, 300), 0)
    ImageDraw.Draw(painted).line([start, end], fill=255, width=9)  # the mask follows the line
    mask = np.asarray(painted)
    angle = geometry.level_angle(start, end)
    level, level_mask = geometry.straighten(image, mask, angle)
    width, height = geometry.straighten_size(400, 300, angle)
    assert level.shape[:2] == level_mask.shape == (height, width)
    dark_rows = np.flatnonzero((level[..., 0] < 128).any(axis=1))
    assert dark_rows.max() - dark_rows.min() <= 4  # the line is level now
    # The mask turned with the photo: it still lies on the line.
    columns = np.flatnonzero((level[..., 0] < 128).any(axis=0))
    along = slice(columns.min() + 3, columns.max() - 3)  # the ends are soft on both
    assert level_mask[dark_rows.min() : dark_rows.max() + 1, along].min() > 200
    # White photo, no black (empty) pixel anywhere, corners included.
    blank, _ = geometry.straighten(np.full_like(image, 255), mask, angle)
    assert blank.min() == 255


def test_straighten_size_is_the_known_largest_rectangle():
    # (w cos a - h sin a) / cos 2a and (h cos a - w sin a) / cos 2a for 400 x 300 at 5°.
    assert geometry.straighten_size(400, 300, 5.0) == (378, 268)
    assert geometry.straighten_size(400, 300, -5.0) == (378, 268)
    assert geometry.straighten_size(400, 300, 0.0) == (400, 300)


@pytest.mark.parametrize("degrees", [0.2, 3.0, -12.5, 30.0, 45.0])
def test_straighten_keeps_a_rectangle_touching_the_photo_edges(degrees):
    """Inside the turned photo (no empty corner) and touching its edges (none larger)."""
    outline = geometry.straighten_outline(400, 300, degrees)
    for x, y in outline:
        assert -0.01 <= x <= 400.01 and -0.01 <= y <= 300.01
    edge_distance = [min(x, 400 - x, y, 300 - y) for x, y in outline]
    assert sum(distance < 1.5 for distance in edge_distance) >= 2


def test_straighten_refuses_more_than_45_degrees():
    with pytest.raises(ValueError):
        geometry.straighten(numbered(), numbered()[..., 0], 50)


@pytest.mark.parametrize("resampling", list(geometry.RESAMPLING))
def test_resize_every_resampling(resampling):
    image = numbered(30, 40)
    resized = geometry.resize(image, 20, 15, resampling)
    assert resized.shape == (15, 20, 3) and resized.dtype == np.uint8
    if resampling == "nearest":
        assert set(map(tuple, resized.reshape(-1, 3))) <= set(map(tuple, image.reshape(-1, 3)))


def test_resize_rgba_does_not_bleed_transparent_colours():
    image = np.zeros((20, 20, 4), np.uint8)
    image[:, :10] = (255, 0, 0, 0)  # invisible red
    image[:, 10:] = (0, 0, 255, 255)  # opaque blue
    resized = geometry.resize(image, 10, 10, "lanczos")
    opaque = resized[..., 3] > 128
    assert resized[opaque, 0].max() <= 8  # no red halo on the blue side


def test_mask_resizes_bilinearly_and_sizes_follow_the_ratio():
    mask = np.zeros((40, 40), np.uint8)
    mask[:, 20:] = 255
    small = geometry.resize_mask(mask, 10, 10)
    assert 0 < small[5, 4] < 255 or 0 < small[5, 5] < 255  # the edge stays soft
    assert geometry.scaled_size(400, 300, 200, None) == (200, 150)
    assert geometry.scaled_size(400, 300, None, 100) == (133, 100)


def test_pad_mirrors_or_repeats_and_aspect_borders():
    image = numbered(10, 12)
    padded = geometry.pad(image, 3, 2, 4, 1)
    assert padded.shape == (13, 19, 3)
    np.testing.assert_array_equal(padded[2:12, 3:15], image)
    np.testing.assert_array_equal(padded[2:12, 2], image[:, 1])  # a mirror
    edge = geometry.pad(image[..., 0], 2, 0, 0, 0, "edge")
    np.testing.assert_array_equal(edge[:, 0], image[:, 0, 0])
    assert geometry.borders_for_aspect(64, 48, 16 / 9) == (10, 0, 11, 0)
    assert geometry.borders_for_aspect(64, 48, 1.0) == (0, 8, 0, 8)
    assert geometry.borders_for_aspect(64, 48, 4 / 3) == (0, 0, 0, 0)


def test_saved_exif_describes_the_new_pixels_and_keeps_the_camera(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "GeometryCam"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0xA002] = 40
    exif.get_ifd(0x8769)[0xA003] = 30
    turned = geometry.rotate_quarter(numbered(30, 40), 1)
    save_image(turned, tmp_path / "turned.jpg", exif=exif.tobytes())
    loaded = load_image(tmp_path / "turned.jpg")
    assert loaded.pixels.shape == (40, 30, 3)  # no second turn from a stale orientation
    with Image.open(tmp_path / "turned.jpg") as saved:
        tags = saved.getexif()
        assert tags[0x010F] == "GeometryCam" and tags[0x0112] == 1
        assert tags.get_ifd(0x8769)[0xA002] == 30 and tags.get_ifd(0x8769)[0xA003] == 40


def test_damaged_exif_is_written_as_it_was():
    assert exif_for_size(b"Exif\x00\x00garbage", 10, 10) == b"Exif\x00\x00garbage"
    assert exif_for_size(None, 10, 10) is None
