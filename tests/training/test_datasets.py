from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sdstudio.errors import TrainingDataError
from sdstudio.training.datasets import (
    ImagePool,
    augment,
    decode_image,
    random_crop,
    scan_folder,
    split_validation,
)
from tests.training.conftest import write_photos


def test_empty_folder_is_a_clear_error(tmp_path):
    report = scan_folder(tmp_path)
    with pytest.raises(TrainingDataError, match="contains no files"):
        report.raise_if_unusable()


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(TrainingDataError, match="does not exist"):
        scan_folder(tmp_path / "nowhere")


def test_junk_only_folder_names_what_was_found(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    report = scan_folder(tmp_path)
    assert report.count == 0
    with pytest.raises(TrainingDataError, match="no usable image: 1 unreadable image file"):
        report.raise_if_unusable()


def test_unreadable_files_are_skipped_and_listed(tmp_path):
    write_photos(tmp_path / "nested" / "deeper", 2)
    (tmp_path / "truncated.png").write_bytes(
        (tmp_path / "nested" / "deeper" / "photo_00.png").read_bytes()[:60]
    )
    (tmp_path / ".hidden.png").write_bytes(b"junk")
    (tmp_path / "tiny.png").write_bytes(_png(np.zeros((4, 4, 3), np.uint8)))
    report = scan_folder(tmp_path, crop=80)
    assert report.count == 2  # found recursively
    assert {path.name for path, _ in report.unreadable} == {"truncated.png"}
    assert [(path.name, size) for path, size in report.too_small] == [("tiny.png", (4, 4))]
    assert {path.name for path, _ in report.skipped()} == {"truncated.png", "tiny.png"}
    warnings = " ".join(report.warnings())
    assert "1 file(s) cannot be read" in warnings and "truncated.png" in warnings
    assert "1 image(s) are too small to learn from (under 16x16 pixels)" in warnings
    assert "2 image(s) are smaller than the training crop" in warnings  # 96x72 < 80
    report.raise_if_unusable()


def test_a_tiny_image_is_called_too_small_with_the_minimum_not_unreadable(tmp_path):
    (tmp_path / "icon.png").write_bytes(_png(np.full((8, 8, 3), 90, np.uint8)))
    report = scan_folder(tmp_path)
    assert not report.unreadable
    ((path, reason),) = report.skipped()
    assert path.name == "icon.png"
    assert reason == "too small (8x8 pixels; the minimum is 16x16)"
    assert "icon.png (8x8)" in " ".join(report.warnings())
    assert "cannot be read" not in " ".join(report.warnings())
    with pytest.raises(TrainingDataError) as raised:
        report.raise_if_unusable()
    message = str(raised.value)
    assert "1 image(s) smaller than 16x16 pixels" in message
    assert "0 unreadable image file(s)" in message


def _png(array: np.ndarray, **save_args) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", **save_args)
    return buffer.getvalue()


def test_exif_orientation_is_applied(tmp_path):
    pixels = np.zeros((20, 40, 3), np.uint8)
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees when displayed
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes())
    assert decode_image(path).shape == (40, 20, 3)


def test_small_images_are_enlarged_to_the_crop():
    rng = np.random.default_rng(0)
    crop = random_crop(rng, np.full((10, 30, 3), 7, np.uint8), 32)
    assert crop.shape == (32, 32, 3)


def test_augment_flips_and_jitters_within_range():
    rng = np.random.default_rng(3)
    patch = np.random.default_rng(1).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    results = [augment(rng, patch, 0.05) for _ in range(8)]
    assert all(r.shape == patch.shape and r.dtype == np.uint8 for r in results)
    assert any(not np.array_equal(r, patch) for r in results)


def test_validation_is_held_out_when_there_are_enough_images(tmp_path):
    paths = write_photos(tmp_path, 9)
    train, held = split_validation(paths, 2, seed=0)
    assert len(held) == 2 and not set(train) & set(held) and len(train) == 7
    train, held = split_validation(paths[:1], 2, seed=0)
    assert train == held == paths[:1]  # one image: validate on a fixed crop of it


def test_pool_keeps_images_within_its_budget(tmp_path):
    paths = write_photos(tmp_path, 3)
    pool = ImagePool(paths, max_side=48, cache_bytes=1)
    for index in range(3):
        assert max(pool.get(index).shape[:2]) == 48
    assert len(pool._cache) == 1


def test_a_run_scan_keeps_the_downscaled_images_for_the_pool(tmp_path, monkeypatch):
    from sdstudio.training import datasets

    paths = write_photos(tmp_path, 3)
    report = scan_folder(tmp_path, keep_side=48)
    assert set(report.kept) == set(paths)
    assert all(max(image.shape[:2]) == 48 for image in report.kept.values())
    assert not scan_folder(tmp_path).kept  # only a run's scan keeps them

    def no_second_decode(path):
        raise AssertionError(f"{path.name} decoded twice")

    monkeypatch.setattr(datasets, "decode_image", no_second_decode)
    pool = ImagePool(paths, max_side=48, decoded=report.kept)
    assert all(pool.get(index) is report.kept[path] for index, path in enumerate(paths))
    assert report.image(paths[0]) is report.kept[paths[0]]
