"""Saving when things go wrong, file naming and dialog filters (image_io)."""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest

from sdstudio.errors import ImageSaveError
from sdstudio.imaging import image_save
from sdstudio.imaging.image_io import (
    SAVE_FORMATS,
    edited_path,
    format_for_dialog_filter,
    format_for_path,
    load_image,
    open_dialog_filter,
    save_dialog_filters,
    save_image,
)

OLD = np.full((8, 8, 3), 10, np.uint8)
NEW = np.full((8, 8, 3), 200, np.uint8)


@pytest.fixture
def existing(tmp_path):
    path = tmp_path / "photo.png"
    save_image(OLD, path)
    return path


def _assert_untouched(path):
    np.testing.assert_array_equal(load_image(path).pixels, OLD)
    leftovers = [p.name for p in path.parent.iterdir() if p.name != path.name]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def _failing(error: OSError):
    def fail(*args, **kwargs):
        raise error

    return fail


def test_disk_full_during_write_keeps_the_old_file(existing, monkeypatch):
    monkeypatch.setattr(image_save.os, "fsync", _failing(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(ImageSaveError, match="not enough free disk space"):
        save_image(NEW, existing)
    monkeypatch.undo()
    _assert_untouched(existing)


def test_disk_full_inside_the_encoder_keeps_the_old_file(existing, monkeypatch):
    # The encoder writes through the file object: fail the very first write.
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr(image_save.os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode)))
    with pytest.raises(ImageSaveError, match="not enough free disk space"):
        save_image(NEW, existing)
    monkeypatch.undo()
    _assert_untouched(existing)


def test_permission_denied_on_rename_keeps_the_old_file(existing, monkeypatch):
    monkeypatch.setattr(image_save.os, "replace", _failing(PermissionError(errno.EACCES, "denied")))
    with pytest.raises(ImageSaveError, match="not allowed to write") as caught:
        save_image(NEW, existing)
    assert str(existing.parent) in str(caught.value)
    monkeypatch.undo()
    _assert_untouched(existing)


def test_read_only_file_system(existing, monkeypatch):
    monkeypatch.setattr(image_save.os, "open", _failing(OSError(errno.EROFS, "Read-only")))
    with pytest.raises(ImageSaveError, match="not allowed to write"):
        save_image(NEW, existing)
    monkeypatch.undo()
    _assert_untouched(existing)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_real_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    save_image(OLD, folder / "photo.png")
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(ImageSaveError, match="not allowed to write"):
            save_image(NEW, folder / "photo.png")
        _assert_untouched(folder / "photo.png")
    finally:
        os.chmod(folder, 0o755)


def test_interrupted_save_removes_its_temporary_file(existing, monkeypatch):
    monkeypatch.setattr(image_save.os, "fsync", _failing(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        save_image(NEW, existing)
    monkeypatch.undo()
    _assert_untouched(existing)


def test_missing_folder(tmp_path):
    with pytest.raises(ImageSaveError, match="does not exist"):
        save_image(NEW, tmp_path / "no" / "such" / "photo.png")


def test_unknown_extension(tmp_path):
    with pytest.raises(ImageSaveError, match="cannot save a '.xyz' file"):
        save_image(NEW, tmp_path / "photo.xyz")
    assert list(tmp_path.iterdir()) == []


def test_explicit_format_overrides_the_extension(tmp_path):
    save_image(NEW, tmp_path / "photo.dat", format="png")
    assert load_image(tmp_path / "photo.dat").format == "PNG"


def test_bad_pixel_arrays_are_programming_errors(tmp_path):
    with pytest.raises(ValueError):
        save_image(NEW.astype(np.float32), tmp_path / "x.png")
    with pytest.raises(ValueError):
        save_image(np.zeros((4, 4, 2), np.uint8), tmp_path / "x.png")


# --- names and dialogs -----------------------------------------------------------


def test_edited_path_never_picks_an_existing_file(tmp_path):
    original = tmp_path / "photo.jpg"
    original.write_bytes(b"x")
    first = edited_path(original)
    assert first.name == "photo_edited.jpg"
    first.write_bytes(b"x")
    second = edited_path(original)
    assert second.name == "photo_edited-2.jpg"
    second.write_bytes(b"x")
    assert edited_path(original).name == "photo_edited-3.jpg"
    # Editing an edited copy continues the sequence instead of stacking suffixes.
    assert edited_path(second).name == "photo_edited-3.jpg"


def test_format_for_path():
    assert format_for_path("a/b/Photo.JPG") == "JPEG"
    assert format_for_path("x.tiff") == "TIFF"
    with pytest.raises(ImageSaveError):
        format_for_path("x")


def test_dialog_filters():
    assert open_dialog_filter().startswith("Images (*.jpg ")
    assert open_dialog_filter().endswith(";;All files (*)")
    filters = save_dialog_filters().split(";;")
    assert len(filters) == len(SAVE_FORMATS)
    assert "JPEG (*.jpg *.jpeg *.jpe *.jfif)" in filters
    for selected in filters:
        key = format_for_dialog_filter(selected)
        assert key in SAVE_FORMATS
        assert SAVE_FORMATS[key].dialog_filter == selected
    assert format_for_dialog_filter("All files (*)") is None
    assert SAVE_FORMATS["JPEG"].supports_quality and not SAVE_FORMATS["JPEG"].supports_alpha
    assert SAVE_FORMATS["PNG"].supports_alpha and not SAVE_FORMATS["PNG"].supports_quality


def test_a_save_removes_an_old_leftover_of_a_killed_save(tmp_path):
    path = tmp_path / "photo.png"
    leftover = tmp_path / ".photo.png.0badf00d.part"
    leftover.write_bytes(b"half a png")
    day_ago = os.path.getmtime(leftover) - 86400
    os.utime(leftover, (day_ago, day_ago))
    save_image(np.zeros((4, 4, 3), np.uint8), path)
    assert path.exists() and not leftover.exists()
