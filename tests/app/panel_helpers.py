"""Shared by the panel tests: the main window, photos, and real mouse strokes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from sdstudio.app.canvas import Canvas
from sdstudio.imaging.image_io import LoadedImage


def photo(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth gradient with some texture: inpainting has something to continue."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], -1)
    noisy = base + rng.normal(0, 6, base.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def open_photo(window, pixels: np.ndarray) -> None:
    window.document.open_loaded(LoadedImage(pixels=pixels, path=Path("photo.png"), format="PNG"))
    window.canvas.fit_to_window()


def paint_stroke(canvas: Canvas, points: list[tuple[float, float]]) -> None:
    """Drags the left mouse button through ``points`` (image pixels) on the canvas."""
    viewport = canvas.viewport()
    screen = [canvas.map_from_image(QPointF(x, y)).toPoint() for x, y in points]
    no_modifier = Qt.KeyboardModifier.NoModifier
    QTest.mouseMove(viewport, screen[0])
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, no_modifier, screen[0])
    for point in screen[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, no_modifier, screen[-1])
