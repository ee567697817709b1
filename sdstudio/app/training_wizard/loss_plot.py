"""Loss curves drawn with QPainter: generator and discriminator loss against the step."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

SERIES = (
    ("g_total", "Generator", QColor(40, 120, 220)),
    ("d_total", "Discriminator", QColor(220, 110, 40)),
)
SMOOTHING = 0.9  # exponential smoothing of the drawn line; single steps are noisy


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(260, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.points: dict[str, list[tuple[int, float]]] = {key: [] for key, _, _ in SERIES}
        self._smoothed: dict[str, float] = {}

    def clear(self) -> None:
        for values in self.points.values():
            values.clear()
        self._smoothed.clear()
        self.update()

    def add(self, step: int, losses: dict[str, float]) -> None:
        for key, _, _ in SERIES:
            value = losses.get(key)
            if value is None or value != value:  # missing or NaN: the guard reports those
                continue
            previous = self._smoothed.get(key, value)
            smooth = SMOOTHING * previous + (1 - SMOOTHING) * value
            self._smoothed[key] = smooth
            series = self.points[key]
            while series and series[-1][0] >= step:  # a rollback redoes steps
                series.pop()
            series.append((step, smooth))
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        filled = [(key, label, colour) for key, label, colour in SERIES if self.points[key]]
        whole = QRectF(self.rect()).adjusted(48, 8, -10, -22)
        if not filled:
            painter.setPen(self.palette().text().color())
            painter.drawText(whole, Qt.AlignmentFlag.AlignCenter, "Loss curves appear here")
            return
        steps = [s for key, _, _ in filled for s, _ in self.points[key]]
        first, last = min(steps), max(max(steps), min(steps) + 1)
        # One band per loss, each with its own scale: the two live on different ranges.
        band_height = whole.height() / len(filled)
        for index, (key, label, colour) in enumerate(filled):
            band = QRectF(
                whole.left(), whole.top() + index * band_height, whole.width(), band_height - 6
            )
            self._draw_series(painter, band, self.points[key], label, colour, first, last)
        painter.setPen(self.palette().text().color())
        painter.drawText(
            QRectF(whole.left(), whole.bottom() + 4, 80, 16),
            Qt.AlignmentFlag.AlignLeft,
            f"step {first}",
        )
        painter.drawText(
            QRectF(whole.right() - 80, whole.bottom() + 4, 80, 16),
            Qt.AlignmentFlag.AlignRight,
            f"step {last}",
        )

    def _draw_series(
        self,
        painter: QPainter,
        area: QRectF,
        series,
        label: str,
        colour: QColor,
        first: int,
        last: int,
    ) -> None:
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(area)
        values = sorted(value for _, value in series)
        low, high = values[0], values[min(len(values) - 1, int(len(values) * 0.98))]
        if high - low < 1e-6:
            low, high = low - 5e-4, high + 5e-4

        def to_point(step: int, value: float) -> QPointF:
            x = area.left() + (step - first) / (last - first) * area.width()
            y = area.bottom() - (min(value, high) - low) / (high - low) * area.height()
            return QPointF(x, y)

        painter.setPen(self.palette().text().color())
        painter.drawText(
            QRectF(0, area.top() - 2, 44, 14), Qt.AlignmentFlag.AlignRight, f"{high:.4g}"
        )
        painter.drawText(
            QRectF(0, area.bottom() - 12, 44, 14), Qt.AlignmentFlag.AlignRight, f"{low:.4g}"
        )
        path = QPainterPath(to_point(*series[0]))
        for step, value in series[1:]:
            path.lineTo(to_point(step, value))
        painter.setPen(QPen(colour, 2))
        painter.drawPath(path)
        painter.drawText(QPointF(area.left() + 6, area.top() + 14), label)
