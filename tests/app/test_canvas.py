from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from sdstudio.imaging.image_io import LoadedImage
from tests.app.canvas_helpers import drag
from tests.app.conftest import make_photo


def _open(window, width=2000, height=1500, pixels=None):
    pixels = make_photo(width, height) if pixels is None else pixels
    window.document.open_loaded(LoadedImage(pixels=pixels, path=Path("/tmp/big.png")))
    window.canvas.set_brush(size=9, hardness=1.0)
    QApplication.processEvents()
    return window.canvas


def _zoom(canvas, zoom):
    canvas.set_zoom(zoom)
    QApplication.processEvents()  # let the status bar settle: the viewport must not move


def _image_at(canvas, point: QPoint) -> tuple[float, float]:
    """Image coordinates under a viewport point, from the scroll bars and zoom alone."""
    zoom = canvas.transform().m11()
    return (
        (point.x() + canvas.horizontalScrollBar().value()) / zoom,
        (point.y() + canvas.verticalScrollBar().value()) / zoom,
    )


def _assert_painted_at(mask, image_xy, radius=4.5):
    x, y = int(image_xy[0]), int(image_xy[1])
    assert mask[y, x] == 255, f"no paint at image ({x}, {y})"
    far = int(radius + 3)  # strokes in these tests are horizontal: check above and below
    assert mask[y - far, x] == 0 and mask[y + far, x] == 0


@pytest.mark.parametrize("zoom", [1.0, 4.0, 0.5])
def test_stroke_lands_at_the_right_image_pixels(window, zoom):
    canvas = _open(window)
    _zoom(canvas, zoom)
    canvas.horizontalScrollBar().setValue(canvas.horizontalScrollBar().maximum() // 3)
    canvas.verticalScrollBar().setValue(canvas.verticalScrollBar().maximum() // 2)
    QApplication.processEvents()
    assert canvas.horizontalScrollBar().value() > 0  # the view really is panned
    start, end = QPoint(100, 150), QPoint(300, 150)
    drag(canvas, [start, QPoint(200, 150), end])
    mask = window.document.mask
    for point in (start, end, QPoint(250, 150)):
        _assert_painted_at(mask, _image_at(canvas, point), radius=4.5 if zoom >= 1 else 9)
    assert window.document.undo_stack.count() == 1


def test_fast_stroke_leaves_no_gaps_and_undo_removes_it(window):
    canvas = _open(window)
    _zoom(canvas, 1.0)
    a, b = QPoint(20, 200), QPoint(600, 260)
    drag(canvas, [a, b])  # one big jump, as a fast flick gives
    (x0, y0), (x1, y1) = _image_at(canvas, a), _image_at(canvas, b)
    mask = window.document.mask
    for t in np.linspace(0, 1, 400):
        assert mask[int(y0 + (y1 - y0) * t), int(x0 + (x1 - x0) * t)] > 0
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.mask_is_empty()
    QTest.keyClick(
        canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not window.document.mask_is_empty()


def test_eraser_removes_paint(window):
    canvas = _open(window, 400, 300)
    _zoom(canvas, 1.0)
    window.canvas.set_brush(size=30)
    at = canvas.map_from_image
    drag(canvas, [at(QPointF(100, 100)).toPoint(), at(QPointF(200, 100)).toPoint()])
    painted = int(window.document.mask.sum())
    assert painted > 0
    QTest.keyClick(canvas, Qt.Key.Key_E)
    assert canvas.tool == "eraser"
    drag(canvas, [at(QPointF(90, 100)).toPoint(), at(QPointF(210, 100)).toPoint()])
    assert int(window.document.mask.sum()) < painted * 0.05
    QTest.keyClick(canvas, Qt.Key.Key_B)
    assert canvas.tool == "brush"
    assert [window.document.undo_stack.text(i) for i in range(2)] == ["Paint mask", "Erase mask"]


def test_wheel_zooms_around_the_cursor(window):
    canvas = _open(window)
    _zoom(canvas, 1.0)
    cursor = QPointF(300, 200)
    before = canvas.map_to_image(cursor)
    event = QWheelEvent(
        cursor,
        canvas.viewport().mapToGlobal(cursor),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), event)
    assert canvas.zoom() == pytest.approx(1.25)
    after = canvas.map_to_image(cursor)
    assert abs(after.x() - before.x()) < 1.0 and abs(after.y() - before.y()) < 1.0
    assert window.zoom_label.text() == "125 %"


def test_zoom_shortcuts_and_label(window):
    canvas = _open(window)
    QTest.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom() == pytest.approx(1.0) and window.zoom_label.text() == "100 %"
    QTest.keyClick(canvas, Qt.Key.Key_Plus)
    assert canvas.zoom() == pytest.approx(1.25)
    QTest.keyClick(canvas, Qt.Key.Key_Minus)
    QTest.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.zoom() == pytest.approx(0.8)
    QTest.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    shown = canvas.mapFromScene(canvas.sceneRect()).boundingRect()
    view = canvas.viewport().rect()
    assert shown.width() <= view.width() + 2 and shown.height() <= view.height() + 2
    assert shown.width() >= view.width() - 2 or shown.height() >= view.height() - 2


@pytest.mark.parametrize("how", ["space", "middle"])
def test_pan_moves_the_view_and_paints_nothing(window, how):
    canvas = _open(window)
    _zoom(canvas, 1.0)
    h0, v0 = canvas.horizontalScrollBar().value(), canvas.verticalScrollBar().value()
    points = [QPoint(400, 300), QPoint(350, 280), QPoint(300, 250)]
    if how == "space":
        QTest.keyPress(canvas, Qt.Key.Key_Space)
        drag(canvas, points)
        QTest.keyRelease(canvas, Qt.Key.Key_Space)
    else:
        drag(canvas, points, Qt.MouseButton.MiddleButton)
    assert canvas.horizontalScrollBar().value() == h0 + 100
    assert canvas.verticalScrollBar().value() == v0 + 50
    assert window.document.mask_is_empty()


def _pixel(canvas, point: QPoint) -> QColor:
    return canvas.viewport().grab().toImage().pixelColor(point)


def test_holding_backslash_shows_the_original(window):
    pixels = np.zeros((300, 400, 3), np.uint8)
    pixels[:] = (200, 30, 30)
    canvas = _open(window, pixels=pixels)
    window.document.apply_result("Paint it blue", np.full_like(pixels, (20, 20, 220)), {})
    _zoom(canvas, 1.0)
    centre = canvas.map_from_image(QPointF(200, 150)).toPoint()
    assert _pixel(canvas, centre).blue() > 200
    QTest.keyPress(canvas, Qt.Key.Key_Backslash)
    assert _pixel(canvas, centre).red() > 180
    QTest.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert _pixel(canvas, centre).blue() > 200


def test_split_view_divider_is_draggable(window):
    pixels = np.full((300, 400, 3), (200, 30, 30), np.uint8)
    canvas = _open(window, pixels=pixels)
    window.document.apply_result("Blue", np.full_like(pixels, (20, 20, 220)), {})
    _zoom(canvas, 1.0)
    window.actions_.split.trigger()
    assert canvas.split.enabled
    left = canvas.map_from_image(QPointF(100, 150)).toPoint()
    right = canvas.map_from_image(QPointF(300, 150)).toPoint()
    assert _pixel(canvas, left).red() > 180 and _pixel(canvas, right).blue() > 200
    divider = canvas.map_from_image(QPointF(200, 150)).toPoint()
    drag(canvas, [divider, canvas.map_from_image(QPointF(350, 150)).toPoint()])
    assert canvas.split.fraction == pytest.approx(350 / 400, abs=0.01)
    assert _pixel(canvas, right).red() > 180  # now left of the divider: the original
    assert window.document.mask_is_empty()  # dragging the divider never paints


def test_mask_overlay_colour_opacity_and_hide(window):
    pixels = np.full((300, 400, 3), 128, np.uint8)
    canvas = _open(window, pixels=pixels)
    _zoom(canvas, 1.0)
    canvas.overlay.set_color(QColor(0, 255, 0))
    canvas.overlay.set_opacity(1.0)
    canvas.set_brush(size=40)
    a = canvas.map_from_image(QPointF(100, 100)).toPoint()
    drag(canvas, [a, a + QPoint(50, 0)])
    QTest.mouseMove(canvas.viewport(), QPoint(5, 5))  # move the brush outline away
    inside = a + QPoint(25, 0)
    assert _pixel(canvas, inside).getRgb()[:3] == (0, 255, 0)
    canvas.overlay.set_opacity(0.5)
    r, g, _, _ = _pixel(canvas, inside).getRgb()
    assert 50 < r < 80 and 180 < g < 200
    QTest.keyClick(canvas, Qt.Key.Key_H)
    assert _pixel(canvas, inside).getRgb()[:3] == (128, 128, 128)


def test_brush_outline_follows_the_cursor_at_true_size(window):
    canvas = _open(window, pixels=np.zeros((300, 400, 3), np.uint8))
    _zoom(canvas, 2.0)
    canvas.set_brush(size=30, hardness=1.0)
    centre = QPoint(300, 250)
    # Sent to the viewport itself: a hover move, with no window-level pointer bookkeeping
    # (which other tests' windows can disturb) in between.
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(centre),
        QPointF(canvas.viewport().mapToGlobal(centre)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(canvas.viewport(), move)
    # Radius 15 image px = 30 screen px; the anti-aliased ring straddles that pixel.
    ring = max(_pixel(canvas, centre + QPoint(dx, 0)).lightness() for dx in (29, 30, 31))
    assert ring > 100
    assert _pixel(canvas, centre + QPoint(15, 0)).lightness() < 20
    assert _pixel(canvas, centre + QPoint(45, 0)).lightness() < 20


def test_bracket_keys_change_brush_size_and_hardness(window):
    canvas = _open(window, 400, 300)
    canvas.set_brush(size=50, hardness=0.5)
    QTest.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.brush.size == pytest.approx(60)
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.brush.size == pytest.approx(41.67, abs=0.01)
    QTest.keyClick(canvas, Qt.Key.Key_BracketRight, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.brush.hardness == pytest.approx(0.6)
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClick(canvas, Qt.Key.Key_BracketLeft, Qt.KeyboardModifier.ShiftModifier)
    assert canvas.brush.hardness == pytest.approx(0.4)
    assert window.brush_toolbar.size_spin.value() == 42


def test_transparent_pixels_show_a_checkerboard(window):
    pixels = np.zeros((200, 200, 4), np.uint8)  # fully transparent
    canvas = _open(window, pixels=pixels)
    _zoom(canvas, 1.0)
    shades = {
        _pixel(canvas, canvas.map_from_image(QPointF(x, 50)).toPoint()).lightness()
        for x in range(20, 60, 4)
    }
    assert len(shades) == 2 and min(shades) > 60  # two greys, not the black of RGB 0


def test_painting_through_the_canvas_copies_no_full_image(window):
    import tracemalloc

    from sdstudio.engine.runner import preload

    # tracemalloc counts every thread: the job worker's background import of torch
    # (started when the window shows) must be over before the strokes are measured.
    preload()
    canvas = _open(window, 3000, 2000)  # 6 MP: a mask copy is 6 MB, an image copy 18 MB
    _zoom(canvas, 1.0)
    viewport = canvas.viewport()
    start = QPoint(50, 50)
    QTest.mouseMove(viewport, start)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    tracemalloc.start()
    try:
        for step in range(1, 25):
            QTest.mouseMove(viewport, start + QPoint(step * 15, step * 5))
            viewport.repaint()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        QTest.mouseRelease(
            viewport,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            start + QPoint(360, 120),
        )
    assert peak < 3_000_000
    assert window.document.undo_stack.count() == 1
