"""The undo stack's commands: each wraps one :class:`~sdstudio.session.history.Edit`.

What an edit changed, and how to undo it, lives in the edit; the document writes it
(``Document.redo_step`` / ``undo_step``, which keep ``Document.history`` in step with the
stack). A command only gives Qt's undo stack and History panel something to hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from sdstudio.session.history import Edit

if TYPE_CHECKING:
    from sdstudio.app.document import Document


class EditCommand(QUndoCommand):
    def __init__(self, document: Document, edit: Edit) -> None:
        super().__init__(edit.title)
        self.edit = edit
        self._document = document

    def redo(self) -> None:
        self._document.redo_step(self.edit)

    def undo(self) -> None:
        self._document.undo_step(self.edit)


def edit_of(command: QUndoCommand | None) -> Edit | None:
    """The edit a command of the document's undo stack wraps (None for anything else)."""
    return command.edit if isinstance(command, EditCommand) else None


def is_image_step(command: QUndoCommand | None) -> bool:
    """A job result or geometry step: it changed the image, not just the mask."""
    edit = edit_of(command)
    return edit is not None and not edit.is_mask_step


def is_mask_step(command: QUndoCommand | None) -> bool:
    """A stroke, clear, set or invert: only the mask changed."""
    edit = edit_of(command)
    return edit is not None and edit.is_mask_step
