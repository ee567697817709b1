"""The straighten tool: drag a level line along what should be horizontal or vertical.

Letting go sets the angle (the turn that makes the line level, within +-45°); the angle
can also be typed. The canvas previews what straightening keeps: the largest upright
rectangle of the turned photo, drawn as a tilted frame on the photo as it is now, with
the rest darkened. Enter applies, Esc cancels; ``ImageTools`` does the turning.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPainterPath, QPen, QPolygonF

from sdstudio.app.canvas_tools import image_point
from sdstudio.app.crop_tool import SHADE, ApplyOrEscapeTool
from sdstudio.imaging.geometry import MAX_STRAIGHTEN_DEGREES, level_angle, straighten_outline

TOOL_STRAIGHTEN = "straighten"


class StraightenTool(ApplyOrEscapeTool):
    def __init__(
        self,
        canvas,
        on_angle: Callable[[float], None],
        on_apply: Callable[[], None],
        on_escape: Callable[[], None],
        on_ended: Callable[[], None],
    ) -> None:
        super().__init__(canvas)
        self.on_angle = on_angle
        self.on_apply = on_apply
        self.on_escape = on_escape  # asks to stop; ``cancel`` is how it stops
        self.on_ended = on_ended
        self.active = False
        self.angle = 0.0  # degrees, clockwise
        self._line: tuple[tuple[float, float], tuple[float, float]] | None = None

    def start(self) -> None:
        self.active = True
        self.angle, self._line = 0.0, None
        self.canvas.viewport().update()

    def cancel(self) -> None:
        if not self.active:
            return
        self.active = False
        self._line = None
        self.canvas.viewport().update()
        self.on_ended()

    def busy(self) -> bool:
        return self.active

    def set_angle(self, degrees: float) -> None:
        """The angle typed in (or from the line); the preview follows."""
        limited = max(-MAX_STRAIGHTEN_DEGREES, min(MAX_STRAIGHTEN_DEGREES, float(degrees)))
        if limited != self.angle:
            self.angle = limited
            self.canvas.viewport().update()
            self.on_angle(limited)

    # -- mouse and keys ------------------------------------------------------------------
    def press(self, event: QMouseEvent) -> bool:
        if not self.active:
            return False
        start = image_point(self.canvas, event.position())
        self._line = (start, start)
        return True

    def move(self, event: QMouseEvent) -> None:
        if self._line is not None:
            self._line = (self._line[0], image_point(self.canvas, event.position()))
            self.canvas.viewport().update()

    def release(self, event: QMouseEvent) -> None:
        if self._line is None:
            return
        start, end = self._line[0], image_point(self.canvas, event.position())
        self._line = None
        angle = level_angle(start, end)
        if angle is not None:  # a click leaves the angle as it was
            self.set_angle(round(angle, 2))
        self.canvas.viewport().update()

    def can_apply(self) -> bool:
        return self.angle != 0

    # -- drawing -------------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        if not self.active or not self.canvas.document.has_image():
            return
        width, height = self.canvas.document.size()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.angle:
            corners = straighten_outline(width, height, self.angle)
            frame = QPolygonF([self.canvas.map_from_image(QPointF(x, y)) for x, y in corners])
            photo = QPainterPath()
            photo.addPolygon(
                QPolygonF([self.canvas.map_from_image(QPointF(x, y))
                           for x, y in ((0, 0), (width, 0), (width, height), (0, height))])
            )  # fmt: skip
            kept = QPainterPath()
            kept.addPolygon(frame)
            kept.closeSubpath()
            painter.fillPath(photo.subtracted(kept), SHADE)
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1))
            painter.drawPolygon(frame)
        if self._line is not None:
            start, end = (self.canvas.map_from_image(QPointF(*p)) for p in self._line)
            painter.setPen(QPen(QColor(0, 0, 0, 170), 3))
            painter.drawLine(start, end)
            painter.setPen(QPen(QColor(255, 220, 0), 1))
            painter.drawLine(start, end)
        painter.restore()
