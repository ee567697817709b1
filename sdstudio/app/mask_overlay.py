"""Draws the mask as a coloured, translucent overlay over the photo.

The mask itself is an Alpha8 QImage sharing memory with the document's array. Each paint
colours only the exposed part, at screen resolution, in a temporary image no larger than
the exposed area on screen, so the cost never depends on the photo's size. Any masked
pixel is tinted at least ``MIN_COVERAGE_ALPHA`` of the opacity, so gaps between strokes,
and the faint edges of soft ones, are plain to see.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen

DEFAULT_OVERLAY_COLOR = QColor(255, 40, 90)
DEFAULT_OVERLAY_OPACITY = 0.5
MIN_COVERAGE_ALPHA = 0.4  # of the overlay's opacity, for the faintest masked pixel


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
        to_screen = painter.transform()
        # Whole screen pixels, and the exact photo area they show: each screen pixel's
        # tint then depends only on where it is, never on which of the many small
        # repaints of a stroke drew it, so partial updates leave no seams or patches.
        photo_on_screen = to_screen.mapRect(QRectF(mask_image.rect()))
        target = to_screen.mapRect(exposed).toAlignedRect() & photo_on_screen.toAlignedRect()
        if target.isEmpty():
            return
        inverse, _ = to_screen.inverted()
        source = inverse.mapRect(QRectF(target)) & QRectF(mask_image.rect())
        if source.isEmpty():
            return
        coverage = QImage(target.width(), target.height(), QImage.Format.Format_Alpha8)
        coverage.fill(0)
        coverage_painter = QPainter(coverage)
        coverage_painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
        if to_screen.m11() < 1.0:  # zoomed out: average, don't drop strokes
            coverage_painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        coverage_painter.drawImage(
            to_screen.mapRect(source).translated(-target.x(), -target.y()), mask_image, source
        )
        coverage_painter.end()
        _show_any_coverage(coverage)
        tinted = QImage(coverage.size(), QImage.Format.Format_ARGB32_Premultiplied)
        tinted.fill(self._color)
        tint_painter = QPainter(tinted)
        tint_painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_DestinationIn)
        tint_painter.drawImage(0, 0, coverage)
        tint_painter.end()
        painter.save()
        painter.resetTransform()
        painter.setOpacity(self._opacity)
        painter.drawImage(target.topLeft(), tinted)
        painter.restore()


def coverage_alpha(mask_value: np.ndarray) -> np.ndarray:
    """The overlay's alpha (0..255, before its opacity) for mask values 0..255."""
    return _COVERAGE_CURVE[mask_value]


def _coverage_curve() -> np.ndarray:
    # Repair fills every pixel whose mask is above 0, so the faintest edge of a soft
    # stroke is tinted at a clear minimum; above it the tint still rises with the mask,
    # so a soft edge stays visible as a fade.
    values = np.arange(256, dtype=np.float32) / 255.0
    alpha = MIN_COVERAGE_ALPHA + (1.0 - MIN_COVERAGE_ALPHA) * values
    curve = np.round(alpha * 255.0).astype(np.uint8)
    curve[0] = 0
    return curve


_COVERAGE_CURVE = _coverage_curve()
_CURVE_ROWS = 32


def _show_any_coverage(coverage: QImage) -> None:
    """Applies the coverage curve to an Alpha8 image in place (screen-sized: cheap)."""
    width, height, stride = coverage.width(), coverage.height(), coverage.bytesPerLine()
    rows = np.frombuffer(coverage.bits(), np.uint8, count=stride * height).reshape(height, stride)
    # A few rows at a time: the lookup's index array is 8 bytes a pixel, and a repaint
    # during a stroke must not allocate a screenful of them.
    for top in range(0, height, _CURVE_ROWS):
        block = rows[top : top + _CURVE_ROWS, :width]
        block[...] = _COVERAGE_CURVE[block]


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
