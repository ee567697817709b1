"""The History panel's details and the undo memory bound.

Hovering a step in the History panel shows what ran and with which settings (the
params the job recorded). The document's history keeps its steps within the configured
memory budget, and the undo stack as many steps as the budget allows for the open
photo's size at worst; older ones are dropped first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtGui import QHelpEvent, QUndoStack
from PySide6.QtWidgets import QToolTip, QUndoView

from sdstudio.app import project_document
from sdstudio.app import settings as keys
from sdstudio.app.undo_commands import edit_of
from sdstudio.session.history import (
    DEFAULT_UNDO_MEMORY_MB,
    budget_bytes,
    clamp_memory_mb,
    pixel_bytes,
    undo_step_limit,
)
from sdstudio.session.step_replay import describe_step

if TYPE_CHECKING:
    from sdstudio.app.document import Document

KEY_UNDO_MEMORY_MB = "history/undo_memory_mb"


def step_details(stack: QUndoStack, row: int) -> str:
    """The tooltip text of row ``row`` of a QUndoView (row 0 is the opened photo)."""
    if row <= 0 or row > stack.count():
        return ""
    command = stack.command(row - 1)
    edit = edit_of(command)
    if edit is not None and not edit.is_mask_step:
        return describe_step({"title": command.text(), **edit.params})
    return command.text()


class HistoryTooltips(QObject):
    """Shows :func:`step_details` when the mouse rests on a History row."""

    def __init__(self, view: QUndoView) -> None:
        super().__init__(view)
        self.view = view
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.view.indexAt(event.pos())
            text = step_details(self.view.stack(), index.row()) if index.isValid() else ""
            if text:
                QToolTip.showText(event.globalPos(), text, self.view.viewport())
            else:
                QToolTip.hideText()
            return True
        return False


def undo_memory_bytes(stack: QUndoStack) -> int:
    """Bytes of pixels the undo steps hold (arrays shared between steps counted once)."""
    edits = (edit_of(stack.command(index)) for index in range(stack.count()))
    return pixel_bytes(edit for edit in edits if edit is not None)


class UndoLimit(QObject):
    """Sets the undo stack's step limit from the memory budget whenever a photo opens."""

    def __init__(self, document: Document, settings: Any) -> None:
        super().__init__(document)
        self.document = document
        self.settings = settings
        document.document_replaced.connect(self._on_document_replaced)

    def memory_mb(self) -> int:
        return clamp_memory_mb(
            keys.read_number(self.settings, KEY_UNDO_MEMORY_MB, DEFAULT_UNDO_MEMORY_MB)
        )

    def set_memory_mb(self, value: int) -> None:
        self.settings.setValue(KEY_UNDO_MEMORY_MB, clamp_memory_mb(value))
        self.apply()

    def steps(self) -> int:
        width, height = self.document.size()
        return undo_step_limit(max(width, 1), max(height, 1), self.memory_mb())

    def budget_bytes(self) -> int:
        return budget_bytes(self.memory_mb())

    @Slot()
    def _on_document_replaced(self) -> None:
        # A restored project's first step may change the size while the stack is still
        # empty; the limit restore chose for all its steps must stay.
        if not project_document.is_replaying_steps():
            self.apply()

    @Slot()
    def apply(self) -> None:
        # The limits change only while the stack is empty (Qt's rule): a new photo. A
        # changed budget takes effect from the next photo on.
        self.document.set_history_limits(self.steps(), self.budget_bytes())
