"""Canvas tools other than the brush: the hook the canvas hands its input to.

A tool is registered with the canvas under a name (``canvas.register_tool``); while it is
the current tool (``canvas.set_tool(name)``) the canvas passes it the left mouse button,
mouse moves, double clicks and keys, after its own panning (Space / middle button) and
split-divider handling, and calls its ``paint`` after the mask overlay. Coordinates in
events and in ``paint`` are viewport pixels; tools map them with
``canvas.map_to_image`` / ``canvas.map_from_image``. The brush and eraser stay the
canvas's own (their stroke code is tuned for speed) and have no tool object.

Also here: the selection modifiers (which key adds, which subtracts) and the dashed
"marching ants" outline the selection tools draw.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen

from sdstudio.imaging.shapes import CombineMode

_SUBTRACT_KEYS = Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ControlModifier
# The outline's dashes, in screen pixels: dark dashes over a light line read on any photo.
_DASH = [4.0, 4.0]
_OUTLINE_MARGIN = 3  # screen pixels around a drawn outline that its repaint covers


class CanvasTool:
    """Base class: ignores everything. Subclasses override what they need."""

    def __init__(self, canvas) -> None:
        self.canvas = canvas

    def press(self, event: QMouseEvent) -> bool:
        """A left-button press; True when the tool took it."""
        return False

    def move(self, event: QMouseEvent) -> None:
        """Every mouse move over the canvas, with or without a button held."""

    def release(self, event: QMouseEvent) -> None:
        """The left button released."""

    def double_click(self, event: QMouseEvent) -> bool:
        return False

    def key_press(self, event: QKeyEvent) -> bool:
        """True when the tool used the key (the canvas then passes it on no further)."""
        return False

    def key_release(self, event: QKeyEvent) -> bool:
        return False

    def wants_key(self, event: QKeyEvent) -> bool:
        """Keys the tool needs even when a window shortcut uses them (Esc cancels a job
        while no shape is being drawn, for example)."""
        return False

    def paint(self, painter: QPainter) -> None:
        """Draws the tool's overlay; ``painter`` is in viewport coordinates."""

    def cancel(self) -> None:
        """Drops anything unfinished: another tool was chosen or a new photo opened."""

    def busy(self) -> bool:
        """Whether a shape is being drawn (or worked on)."""
        return False


def combine_mode(modifiers: Qt.KeyboardModifier) -> CombineMode:
    """Shift adds, Alt (or Ctrl, since many Linux desktops take Alt+drag to move windows)
    subtracts, both keep only the overlap, none replaces: Photoshop's and GIMP's keys."""
    adding = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
    subtracting = bool(modifiers & _SUBTRACT_KEYS)
    if adding and subtracting:
        return CombineMode.INTERSECT
    if adding:
        return CombineMode.ADD
    if subtracting:
        return CombineMode.SUBTRACT
    return CombineMode.REPLACE


def step_title(name: str, mode: CombineMode) -> str:
    """The undo step's title: "Rectangle", "Rectangle (add)", "Lasso (subtract)"."""
    return name if mode is CombineMode.REPLACE else f"{name} ({mode.value})"


def paint_ants(painter: QPainter, path: QPainterPath) -> None:
    """A light line under dark dashes along ``path`` (viewport coordinates)."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # crisp 1 px lines
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(255, 255, 255), 1))
    painter.drawPath(path)
    dashes = QPen(QColor(0, 0, 0), 1, Qt.PenStyle.CustomDashLine)
    dashes.setDashPattern(_DASH)
    painter.setPen(dashes)
    painter.drawPath(path)
    painter.restore()


def outline_rect(path: QPainterPath) -> QRect:
    """The viewport area a drawn ``path`` covers, for a repaint."""
    if path.isEmpty():
        return QRect()
    bounds = path.boundingRect().toAlignedRect()
    return bounds.adjusted(-_OUTLINE_MARGIN, -_OUTLINE_MARGIN, _OUTLINE_MARGIN, _OUTLINE_MARGIN)


def image_point(canvas, viewport_pos: QPointF) -> tuple[float, float]:
    point = canvas.map_to_image(viewport_pos)
    return point.x(), point.y()


def viewport_rect(canvas, corner: tuple[float, float], opposite: tuple[float, float]) -> QRectF:
    a = canvas.map_from_image(QPointF(*corner))
    b = canvas.map_from_image(QPointF(*opposite))
    return QRectF(a, b).normalized()
