"""Mouse and keyboard input of the canvas: painting, panning, the divider, the compare key,
and the hand-over to the current tool object (``canvas_tools.CanvasTool``).

A mixin of ``Canvas`` (kept apart so the view's drawing and zoom code stays short); it
uses the canvas's state (``_stroke``, ``_pan_from``, ``_space_held``, ``_cursor_pos``,
``_tools``) and its helpers, and is never used on its own. Panning and the split divider
come first whatever the tool; then the brush paints, or the current tool gets the event.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QPointF, Qt

from sdstudio.app.canvas_tools import CanvasTool
from sdstudio.app.mask_tools import MaskStroke

ZOOM_STEP = 1.25
TOOL_BRUSH = "brush"
TOOL_ERASER = "eraser"


class CanvasInput:
    def register_tool(self, name: str, tool: CanvasTool) -> None:
        """Makes ``tool`` the handler of the canvas's input while ``set_tool(name)``."""
        self._tools[name] = tool

    def tool_object(self) -> CanvasTool | None:
        """The current tool's handler; None for the brush and eraser (the canvas's own)."""
        return self._tools.get(self.tool)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_held
        )
        if pan:
            self._pan_from = pos
        elif (
            event.button() == Qt.MouseButton.LeftButton
            and self.split.enabled
            and self.split.hit(pos, self._divider_x())
        ):
            self.split.dragging = True
        elif event.button() == Qt.MouseButton.LeftButton and self._brush_active():
            tool = self.tool_object()
            if tool is None:
                self._stroke = MaskStroke(self.document.mask, self.brush, self.tool == TOOL_ERASER)
                self._paint_to(self._stroke.begin, pos)
            elif not tool.press(event):
                super().mousePressEvent(event)
                return
        else:
            super().mousePressEvent(event)
            return
        self._update_cursor()
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        pos = event.position()
        old_outline = self._outline_rect(self._cursor_pos)
        self._cursor_pos = pos
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            self.horizontalScrollBar().setValue(
                self.horizontalScrollBar().value() - round(delta.x())
            )
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(delta.y()))
        elif self.split.dragging:
            image_x = self.map_to_image(pos).x()
            self.split.set_fraction(image_x / max(self._pixmap.width(), 1))
        elif self._stroke is not None:
            self._paint_to(self._stroke.move_to, pos)
        elif (tool := self.tool_object()) is not None and self.document.has_image():
            tool.move(event)
        self.viewport().update(old_outline.united(self._outline_rect(pos)))
        self._update_cursor()
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
        elif self.split.dragging:
            self.split.dragging = False
        elif self._stroke is not None and event.button() == Qt.MouseButton.LeftButton:
            self._paint_to(self._stroke.move_to, event.position())
            self.finish_stroke()
        elif event.button() == Qt.MouseButton.LeftButton and (tool := self.tool_object()):
            tool.release(event)
        self._update_cursor()
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        tool = self.tool_object()
        if (
            tool is not None
            and event.button() == Qt.MouseButton.LeftButton
            and self._brush_active()
            and tool.double_click(event)
        ):
            event.accept()
        else:
            super().mouseDoubleClickEvent(event)

    def event(self, event) -> bool:
        # Keys a tool needs while drawing (Esc, Enter, Backspace) reach it before any
        # window shortcut does.
        if event.type() == QEvent.Type.ShortcutOverride:
            tool = self.tool_object()
            if tool is not None and tool.wants_key(event):
                event.accept()
                return True
        return super().event(event)

    def finish_stroke(self) -> None:
        stroke, self._stroke = self._stroke, None
        if stroke is None:
            return
        record = stroke.finish()
        if record is not None:
            title = "Erase mask" if stroke.erase else "Paint mask"
            self.document.push_stroke(record, title)

    def _paint_to(self, step, viewport_pos: QPointF) -> None:
        point = self.map_to_image(viewport_pos)
        changed = step((point.x(), point.y()))
        if changed is not None:
            self.document.notify_mask_painted(changed)

    def leaveEvent(self, event) -> None:  # noqa: N802
        self.viewport().update(self._outline_rect(self._cursor_pos))
        self._cursor_pos = None
        super().leaveEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps and self.document.has_image():
            self.set_zoom(self.zoom() * math.pow(ZOOM_STEP, steps), event.position())
            event.accept()
        else:
            super().wheelEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        tool = self.tool_object()
        if tool is not None and tool.key_press(event):
            event.accept()
        elif event.isAutoRepeat() and event.key() in (Qt.Key.Key_Space, Qt.Key.Key_Backslash):
            event.accept()
        elif event.key() == Qt.Key.Key_Space:
            self._space_held = True
            self._update_cursor()
            self.viewport().update(self._outline_rect(self._cursor_pos))
        elif event.key() == Qt.Key.Key_Backslash:
            self.set_showing_original(True)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802
        tool = self.tool_object()
        if tool is not None and tool.key_release(event):
            event.accept()
        elif event.isAutoRepeat():
            event.accept()
        elif event.key() == Qt.Key.Key_Space:
            self._space_held = False
            self._pan_from = None
            self._update_cursor()
        elif event.key() == Qt.Key.Key_Backslash:
            self.set_showing_original(False)
        else:
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        # A key released while another window has focus never reaches us.
        self._space_held = False
        self.set_showing_original(False)
        super().focusOutEvent(event)
