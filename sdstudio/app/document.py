"""The open photo as a model object: pixels, original, mask and history.

The canvas, panels and history view observe its signals and never reach into each
other. Every change goes through the undo stack, so every edit is one undo step.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QRect, Signal
from PySide6.QtGui import QUndoStack

from sdstudio.app.mask_tools import StrokeRecord
from sdstudio.app.undo_commands import (
    ImageResultCommand,
    InvertMaskCommand,
    MaskPatchCommand,
    Rect,
    changed_bounds,
    crop,
)
from sdstudio.errors import MaskError

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
        steps = []
        for index in range(self.undo_stack.index()):
            command = self.undo_stack.command(index)
            if isinstance(command, ImageResultCommand):
                steps.append({"title": command.text(), **command.params})
        return steps

    # -- whole-document changes --------------------------------------------------------
    def open_loaded(self, loaded: LoadedImage) -> None:
        """Show a freshly loaded file; history starts empty and unmodified."""
        pixels = np.ascontiguousarray(loaded.pixels)
        self.source = loaded
        self.path = Path(loaded.path)
        self.save_target = None
        self.undo_stack.clear()
        # The loaded array becomes the original (read-only); the working image is a copy.
        self.original = pixels
        self.original.flags.writeable = False
        self._replace_image(pixels, None)
        self.undo_stack.setClean()
        self.modified_changed.emit(False)
        self.path_changed.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = Path(path)
        self.save_target = Path(path)
        self.undo_stack.setClean()
        self.path_changed.emit()

    # -- edits (each is one undo step) -------------------------------------------------
    def apply_result(self, title: str, image: np.ndarray, params: dict[str, Any]) -> None:
        if self.image is None:
            raise MaskError("Open a photo first.")
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"result must be uint8 (H, W, 3|4), got {image.dtype} {image.shape}")
        self.undo_stack.push(ImageResultCommand(self, title, np.ascontiguousarray(image), params))

    def set_mask(self, mask: np.ndarray, title: str = "Set mask") -> None:
        if mask.shape != self.mask.shape:
            raise MaskError(
                f"The mask is {mask.shape[1]}x{mask.shape[0]} pixels but the photo is "
                f"{self.mask.shape[1]}x{self.mask.shape[0]}."
            )
        new_mask = mask.astype(np.uint8, copy=False)
        rect = changed_bounds(self.mask, new_mask)
        if rect is not None:
            before = crop(self.mask, rect).copy()
            after = crop(new_mask, rect).copy()
            self.undo_stack.push(MaskPatchCommand(self, title, rect, before, after))

    def clear_mask(self) -> None:
        if self.has_image() and not self.mask_is_empty():
            self.set_mask(np.zeros_like(self.mask), "Clear mask")

    def invert_mask(self) -> None:
        if self.has_image():
            self.undo_stack.push(InvertMaskCommand(self))

    def push_stroke(self, record: StrokeRecord, title: str) -> None:
        """Records a stroke the brush already painted into ``mask`` as one undo step."""
        self.undo_stack.push(
            MaskPatchCommand(self, title, record.rect, record.before, record.after)
        )

    def notify_mask_painted(self, rect: Rect) -> None:
        """The brush painted into ``mask`` directly (mid-stroke); observers redraw."""
        self.mask_changed.emit(QRect(*rect))

    # -- low-level writers used by the undo commands -----------------------------------
    def _write_mask_patch(self, rect: Rect, values: np.ndarray) -> None:
        x, y, w, h = rect
        self.mask[y : y + h, x : x + w] = values
        self.mask_changed.emit(QRect(x, y, w, h))

    def _invert_mask_in_place(self) -> None:
        np.subtract(255, self.mask, out=self.mask)
        self.mask_changed.emit(self.full_rect())

    def _write_image_patch(self, rect: Rect, values: np.ndarray) -> None:
        assert self.image is not None
        x, y, w, h = rect
        self.image[y : y + h, x : x + w] = values
        self.image_changed.emit(QRect(x, y, w, h))

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
