"""Real mouse input on the canvas viewport, as a person would give it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest


def viewport_point(canvas, image_x: float, image_y: float) -> QPoint:
    """The viewport pixel showing image point (x, y): from the scroll bars and zoom only."""
    zoom = canvas.transform().m11()
    origin = canvas.mapFromScene(QPointF(0, 0))  # where the image's corner is on screen
    return QPoint(round(origin.x() + image_x * zoom), round(origin.y() + image_y * zoom))


def drag(canvas, points, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
    """Press at the first viewport point, move through the rest, release at the last."""
    viewport = canvas.viewport()
    QTest.mouseMove(viewport, points[0])
    QTest.mousePress(viewport, button, modifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(viewport, point)
    QTest.mouseRelease(viewport, button, modifier, points[-1])
