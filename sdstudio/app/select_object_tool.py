"""Select object: drag a box around an object and its mask appears (GrabCut, in
``sdstudio.engine.select_object``), one undo step, combined like any selection shape.

The search takes a few tenths of a second on a 3 MP photo, more on a large box in a
big photo, so it runs on a thread of its own: the canvas stays usable, the box stays on
screen (dashed) until the mask arrives, and Esc, a new box or a new photo drops the
result of the one still running. Choosing another tool does not: a person who draws the
box and reaches for the brush to touch up the edge still gets the mask. OpenCV releases
the GIL while it works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtGui import QKeyEvent, QPainterPath

from sdstudio.app.canvas_tools import viewport_rect
from sdstudio.app.selection_tools import BoxTool
from sdstudio.errors import UserFacingError

log = logging.getLogger(__name__)

TOOL_SELECT_OBJECT = "select_object"
SEARCHING_MESSAGE = "Finding the object in the box… (Esc cancels)"
NOTHING_FOUND = "No object found in the box: draw it a little larger than the object."
MESSAGE_MS = 6000


class ObjectSearch(QThread):
    """One search; ``found`` (mask) or ``failed`` (message) is emitted from the thread."""

    found = Signal(object)
    failed = Signal(str)

    def __init__(self, image: np.ndarray, rect: tuple[int, int, int, int], parent=None) -> None:
        super().__init__(parent)
        self.image = image
        self.rect = rect

    def run(self) -> None:
        # Imported here: cv2 loads on the first search, not when the window opens.
        from sdstudio.engine.select_object import select_object

        try:
            mask = select_object(self.image, self.rect)
        except UserFacingError as error:
            self.failed.emit(str(error))
        except Exception:  # a crash must not take the thread, or the app, down
            log.exception("Select object failed")
            self.failed.emit("Select object failed; the details are in the log.")
        else:
            self.found.emit(mask)


class _Relay(QObject):
    """Lives on the GUI thread, so the search's signals are queued to it there."""

    def __init__(self, tool: SelectObjectTool, parent: QObject) -> None:
        super().__init__(parent)
        self.tool = tool

    @Slot(object)
    def on_found(self, mask: np.ndarray) -> None:
        self.tool.found(self.sender(), mask)

    @Slot(str)
    def on_failed(self, message: str) -> None:
        self.tool.failed(self.sender(), message)

    @Slot()
    def on_finished(self) -> None:
        self.tool.forget(self.sender())


class SelectObjectTool(BoxTool):
    title = "Select object"

    def __init__(self, canvas, show_message: Callable[[str, int], None] | None = None) -> None:
        super().__init__(canvas)
        self.title = "Select object"
        self.show_message = show_message or (lambda text, timeout: None)
        self._relay = _Relay(self, canvas)
        self._running: list[ObjectSearch] = []
        self._wanted: ObjectSearch | None = None  # the search whose mask will be used
        self._box: tuple[tuple[float, float], tuple[float, float]] | None = None
        canvas.document.document_replaced.connect(self.drop_search)

    # -- the box ------------------------------------------------------------------------
    def busy(self) -> bool:
        return super().busy() or self._wanted is not None

    def finish(self, corner: tuple[float, float], opposite: tuple[float, float]) -> None:
        self.drop_search()  # a new box replaces the one still being searched
        (x0, x1), (y0, y1) = sorted((corner[0], opposite[0])), sorted((corner[1], opposite[1]))
        rect = (round(x0), round(y0), round(x1) - round(x0), round(y1) - round(y0))
        image = self.canvas.document.image
        if image is None:
            return
        # A copy: a job finishing meanwhile writes into the document's pixels.
        search = ObjectSearch(image.copy(), rect, self._relay)
        search.found.connect(self._relay.on_found)
        search.failed.connect(self._relay.on_failed)
        search.finished.connect(self._relay.on_finished)
        self._running.append(search)
        self._wanted = search
        self._box = ((x0, y0), (x1, y1))
        self.refresh()
        self.show_message(SEARCHING_MESSAGE, 0)
        search.start()

    def outline(self) -> QPainterPath:
        if super().busy():
            return super().outline()  # the box being dragged
        path = QPainterPath()
        if self._wanted is not None and self._box is not None:
            path.addRect(viewport_rect(self.canvas, *self._box))  # the box being searched
        return path

    def key_press(self, event: QKeyEvent) -> bool:
        if self._wanted is not None and not super().busy() and event.key() == Qt.Key.Key_Escape:
            self.drop_search()
            self.show_message("Select object cancelled.", MESSAGE_MS)
            return True
        return super().key_press(event)

    def wants_key(self, event: QKeyEvent) -> bool:
        return self.busy() and event.key() == Qt.Key.Key_Escape

    def drop_search(self) -> None:
        """The running search's mask will not be used (its thread still finishes)."""
        if self._wanted is not None:
            self._wanted = None
            self.show_message("", 0)
            self.refresh()

    # -- results ------------------------------------------------------------------------
    def found(self, search: ObjectSearch, mask: np.ndarray) -> None:
        if search is not self._wanted:
            return  # cancelled, or a newer box replaced it
        self._wanted = None
        self.refresh()
        document = self.canvas.document
        if mask.shape != document.mask.shape:
            return  # the photo changed size meanwhile
        if not mask.any():
            self.show_message(NOTHING_FOUND, MESSAGE_MS)
            return
        self.show_message("", 0)
        self.apply(mask)

    def failed(self, search: ObjectSearch, message: str) -> None:
        if search is self._wanted:
            self._wanted = None
            self.refresh()
            self.show_message(message, MESSAGE_MS)

    def forget(self, search: ObjectSearch) -> None:
        if search in self._running:
            self._running.remove(search)
        search.deleteLater()

    def searching(self) -> bool:
        """Whether a search thread is still running (its result may be dropped)."""
        return any(search.isRunning() for search in self._running)

    # -- closing the window (a ClosingPart) ---------------------------------------------
    def can_close(self) -> bool:
        return True

    def shut_down(self) -> None:
        """Waits for searches still running: a QThread must not outlive its object."""
        self._wanted = None
        for search in list(self._running):
            search.wait()
