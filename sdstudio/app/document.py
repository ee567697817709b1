"""The open photo as a model object: pixels, original, mask and history.

The canvas, panels and history view observe its signals and never reach into each
other. Every change goes through the undo stack, so every edit is one undo step: an
:class:`~sdstudio.session.history.Edit`, kept in ``history`` (the stack's commands wrap
the same edits, and the stack and ``history`` always agree on how many are done).
Patches are written into the arrays in place, so the canvas's QImage views of them stay
valid and only the changed rect is redrawn.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QUndoStack

from sdstudio.app.mask_tools import StrokeRecord
from sdstudio.app.undo_commands import EditCommand
from sdstudio.errors import MaskError
from sdstudio.session.history import Edit, History, Rect

if TYPE_CHECKING:
    from sdstudio.imaging.image_io import LoadedImage


class Document(QObject):
    image_changed = Signal(QRect)
    mask_changed = Signal(QRect)
    document_replaced = Signal()
    modified_changed = Signal(bool)
    path_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None
        self.original: np.ndarray | None = None
        self.mask: np.ndarray = np.zeros((0, 0), np.uint8)
        self.source: LoadedImage | None = None
        self.path: Path | None = None
        # Where Ctrl+S writes once the user has chosen a file with Save As (or after the
        # first save); None means "next to the original, never over it".
        self.save_target: Path | None = None
        self.history = History()
        self.undo_stack = QUndoStack(self)
        # A bound method, not a lambda: Qt drops it when the document is destroyed, before
        # the undo stack's own destructor emits cleanChanged.
        self.undo_stack.cleanChanged.connect(self._emit_modified)

    def _emit_modified(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    # -- queries -----------------------------------------------------------------------
    def has_image(self) -> bool:
        return self.image is not None

    def mask_is_empty(self) -> bool:
        return not self.mask.any()

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def size(self) -> tuple[int, int]:
        """(width, height) of the current image, (0, 0) when none is open."""
        if self.image is None:
            return 0, 0
        return int(self.image.shape[1]), int(self.image.shape[0])

    def full_rect(self) -> QRect:
        width, height = self.size()
        return QRect(0, 0, width, height)

    def history_params(self) -> list[dict[str, Any]]:
        """Params of each applied image edit (job results), oldest first.

        Mask strokes are not listed: they describe where to edit, not an edit.
        """
        return [
            {"title": edit.title, **edit.params}
            for edit in self.history.done
            if not edit.is_mask_step
        ]

    # -- whole-document changes --------------------------------------------------------
    def open_loaded(self, loaded: LoadedImage, mask: np.ndarray | None = None) -> None:
        """Show a freshly loaded file; history starts empty and unmodified.

        ``mask`` (the photo's size): the mask it starts with, not an edit to undo (a
        project's mask before its first step).
        """
        pixels = np.ascontiguousarray(loaded.pixels)
        self.source = loaded
        self.path = Path(loaded.path)
        self.save_target = None
        self.undo_stack.clear()
        self.history.clear()
        # The loaded array becomes the original (read-only); the working image is a copy.
        self.original = pixels
        self.original.flags.writeable = False
        self._replace_image(pixels, mask)
        self.undo_stack.setClean()
        self.modified_changed.emit(False)
        self.path_changed.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = Path(path)
        self.save_target = Path(path)
        self.undo_stack.setClean()
        self.path_changed.emit()

    def set_history_limits(self, max_steps: int | None, budget_bytes: int | None) -> bool:
        """Bounds the undo history; False (nothing changes) unless the stack is empty.

        Qt's stack takes a new step limit only while empty, and both must drop alike. (The
        history may hold the one edit being pushed: the stack adds it after applying it.)
        """
        if self.undo_stack.count():
            return False
        self.undo_stack.setUndoLimit(max_steps or 0)  # Qt's 0: no limit
        self.history.set_limits(max_steps, budget_bytes)
        return True

    # -- edits (each is one undo step) -------------------------------------------------
    def push_edit(self, edit: Edit) -> None:
        """Makes ``edit`` one undo step (which applies it)."""
        self.undo_stack.push(EditCommand(self, edit))

    def apply_result(
        self,
        title: str,
        image: np.ndarray,
        params: dict[str, Any],
        mask: np.ndarray | None = None,
    ) -> None:
        """A job's result as one undo step; ``mask``: the mask moves with it (crop, flip)."""
        if self.image is None:
            raise MaskError("Open a photo first.")
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"result must be uint8 (H, W, 3|4), got {image.dtype} {image.shape}")
        if mask is not None:
            mask = np.ascontiguousarray(mask, dtype=np.uint8)
        # The current arrays are handed over as they are: a replacement gives the document
        # fresh buffers, so nothing writes to them again.
        result = np.ascontiguousarray(image)
        self.push_edit(Edit.image_result(title, params, self.image, self.mask, result, mask))

    def set_mask(self, mask: np.ndarray, title: str = "Set mask") -> None:
        if mask.shape != self.mask.shape:
            raise MaskError(
                f"The mask is {mask.shape[1]}x{mask.shape[0]} pixels but the photo is "
                f"{self.mask.shape[1]}x{self.mask.shape[0]}."
            )
        edit = Edit.mask_change(title, self.mask, mask.astype(np.uint8, copy=False))
        if edit is not None:
            self.push_edit(edit)

    def clear_mask(self) -> None:
        if self.has_image() and not self.mask_is_empty():
            self.set_mask(np.zeros_like(self.mask), "Clear mask")

    def invert_mask(self) -> None:
        if self.has_image():
            self.push_edit(Edit.mask_inversion())

    def push_stroke(self, record: StrokeRecord, title: str) -> None:
        """Records a stroke the brush already painted into ``mask`` as one undo step."""
        self.push_edit(Edit.mask_patch(title, record.rect, record.before, record.after))

    def notify_mask_painted(self, rect: Rect) -> None:
        """The brush painted into ``mask`` directly (mid-stroke); observers redraw."""
        self.mask_changed.emit(QRect(*rect))

    # -- what the undo stack's commands call -------------------------------------------
    def redo_step(self, edit: Edit) -> None:
        """``edit`` is pushed or redone on the undo stack: the history follows, then the pixels."""
        if self.history.next_redo is edit:
            self.history.redo()
        else:
            self._retire(self.history.push(edit))
        self.apply_edit(edit)

    def undo_step(self, edit: Edit) -> None:
        if self.history.next_undo is not edit:
            return  # dropped for the memory budget (_retire): nothing is left to undo
        self.history.undo()
        self.apply_edit(edit, undo=True)

    def _retire(self, dropped: list[Edit]) -> None:
        """Commands of edits the history's byte budget dropped: Qt deletes an obsolete
        command when it is next undone (the stack itself can only drop by count)."""
        gone = {id(edit) for edit in dropped}
        for index in range(self.undo_stack.count()):
            command = self.undo_stack.command(index)
            if isinstance(command, EditCommand) and id(command.edit) in gone:
                command.setObsolete(True)

    def apply_edit(self, edit: Edit, *, undo: bool = False) -> None:
        """Writes the state ``edit`` leaves (``undo``: the one it started from); observers
        hear of the changed rect. Undo steps call it; history is not touched."""
        if edit.kind == "none":
            return
        if edit.kind == "replace":
            image = edit.before if undo else edit.after
            assert image is not None
            mask = self.mask
            if edit.mask_after is not None:
                mask = edit.mask_before if undo else edit.mask_after
            self._replace_image(image, mask)
            return
        if edit.is_mask_step:
            edit.write_into(self.mask, undo=undo)
            self.mask_changed.emit(QRect(*edit.rect) if edit.rect else self.full_rect())
        else:
            assert self.image is not None
            edit.write_into(self.image, undo=undo)
            self.image_changed.emit(QRect(*edit.rect) if edit.rect else self.full_rect())

    def _replace_image(self, image: np.ndarray, mask: np.ndarray | None) -> None:
        """New pixels (new file or new size): a fresh writable buffer and matching mask."""
        self.image = np.array(image, dtype=np.uint8, order="C", copy=True)
        height, width = self.image.shape[:2]
        if mask is not None and mask.shape == (height, width):
            self.mask = np.array(mask, dtype=np.uint8, order="C", copy=True)
        else:
            self.mask = np.zeros((height, width), np.uint8)
        self.document_replaced.emit()
        self.image_changed.emit(self.full_rect())
        self.mask_changed.emit(self.full_rect())
