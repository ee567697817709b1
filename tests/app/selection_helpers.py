"""Shared by the selection tool tests: a photo in a given view, and mouse input with keys."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from sdstudio.imaging.image_io import LoadedImage
from tests.app.conftest import make_photo

NO_KEYS = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
LEFT = Qt.MouseButton.LeftButton

# (zoom, panned): the photo at 100 % in its top-left corner, at 100 % and 250 % scrolled.
VIEWS = [(1.0, False), (1.0, True), (2.5, True)]
VIEW_IDS = ["100%", "100%-panned", "250%-panned"]


def open_in_view(
    window, zoom: float, panned: bool, width: int = 1600, height: int = 1200, pixels=None
):
    pixels = make_photo(width, height) if pixels is None else pixels
    window.document.open_loaded(LoadedImage(pixels=pixels, path=Path("/tmp/selection.png")))
    canvas = window.canvas
    canvas.set_zoom(zoom)
    QApplication.processEvents()
    if panned:
        canvas.horizontalScrollBar().setValue(canvas.horizontalScrollBar().maximum() // 3)
        canvas.verticalScrollBar().setValue(canvas.verticalScrollBar().maximum() // 2)
    else:
        canvas.horizontalScrollBar().setValue(0)
        canvas.verticalScrollBar().setValue(0)
    QApplication.processEvents()
    assert (canvas.horizontalScrollBar().value() > 0) == panned
    return canvas


def image_at(canvas, point: QPoint) -> tuple[float, float]:
    """The image point at a mouse position (viewport coordinates), from Qt's scene
    mapping and the zoom alone (not the canvas's own helpers, which are under test)."""
    zoom = canvas.transform().m11()
    origin = canvas.mapFromScene(QPointF(0, 0))
    return (point.x() - origin.x()) / zoom, (point.y() - origin.y()) / zoom


def visible_image_rect(canvas) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the photo area on screen, in image pixels."""
    view = canvas.viewport().rect()
    left, top = image_at(canvas, view.topLeft())
    right, bottom = image_at(canvas, view.bottomRight())
    return left, top, right, bottom


def send_move(canvas, point: QPoint, modifiers=NO_KEYS, buttons=LEFT) -> None:
    """A mouse move with keys held (QTest.mouseMove cannot hold keys)."""
    position = QPointF(point)
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        position,
        canvas.viewport().mapToGlobal(position),
        Qt.MouseButton.NoButton,
        buttons,
        modifiers,
    )
    QApplication.sendEvent(canvas.viewport(), event)


def drag_with(canvas, points: list[QPoint], press_keys=NO_KEYS, move_keys=None) -> None:
    """Press with ``press_keys``, move through ``points`` holding ``move_keys`` (the same
    keys unless given), release at the last point."""
    move_keys = press_keys if move_keys is None else move_keys
    viewport = canvas.viewport()
    QTest.mouseMove(viewport, points[0])
    QTest.mousePress(viewport, LEFT, press_keys, points[0])
    for point in points[1:]:
        send_move(canvas, point, move_keys)
    QTest.mouseRelease(viewport, LEFT, move_keys, points[-1])


def click(canvas, point: QPoint, keys=NO_KEYS) -> None:
    QTest.mouseMove(canvas.viewport(), point)
    QTest.mouseClick(canvas.viewport(), LEFT, keys, point)


def mask_bounds(mask) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the non-zero pixels, inclusive."""
    import numpy as np

    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())
