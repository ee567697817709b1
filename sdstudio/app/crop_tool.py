"""The crop tool on the canvas: drag a rectangle, adjust it by its handles, Enter applies.

The photo outside the rectangle is darkened so the person sees what stays; thirds lines
help framing. A fixed ratio keeps the rectangle's shape (its orientation follows the
drag, see ``geometry.ratio_box``). Dragging inside the rectangle moves it, a corner
handle resizes it from the opposite corner, an edge handle (free ratio) moves that edge.
Enter or Return applies, Esc cancels; the tool only reports, ``ImageTools`` crops.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPainterPath, QPen

from sdstudio.app.canvas_tools import CanvasTool, image_point
from sdstudio.imaging.geometry import Box, FloatBox, pixel_box, ratio_box

TOOL_CROP = "crop"
HANDLE_SIZE = 8.0  # screen pixels
HANDLE_REACH = 10.0  # screen pixels around a handle that grab it
SHADE = QColor(0, 0, 0, 170)
APPLY_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)

# Handle name -> which box sides it moves: (left, top, right, bottom).
_HANDLES = {
    "top_left": (True, True, False, False),
    "top_right": (False, True, True, False),
    "bottom_left": (True, False, False, True),
    "bottom_right": (False, False, True, True),
    "left": (True, False, False, False),
    "right": (False, False, True, False),
    "top": (False, True, False, False),
    "bottom": (False, False, False, True),
}
_CORNERS = ("top_left", "top_right", "bottom_left", "bottom_right")


class ApplyOrEscapeTool(CanvasTool):
    """A tool with a pending edit: Enter applies it (when ``can_apply``), Esc asks to stop.

    Subclasses set ``active``, ``on_apply`` and ``on_escape``. The keys are taken before
    any window shortcut, so Esc stops the tool instead of cancelling a job.
    """

    active = False
    on_apply: Callable[[], None]
    on_escape: Callable[[], None]

    def can_apply(self) -> bool:
        return True

    def wants_key(self, event: QKeyEvent) -> bool:
        return self.active and (event.key() in APPLY_KEYS or event.key() == Qt.Key.Key_Escape)

    def key_press(self, event: QKeyEvent) -> bool:
        if not self.active:
            return False
        if event.key() in APPLY_KEYS:
            if self.can_apply():
                self.on_apply()
            return True
        if event.key() == Qt.Key.Key_Escape:
            self.on_escape()
            return True
        return False


class CropTool(ApplyOrEscapeTool):
    def __init__(
        self,
        canvas,
        on_changed: Callable[[], None],
        on_apply: Callable[[], None],
        on_escape: Callable[[], None],
        on_ended: Callable[[], None],
    ) -> None:
        super().__init__(canvas)
        self.on_changed = on_changed
        self.on_apply = on_apply
        self.on_escape = on_escape  # asks to stop; ``cancel`` is how it stops
        self.on_ended = on_ended
        self.active = False
        self.ratio: float | None = None  # width / height; None = free
        self.box: FloatBox | None = None  # image coordinates
        self._drag: str | None = None  # "new", "move" or a handle name
        self._anchor = (0.0, 0.0)
        self._start_box: FloatBox | None = None

    # -- the session ---------------------------------------------------------------------
    def start(self) -> None:
        self.active = True
        self.box, self._drag = None, None
        self.canvas.viewport().update()

    def cancel(self) -> None:
        """The canvas leaves the tool (another tool, a new photo, Apply or Esc handled by
        ``ImageTools``): the session ends and nothing is changed here."""
        if not self.active:
            return
        self.active = False
        self.box, self._drag = None, None
        self.canvas.viewport().update()
        self.on_ended()

    def busy(self) -> bool:
        return self.active  # the shade covers the photo: redraw it whole when it scrolls

    def set_ratio(self, ratio: float | None) -> None:
        """A new ratio reshapes the current box from its top-left corner, in the photo."""
        self.ratio = ratio
        if self.box is not None and ratio is not None:
            x0, y0, x1, y1 = self.box
            self.box = ratio_box((x0, y0), (x1, y1), ratio, *self._photo_size())
            self._changed()

    def pixel_box(self) -> Box | None:
        """The whole pixels to keep, or None when nothing usable is drawn."""
        if self.box is None:
            return None
        box = pixel_box(self.box, *self._photo_size())
        return box if box[2] > box[0] and box[3] > box[1] else None

    # -- mouse and keys ------------------------------------------------------------------
    def press(self, event: QMouseEvent) -> bool:
        if not self.active:
            return False
        point = image_point(self.canvas, event.position())
        handle = self._handle_at(event.position())
        if handle is not None:
            self._drag = handle
            self._start_box = self.box
            x0, y0, x1, y1 = self.box  # type: ignore[misc]  (a handle means a box)
            moves = _HANDLES[handle]
            self._anchor = (x1 if moves[0] else x0, y1 if moves[1] else y0)
        elif self.box is not None and self._contains(point):
            self._drag = "move"
            self._anchor = point
            self._start_box = self.box
        else:
            self._drag = "new"
            width, height = self._photo_size()
            self._anchor = (min(max(point[0], 0.0), width), min(max(point[1], 0.0), height))
        return True

    def move(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return
        point = image_point(self.canvas, event.position())
        width, height = self._photo_size()
        if self._drag == "new" or self._drag in _CORNERS:
            self.box = ratio_box(self._anchor, point, self.ratio, width, height)
        elif self._drag == "move":
            self.box = self._moved(point)
        else:
            self.box = self._edge_moved(point)
        self._changed()

    def release(self, event: QMouseEvent) -> None:
        if self._drag is None:
            return
        self.move(event)
        self._drag = None
        if self.pixel_box() is None:
            self.box = None  # a click: no rectangle
        self._changed()

    def can_apply(self) -> bool:
        return self.pixel_box() is not None

    # -- drawing -------------------------------------------------------------------------
    def paint(self, painter: QPainter) -> None:
        if not self.active or not self.canvas.document.has_image():
            return
        photo = self._on_screen((0.0, 0.0, *map(float, self._photo_size())))
        painter.save()
        if self.box is None:
            painter.fillRect(photo, QColor(0, 0, 0, 60))  # "drag to choose what stays"
            painter.restore()
            return
        keep = self._on_screen(self.box)
        shade = QPainterPath()
        shade.addRect(photo)
        inside = QPainterPath()
        inside.addRect(keep)
        painter.fillPath(shade.subtracted(inside), SHADE)
        painter.setPen(QPen(QColor(255, 255, 255, 110), 1))
        for third in (1, 2):
            x = keep.left() + keep.width() * third / 3
            y = keep.top() + keep.height() * third / 3
            painter.drawLine(QPointF(x, keep.top()), QPointF(x, keep.bottom()))
            painter.drawLine(QPointF(keep.left(), y), QPointF(keep.right(), y))
        painter.setPen(QPen(QColor(0, 0, 0, 160), 3))
        painter.drawRect(keep)
        painter.setPen(QPen(QColor(255, 255, 255), 1))
        painter.drawRect(keep)
        painter.setPen(QPen(QColor(30, 30, 30), 1))
        painter.setBrush(QColor(255, 255, 255))
        for centre in self._handle_centres(keep).values():
            half = HANDLE_SIZE / 2
            painter.drawRect(QRectF(centre.x() - half, centre.y() - half, HANDLE_SIZE, HANDLE_SIZE))
        box = self.pixel_box()
        if box is not None:
            label = f"{box[2] - box[0]} × {box[3] - box[1]}"
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(keep.adjusted(6, 4, -6, -4), Qt.AlignmentFlag.AlignLeft, label)
        painter.restore()

    # -- helpers -------------------------------------------------------------------------
    def _photo_size(self) -> tuple[int, int]:
        return self.canvas.document.size()

    def _changed(self) -> None:
        self.canvas.viewport().update()
        self.on_changed()

    def _on_screen(self, box: FloatBox) -> QRectF:
        top_left = self.canvas.map_from_image(QPointF(box[0], box[1]))
        bottom_right = self.canvas.map_from_image(QPointF(box[2], box[3]))
        return QRectF(top_left, bottom_right).normalized()

    def _handle_centres(self, keep: QRectF) -> dict[str, QPointF]:
        centres = {
            "top_left": keep.topLeft(),
            "top_right": keep.topRight(),
            "bottom_left": keep.bottomLeft(),
            "bottom_right": keep.bottomRight(),
        }
        if self.ratio is None:  # an edge alone would break a fixed ratio
            middle = keep.center()
            centres.update(
                left=QPointF(keep.left(), middle.y()), right=QPointF(keep.right(), middle.y()),
                top=QPointF(middle.x(), keep.top()), bottom=QPointF(middle.x(), keep.bottom()),
            )  # fmt: skip
        return centres

    def _handle_at(self, viewport_pos: QPointF) -> str | None:
        if self.box is None:
            return None
        for name, centre in self._handle_centres(self._on_screen(self.box)).items():
            if (centre - viewport_pos).manhattanLength() <= HANDLE_REACH:
                return name
        return None

    def _contains(self, point: tuple[float, float]) -> bool:
        assert self.box is not None
        x0, y0, x1, y1 = self.box
        return x0 <= point[0] <= x1 and y0 <= point[1] <= y1

    def _moved(self, point: tuple[float, float]) -> FloatBox:
        assert self._start_box is not None
        x0, y0, x1, y1 = self._start_box
        width, height = self._photo_size()
        dx = min(max(point[0] - self._anchor[0], -x0), width - x1)
        dy = min(max(point[1] - self._anchor[1], -y0), height - y1)
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy)

    def _edge_moved(self, point: tuple[float, float]) -> FloatBox:
        assert self._start_box is not None and self._drag is not None
        x0, y0, x1, y1 = self._start_box
        moves_left, moves_top, moves_right, moves_bottom = _HANDLES[self._drag]
        if moves_left:
            x0 = point[0]
        if moves_right:
            x1 = point[0]
        if moves_top:
            y0 = point[1]
        if moves_bottom:
            y1 = point[1]
        return self._inside((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))

    def _inside(self, box: FloatBox) -> FloatBox:
        width, height = self._photo_size()
        x0, y0, x1, y1 = box
        return (max(x0, 0.0), max(y0, 0.0), min(x1, float(width)), min(y1, float(height)))
