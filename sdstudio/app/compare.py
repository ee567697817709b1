"""Split-view compare: the original left of a draggable divider, the edit to its right."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen

DIVIDER_GRAB_PX = 6  # how close (screen pixels) a press must land to grab the divider


class SplitCompare(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.enabled = False
        self.fraction = 0.5  # divider position as a fraction of the image width
        self.dragging = False

    def set_enabled(self, enabled: bool) -> None:
        if enabled != self.enabled:
            self.enabled = enabled
            self.dragging = False
            self.changed.emit()

    def set_fraction(self, fraction: float) -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        if fraction != self.fraction:
            self.fraction = fraction
            self.changed.emit()

    def hit(self, viewport_pos: QPointF, divider_x: float) -> bool:
        return self.enabled and abs(viewport_pos.x() - divider_x) <= DIVIDER_GRAB_PX

    def paint(self, painter: QPainter, divider_x: float, viewport: QRect) -> None:
        """Draws the divider with a grip and the two labels, in viewport coordinates."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 0, 0, 150), 3))
        painter.drawLine(QPointF(divider_x, viewport.top()), QPointF(divider_x, viewport.bottom()))
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.drawLine(QPointF(divider_x, viewport.top()), QPointF(divider_x, viewport.bottom()))
        grip = QRectF(divider_x - 7, viewport.center().y() - 18, 14, 36)
        painter.setBrush(QColor(240, 240, 240))
        painter.setPen(QPen(QColor(0, 0, 0, 150), 1))
        painter.drawRoundedRect(grip, 5, 5)
        self._label(painter, "Original", QPointF(divider_x - 8, viewport.top() + 10), right=True)
        self._label(painter, "Edited", QPointF(divider_x + 8, viewport.top() + 10), right=False)

    def paint_label(self, painter: QPainter, text: str, viewport: QRect) -> None:
        self._label(painter, text, QPointF(viewport.left() + 10, viewport.top() + 10), right=False)

    @staticmethod
    def _label(painter: QPainter, text: str, anchor: QPointF, right: bool) -> None:
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        width = metrics.horizontalAdvance(text) + 14
        height = metrics.height() + 6
        left = anchor.x() - width if right else anchor.x()
        box = QRectF(left, anchor.y(), width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
