"""Fixtures for app tests: the real main window, with its questions answered by tests."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from sdstudio.app.main import create_application, create_main_window
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401  (autouse: every app test)


@pytest.fixture
def window(qtbot, monkeypatch):
    """A shown MainWindow. Errors land in ``window.errors`` instead of a dialog; closing
    with unsaved changes discards them unless a test patches ``ask_save_changes``."""
    create_application()
    from sdstudio.app.window import MainWindow

    errors: list[tuple[str, str]] = []
    monkeypatch.setattr(
        MainWindow, "show_error", lambda self, title, msg: errors.append((title, msg))
    )
    monkeypatch.setattr(MainWindow, "ask_save_changes", lambda self: "discard")
    main_window = create_main_window()
    main_window.errors = errors
    qtbot.addWidget(main_window)
    main_window.resize(1000, 700)
    main_window.show()
    qtbot.waitExposed(main_window)
    yield main_window
    main_window.services.jobs.shutdown()  # a test that never closed it leaves no QThread


def make_photo(width: int = 320, height: int = 240, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, np.full_like(x, 128)], -1)
    return np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)


def srgb_icc() -> bytes:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return profile.tobytes()


def exif_with_camera() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SDStudioTestCam"  # Make
    exif[0x0112] = 1  # Orientation
    return exif.tobytes()


@pytest.fixture
def photo_file(tmp_path) -> Path:
    """A PNG (lossless, so pixels round-trip) with EXIF and an ICC profile."""
    path = tmp_path / "photo.png"
    Image.fromarray(make_photo()).save(path, exif=exif_with_camera(), icc_profile=srgb_icc())
    return path


@pytest.fixture
def jpeg_file(tmp_path) -> Path:
    path = tmp_path / "holiday.jpg"
    buffer = io.BytesIO()
    Image.fromarray(make_photo()).save(
        buffer, "JPEG", quality=95, exif=exif_with_camera(), icc_profile=srgb_icc()
    )
    path.write_bytes(buffer.getvalue())
    return path
