from __future__ import annotations

import numpy as np
import pytest

from sdstudio.imaging.tiling import Tile, TileBlender, plan_tiles


def _random_image(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, channels), np.uint8)


def _run(image, tile_size: int, overlap: int, process, scale: int = 1, blend: int | None = None):
    height, width, channels = image.shape
    blender = TileBlender(height, width, channels, scale=scale, overlap=blend)
    for tile in plan_tiles(height, width, tile_size, overlap):
        blender.add(tile, process(tile, image[tile.y0 : tile.y1, tile.x0 : tile.x1]))
    return blender.result()


def test_plan_covers_the_image_with_full_size_tiles():
    tiles = plan_tiles(300, 500, 128, 32)
    covered = np.zeros((300, 500), int)
    for tile in tiles:
        assert tile.height == 128 and tile.width == 128
        covered[tile.y0 : tile.y1, tile.x0 : tile.x1] += 1
    assert covered.min() >= 1
    rows = sorted({t.row for t in tiles})
    assert [t.y0 for t in tiles] == sorted(t.y0 for t in tiles)  # row-major
    assert rows == [0, 1, 2]
    for tile in tiles:
        right = [t for t in tiles if t.row == tile.row and t.col == tile.col + 1]
        if right:
            assert tile.overlap_right == tile.x1 - right[0].x0 >= 32
            assert right[0].overlap_left == tile.overlap_right
        else:
            assert tile.overlap_right == 0 and tile.x1 == 500


def test_plan_for_an_image_smaller_than_a_tile():
    assert plan_tiles(40, 200, 64, 16)[0] == Tile(0, 40, 0, 64, 0, 0, 0, 0, 0, 19)
    assert plan_tiles(1, 1, 64, 16) == [Tile(0, 1, 0, 1, 0, 0)]


@pytest.mark.parametrize("bad", [(64, 64), (64, -1), (0, 0)])
def test_plan_rejects_bad_settings(bad):
    with pytest.raises(ValueError):
        plan_tiles(100, 100, *bad)


@pytest.mark.parametrize(
    ("height", "width", "tile_size", "overlap"),
    [(150, 230, 64, 16), (64, 64, 64, 8), (65, 129, 64, 8), (40, 200, 64, 16), (1, 1, 8, 2)],
)
def test_identity_reproduces_the_image(height, width, tile_size, overlap):
    image = _random_image(height, width)
    result = _run(image, tile_size, overlap, lambda tile, crop: crop)
    np.testing.assert_array_equal(result, image)


def test_float_outputs_in_zero_to_one():
    image = _random_image(90, 70, channels=4)
    result = _run(image, 32, 8, lambda tile, crop: crop.astype(np.float32) / 255)
    assert result.dtype == np.uint8
    np.testing.assert_array_equal(result, image)


def test_per_tile_offsets_blend_without_a_seam():
    flat = np.full((200, 200, 1), 100, np.uint8)

    def brighten_odd_tiles(tile, crop):
        return crop + (40 if (tile.row + tile.col) % 2 else 0)

    blended = _run(flat, 64, 24, brighten_odd_tiles).astype(int)[..., 0]
    hard = _run(flat, 64, 24, brighten_odd_tiles, blend=0).astype(int)[..., 0]
    step = max(np.abs(np.diff(blended, axis=0)).max(), np.abs(np.diff(blended, axis=1)).max())
    hard_step = max(np.abs(np.diff(hard, axis=0)).max(), np.abs(np.diff(hard, axis=1)).max())
    assert hard_step >= 20  # flat weights: a visible step at each overlap edge
    assert step <= 4  # 40 levels spread over the 24+ px overlap
    assert blended.min() == 100 and blended.max() == 140


def test_scale_two():
    image = _random_image(70, 90)
    result = _run(image, 32, 8, lambda tile, crop: crop.repeat(2, 0).repeat(2, 1), scale=2)
    np.testing.assert_array_equal(result, image.repeat(2, 0).repeat(2, 1))


def test_single_channel_outputs():
    image = _random_image(30, 50, channels=1)
    np.testing.assert_array_equal(_run(image, 16, 4, lambda tile, crop: crop[..., 0]), image)


def test_memory_stays_within_two_rows_of_tiles():
    height, width, tile_size = 2000, 300, 128
    blender = TileBlender(height, width, 3)
    crop = np.zeros((tile_size, tile_size, 3), np.uint8)
    most = 0
    for tile in plan_tiles(height, width, tile_size, 16):
        blender.add(tile, crop)
        most = max(most, blender.open_rows)
    assert most <= 2 * tile_size
    assert blender.result().shape == (height, width, 3)
    assert blender.open_rows == 0


def test_wrong_shape_and_order_are_rejected():
    tiles = plan_tiles(100, 100, 64, 16)
    blender = TileBlender(100, 100, 3)
    with pytest.raises(ValueError, match="shape"):
        blender.add(tiles[0], np.zeros((10, 10, 3), np.uint8))
    for tile in tiles[2:]:
        blender.add(tile, np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(ValueError, match="top to bottom"):
        blender.add(tiles[0], np.zeros((64, 64, 3), np.uint8))


def test_missing_tiles_are_reported():
    blender = TileBlender(100, 100, 3)
    blender.add(plan_tiles(100, 100, 64, 16)[0], np.zeros((64, 64, 3), np.uint8))
    with pytest.raises(ValueError, match="not covered"):
        blender.result()


def test_snug_tiles_cover_a_photo_without_doubling_the_work():
    from sdstudio.imaging.tiling import snug_tile_size

    for height, width in [(768, 1024), (1536, 2048), (600, 513), (100, 3000), (300, 200)]:
        size = snug_tile_size(height, width, 512, 32)
        assert size <= 512
        tiles = plan_tiles(height, width, size, 32)
        covered = np.zeros((height, width), bool)
        for tile in tiles:
            covered[tile.y0 : tile.y1, tile.x0 : tile.x1] = True
            inner = [tile.overlap_left, tile.overlap_right, tile.overlap_top, tile.overlap_bottom]
            assert all(o == 0 or o >= 32 for o in inner)
        assert covered.all()
        # As few tiles as full-size ones need, but far less overlap (3 x 512 px across a
        # 1024 px photo computed 1.5 photos' worth).
        assert len(tiles) == len(plan_tiles(height, width, 512, 32))
        area = sum(t.height * t.width for t in tiles)
        assert area <= 1.3 * height * width
