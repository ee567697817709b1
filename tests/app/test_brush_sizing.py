"""The brush keeps its size on screen from photo to photo; its keys; Ctrl+0 on small photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from sdstudio.imaging.image_io import LoadedImage


def _open(window, width: int, height: int, name: str = "photo.png") -> None:
    pixels = np.full((height, width, 3), 120, np.uint8)
    pixels[::7] = 200  # some structure, so it is a photo and not a flat fill
    window.document.open_loaded(LoadedImage(pixels=pixels, path=Path(name), format="PNG"))
    QApplication.processEvents()


def _press_fit(window) -> None:
    QTest.keyClick(window.canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()


def _diameter_on_screen(canvas) -> float:
    # From the view's own scale, not from the canvas's helper: what the outline shows.
    return canvas.brush.size * canvas.transform().m11()


def test_brush_looks_the_same_at_fit_on_a_small_and_a_big_photo(window):
    canvas = window.canvas
    _open(window, 600, 400, "small.png")
    _press_fit(window)
    QTest.keyClick(canvas, Qt.Key.Key_BracketRight)  # the person picks a size
    small_photo_brush = canvas.brush.size
    on_small = _diameter_on_screen(canvas)

    _open(window, 4000, 3000, "big.png")
    _press_fit(window)
    on_big = _diameter_on_screen(canvas)
    assert on_big == pytest.approx(on_small, rel=0.10)
    # In photo pixels it grew with the photo, which image pixels alone never would.
    assert canvas.brush.size > 4 * small_photo_brush

    text = window.brush_toolbar.size_label.text()
    assert f"{on_big:.0f} px on screen" in text
    assert f"{canvas.brush.size:.0f} px in the photo" in text
    assert window.brush_toolbar.size_spin.value() == round(canvas.brush.size)


def test_the_label_follows_the_zoom_and_the_photo_size_stays(window):
    canvas = window.canvas
    _open(window, 800, 600)
    canvas.set_brush(size=50)
    canvas.set_zoom(2.0)
    QApplication.processEvents()
    assert window.brush_toolbar.size_label.text().strip() == (
        "100 px on screen · 50 px in the photo"
    )
    assert canvas.brush.size == 50  # zooming never resizes what the brush paints


def test_a_new_window_gives_its_first_photo_the_remembered_look(qtbot, window):
    from sdstudio.app.main import create_main_window

    _open(window, 640, 480)
    _press_fit(window)
    window.canvas.set_brush(size=30)
    remembered = _diameter_on_screen(window.canvas)
    assert window.close()

    second = create_main_window()
    qtbot.addWidget(second)
    second.resize(1000, 700)
    second.show()
    qtbot.waitExposed(second)
    _open(second, 3200, 2400)
    _press_fit(second)
    assert _diameter_on_screen(second.canvas) == pytest.approx(remembered, rel=0.10)
    assert second.canvas.brush.size > 100
    second.document.undo_stack.setClean()
    second.close()


@pytest.mark.parametrize(
    ("softer", "harder"),
    [
        # A US keyboard: Shift+[ arrives as "{" with Shift still held.
        (
            (Qt.Key.Key_BraceLeft, Qt.KeyboardModifier.ShiftModifier),
            (Qt.Key.Key_BraceRight, Qt.KeyboardModifier.ShiftModifier),
        ),
        # Layouts (and platforms) that report the bracket key itself with Shift.
        (
            (Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ShiftModifier),
            (Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ShiftModifier),
        ),
        # A brace typed without Shift (a layout with braces on their own keys).
        (
            (Qt.Key.Key_BraceLeft, Qt.KeyboardModifier.NoModifier),
            (Qt.Key.Key_BraceRight, Qt.KeyboardModifier.NoModifier),
        ),
    ],
)
def test_shift_bracket_keys_change_hardness(window, softer, harder):
    canvas = window.canvas
    _open(window, 320, 240)
    canvas.set_brush(size=20, hardness=0.5)
    QTest.keyClick(canvas, *softer)
    assert canvas.brush.hardness == pytest.approx(0.4)
    QTest.keyClick(canvas, *harder)
    QTest.keyClick(canvas, *harder)
    assert canvas.brush.hardness == pytest.approx(0.6)
    assert canvas.brush.size == 20  # hardness keys never touch the size
    assert window.brush_toolbar.hardness_spin.value() == 60


def test_ctrl_0_fills_the_view_with_a_small_photo(window):
    canvas = window.canvas
    _open(window, 64, 48)
    assert canvas.zoom() == pytest.approx(1.0)  # opened at its real pixels
    _press_fit(window)
    assert canvas.zoom() > 1.0
    shown = canvas.map_from_image(canvas.sceneRect().bottomRight()) - canvas.map_from_image(
        canvas.sceneRect().topLeft()
    )
    view = canvas.viewport().size()
    # As large as fits: one side spans the view (to a pixel), the other fits inside it.
    assert max(shown.x() / view.width(), shown.y() / view.height()) == pytest.approx(1.0, abs=0.02)
    assert window.zoom_label.text() == f"{canvas.zoom() * 100:.0f} %"
