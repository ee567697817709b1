"""Selection tools beside the brush: rectangle, ellipse, free lasso and polygonal lasso.

Each finished shape changes the mask as one undo step: no key replaces the mask, Shift
adds, Alt or Ctrl subtracts, Shift with Alt or Ctrl keeps only the overlap (the keys held
when the shape starts, as in Photoshop and GIMP). Pressed *during* a rectangle or
ellipse drag, Shift makes it a square or circle and Alt draws it from its centre; a key
already held at the start (to add, say) has to be let go and pressed again to do that.
The shape is drawn as a dashed outline while it is being made; a click without a drag
changes nothing (Ctrl+D clears the mask).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPolygonF

from sdstudio.app.canvas_tools import (
    CanvasTool,
    combine_mode,
    image_point,
    outline_rect,
    paint_ants,
    step_title,
    viewport_rect,
)
from sdstudio.imaging.shapes import (
    CombineMode,
    box_corners,
    combine,
    ellipse_mask,
    polygon_mask,
    rectangle_mask,
)

TOOL_RECTANGLE = "rectangle"
TOOL_ELLIPSE = "ellipse"
TOOL_LASSO = "lasso"
TOOL_POLYGON_LASSO = "polygon_lasso"

MIN_DRAG = 3.0  # screen pixels: a shorter drag is a click, and selects nothing
CLOSE_DISTANCE = 8.0  # screen pixels: a click this near the first point closes a polygon
_SAME_POINT = 2.0  # screen pixels: a second click here (a double click's) adds no point
_MODIFIER_KEYS = {
    Qt.Key.Key_Shift: Qt.KeyboardModifier.ShiftModifier,
    Qt.Key.Key_Alt: Qt.KeyboardModifier.AltModifier,
    Qt.Key.Key_Control: Qt.KeyboardModifier.ControlModifier,
}
_NO_KEYS = Qt.KeyboardModifier.NoModifier


def modifiers_after(event: QKeyEvent) -> Qt.KeyboardModifier:
    """The modifiers held once ``event`` (a key press or release) has happened: a key
    event for Shift itself does not reliably include or exclude Shift on every platform."""
    modifiers = event.modifiers()
    flag = _MODIFIER_KEYS.get(Qt.Key(event.key()))
    if flag is None:
        return modifiers
    if event.type() == QEvent.Type.KeyPress:
        return modifiers | flag
    return modifiers & ~flag


class ShapeTool(CanvasTool):
    """What every selection tool shares: the combine mode, the undo step, the outline."""

    title = ""

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.mode = CombineMode.REPLACE
        self._shown = QRect()  # the viewport area of the outline drawn last

    def paint(self, painter: QPainter) -> None:
        path = self.outline()
        if not path.isEmpty():
            paint_ants(painter, path)

    def outline(self) -> QPainterPath:
        """The shape so far in viewport coordinates; empty when there is none."""
        return QPainterPath()

    def refresh(self) -> None:
        """Repaints where the outline was and where it is now."""
        now = outline_rect(self.outline())
        self.canvas.viewport().update(self._shown.united(now))
        self._shown = now

    def apply(self, shape: np.ndarray) -> None:
        document = self.canvas.document
        document.set_mask(
            combine(document.mask, shape, self.mode), step_title(self.title, self.mode)
        )

    def image_size(self) -> tuple[int, int]:
        return self.canvas.document.size()


class BoxTool(ShapeTool):
    """Rectangle or ellipse: drag from one corner to the other."""

    def __init__(self, canvas, ellipse: bool = False) -> None:
        super().__init__(canvas)
        self.ellipse = ellipse
        self.title = "Ellipse" if ellipse else "Rectangle"
        self._anchor: tuple[float, float] | None = None  # image coordinates
        self._point: tuple[float, float] = (0.0, 0.0)
        self._press_pos = QPointF()
        self._modifiers = _NO_KEYS
        self._held_at_start = _NO_KEYS  # chose the mode; they constrain once pressed anew

    def busy(self) -> bool:
        return self._anchor is not None

    def press(self, event: QMouseEvent) -> bool:
        self._anchor = self._point = image_point(self.canvas, event.position())
        self._press_pos = event.position()
        self.mode = combine_mode(event.modifiers())
        self._modifiers = self._held_at_start = event.modifiers()
        self.refresh()
        return True

    def move(self, event: QMouseEvent) -> None:
        if self._anchor is None:
            return
        self._point = image_point(self.canvas, event.position())
        self._track(event.modifiers())

    def release(self, event: QMouseEvent) -> None:
        if self._anchor is None:
            return
        self._point = image_point(self.canvas, event.position())
        self._track(event.modifiers())
        dragged = event.position() - self._press_pos
        corners = self.corners()
        self.cancel()
        if math.hypot(dragged.x(), dragged.y()) >= MIN_DRAG:
            self.finish(*corners)

    def finish(self, corner: tuple[float, float], opposite: tuple[float, float]) -> None:
        draw = ellipse_mask if self.ellipse else rectangle_mask
        self.apply(draw(self.image_size(), corner, opposite))

    def key_press(self, event: QKeyEvent) -> bool:
        return self._key(event)

    def key_release(self, event: QKeyEvent) -> bool:
        return self._key(event)

    def wants_key(self, event: QKeyEvent) -> bool:
        return self.busy() and event.key() == Qt.Key.Key_Escape

    def _key(self, event: QKeyEvent) -> bool:
        if self._anchor is None:
            return False
        if event.key() == Qt.Key.Key_Escape:
            if event.type() == QEvent.Type.KeyPress:
                self.cancel()
            return True
        if Qt.Key(event.key()) in _MODIFIER_KEYS:
            self._track(modifiers_after(event))
            return True
        return False

    def _track(self, modifiers: Qt.KeyboardModifier) -> None:
        self._modifiers = modifiers
        # A key let go once is free to constrain when pressed again.
        self._held_at_start = self._held_at_start & modifiers
        self.refresh()

    def _constraining(self, flag: Qt.KeyboardModifier) -> bool:
        return bool(self._modifiers & flag) and not bool(self._held_at_start & flag)

    def corners(self) -> tuple[tuple[float, float], tuple[float, float]]:
        assert self._anchor is not None
        return box_corners(
            self._anchor,
            self._point,
            square=self._constraining(Qt.KeyboardModifier.ShiftModifier),
            from_centre=self._constraining(Qt.KeyboardModifier.AltModifier),
        )

    def outline(self) -> QPainterPath:
        path = QPainterPath()
        if self._anchor is None:
            return path
        rect = viewport_rect(self.canvas, *self.corners())
        if self.ellipse:
            path.addEllipse(rect)
        else:
            path.addRect(rect)
        return path

    def cancel(self) -> None:
        if self._anchor is not None:
            self._anchor = None
            self.refresh()


class LassoTool(ShapeTool):
    """Free lasso: drag around an area; letting go closes the outline."""

    title = "Lasso"

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []  # image coordinates
        self._last_pos = QPointF()

    def busy(self) -> bool:
        return bool(self.points)

    def press(self, event: QMouseEvent) -> bool:
        self.mode = combine_mode(event.modifiers())
        self.points = [image_point(self.canvas, event.position())]
        self._last_pos = event.position()
        return True

    def move(self, event: QMouseEvent) -> None:
        if not self.points:
            return
        step = event.position() - self._last_pos
        if math.hypot(step.x(), step.y()) >= 1.0:  # one point per screen pixel is plenty
            self.points.append(image_point(self.canvas, event.position()))
            self._last_pos = event.position()
            self.refresh()

    def release(self, event: QMouseEvent) -> None:
        if not self.points:
            return
        self.points.append(image_point(self.canvas, event.position()))
        points = self.points
        self.cancel()
        if _spans(self.canvas, points):
            self.apply(polygon_mask(self.image_size(), points))

    def key_press(self, event: QKeyEvent) -> bool:
        if self.points and event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return True
        return False

    def wants_key(self, event: QKeyEvent) -> bool:
        return self.busy() and event.key() == Qt.Key.Key_Escape

    def outline(self) -> QPainterPath:
        path = QPainterPath()
        if len(self.points) >= 2:
            path.addPolygon(_viewport_polygon(self.canvas, self.points))
        return path

    def cancel(self) -> None:
        if self.points:
            self.points = []
            self.refresh()


class PolygonLassoTool(ShapeTool):
    """Polygonal lasso: click corner after corner. A click near the first corner, a
    double click or Enter closes it; Backspace takes back the last corner; Esc drops it."""

    title = "Polygonal lasso"
    _KEYS = (
        Qt.Key.Key_Escape,
        Qt.Key.Key_Backspace,
        Qt.Key.Key_Delete,
        Qt.Key.Key_Return,
        Qt.Key.Key_Enter,
    )

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.points: list[tuple[float, float]] = []  # image coordinates
        self._hover: QPointF | None = None  # viewport position of the cursor

    def busy(self) -> bool:
        return bool(self.points)

    def press(self, event: QMouseEvent) -> bool:
        pos = event.position()
        self._hover = pos
        if not self.points:
            self.mode = combine_mode(event.modifiers())
        elif (
            len(self.points) >= 3
            and _distance(pos, self._on_screen(self.points[0])) <= CLOSE_DISTANCE
        ):
            self.close()
            return True
        elif _distance(pos, self._on_screen(self.points[-1])) < _SAME_POINT:
            return True
        self.points.append(image_point(self.canvas, pos))
        self.refresh()
        return True

    def move(self, event: QMouseEvent) -> None:
        self._hover = event.position()
        if self.points:
            self.refresh()

    def double_click(self, event: QMouseEvent) -> bool:
        if not self.points:
            return False
        # The double click's first press has usually added its corner already; when
        # it did not (the corner is elsewhere), the double click's place is the last one.
        if _distance(event.position(), self._on_screen(self.points[-1])) >= _SAME_POINT:
            self.points.append(image_point(self.canvas, event.position()))
        self.close()
        return True

    def key_press(self, event: QKeyEvent) -> bool:
        if not self.points or event.key() not in self._KEYS:
            return False
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
        elif event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.points.pop()
            self.refresh()
        else:
            self.close()
        return True

    def wants_key(self, event: QKeyEvent) -> bool:
        return self.busy() and event.key() in self._KEYS

    def close(self) -> None:
        """Closes the outline and applies it (fewer than three corners select nothing)."""
        points = self.points
        self.cancel()
        if len(points) >= 3 and _spans(self.canvas, points):
            self.apply(polygon_mask(self.image_size(), points))

    def outline(self) -> QPainterPath:
        path = QPainterPath()
        if not self.points:
            return path
        polygon = _viewport_polygon(self.canvas, self.points)
        if self._hover is not None:
            polygon.append(self._hover)
        path.addPolygon(polygon)
        if len(self.points) >= 3 and self._hover is not None:
            start = self._on_screen(self.points[0])
            if _distance(self._hover, start) <= CLOSE_DISTANCE:
                path.addEllipse(start, CLOSE_DISTANCE / 2, CLOSE_DISTANCE / 2)  # "click to close"
        return path

    def cancel(self) -> None:
        if self.points:
            self.points = []
            self.refresh()

    def _on_screen(self, point: tuple[float, float]) -> QPointF:
        return self.canvas.map_from_image(QPointF(*point))


def _viewport_polygon(canvas, points: list[tuple[float, float]]) -> QPolygonF:
    return QPolygonF([canvas.map_from_image(QPointF(x, y)) for x, y in points])


def _distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


def _spans(canvas, points: list[tuple[float, float]]) -> bool:
    """Whether the outline is more than a click: at least ``MIN_DRAG`` screen pixels
    across in some direction."""
    on_screen = _viewport_polygon(canvas, points).boundingRect()
    return max(on_screen.width(), on_screen.height()) >= MIN_DRAG
