"""Draws the mask as a coloured, translucent overlay over the photo.

The mask itself is an Alpha8 QImage sharing memory with the document's array. Each paint
colours only the exposed part, at screen resolution, in a temporary image no larger than
the exposed area on screen, so the cost never depends on the photo's size.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen

DEFAULT_OVERLAY_COLOR = QColor(255, 40, 90)
DEFAULT_OVERLAY_OPACITY = 0.5


class MaskOverlay(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._color = QColor(DEFAULT_OVERLAY_COLOR)
        self._opacity = DEFAULT_OVERLAY_OPACITY
        self._visible = True

    @property
    def color(self) -> QColor:
        return QColor(self._color)

    def set_color(self, color: QColor) -> None:
        if color.isValid() and color != self._color:
            self._color = QColor(color.red(), color.green(), color.blue())
            self.changed.emit()

    @property
    def opacity(self) -> float:
        return self._opacity

    def set_opacity(self, opacity: float) -> None:
        opacity = min(max(float(opacity), 0.0), 1.0)
        if opacity != self._opacity:
            self._opacity = opacity
            self.changed.emit()

    @property
    def visible(self) -> bool:
        return self._visible

    def set_visible(self, visible: bool) -> None:
        if visible != self._visible:
            self._visible = bool(visible)
            self.changed.emit()

    def paint(self, painter: QPainter, exposed: QRectF, mask_image: QImage) -> None:
        """Paints the overlay for the exposed scene rect (scene units = image pixels)."""
        if not self._visible or mask_image.isNull() or self._opacity <= 0:
            return
        source = exposed.toAlignedRect().intersected(mask_image.rect())
        if source.isEmpty():
            return
        on_screen = painter.transform().mapRect(QRectF(source))
        width = max(1, math.ceil(on_screen.width()))
        height = max(1, math.ceil(on_screen.height()))
        tinted = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
        tinted.fill(self._color)
        tint_painter = QPainter(tinted)
        tint_painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
        if on_screen.width() < source.width():  # zoomed out: average, don't drop strokes
            tint_painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        tint_painter.drawImage(QRectF(0, 0, width, height), mask_image, QRectF(source))
        tint_painter.end()
        painter.save()
        painter.setOpacity(self._opacity)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(source), tinted, QRectF(tinted.rect()))
        painter.restore()


def paint_brush_outline(painter: QPainter, centre: QPointF, radius: float, hardness: float) -> None:
    """The brush's true size as a ring (dark under light, visible on any photo), plus a
    dashed inner ring where a soft brush's fall-off begins. Viewport coordinates."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for color, width in ((QColor(0, 0, 0, 160), 3), (QColor(255, 255, 255), 1)):
        painter.setPen(QPen(color, width))
        painter.drawEllipse(centre, radius, radius)
    if hardness < 1 and radius > 6:
        painter.setPen(QPen(QColor(255, 255, 255, 110), 1, Qt.PenStyle.DashLine))
        painter.drawEllipse(centre, radius * hardness, radius * hardness)
