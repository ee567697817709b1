"""Undo steps of the document. Each stores only what it changed.

Commands write into the document's arrays in place where the size stays the same, so the
canvas's QImage views of those arrays stay valid and only the changed rect is redrawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from sdstudio.app.document import Document

Rect = tuple[int, int, int, int]


def changed_bounds(before: np.ndarray, after: np.ndarray) -> Rect | None:
    """The bounding rect where two same-shaped arrays differ, or None if identical."""
    diff = before != after
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff.any(axis=0))
    return (
        int(cols[0]),
        int(rows[0]),
        int(cols[-1] - cols[0] + 1),
        int(rows[-1] - rows[0] + 1),
    )


def crop(array: np.ndarray, rect: Rect) -> np.ndarray:
    x, y, w, h = rect
    return array[y : y + h, x : x + w]


class MaskPatchCommand(QUndoCommand):
    """A mask change confined to one rect: a brush stroke, clear, or set_mask."""

    def __init__(
        self, document: Document, title: str, rect: Rect, before: np.ndarray, after: np.ndarray
    ) -> None:
        super().__init__(title)
        self._document = document
        self._rect = rect
        self._before = before
        self._after = after

    def redo(self) -> None:
        self._document._write_mask_patch(self._rect, self._after)

    def undo(self) -> None:
        self._document._write_mask_patch(self._rect, self._before)


class InvertMaskCommand(QUndoCommand):
    """Inverting is its own inverse, so this step stores no pixels at all."""

    def __init__(self, document: Document, title: str = "Invert mask") -> None:
        super().__init__(title)
        self._document = document

    def redo(self) -> None:
        self._document._invert_mask_in_place()

    def undo(self) -> None:
        self._document._invert_mask_in_place()


class ImageResultCommand(QUndoCommand):
    """The result of a job. Same size: stores the changed rect; new size: whole images."""

    def __init__(
        self, document: Document, title: str, result: np.ndarray, params: dict[str, Any]
    ) -> None:
        super().__init__(title)
        self._document = document
        self.params = dict(params)
        current = document.image
        assert current is not None
        self._resized = current.shape != result.shape
        if self._resized:
            self._before_image = current
            self._after_image = result
            self._before_mask = document.mask
            self._rect = None
        else:
            self._rect = changed_bounds(current, result)
            if self._rect is not None:
                self._before_image = crop(current, self._rect).copy()
                self._after_image = crop(result, self._rect).copy()

    def redo(self) -> None:
        if self._resized:
            self._document._replace_image(self._after_image, None)
        elif self._rect is not None:
            self._document._write_image_patch(self._rect, self._after_image)

    def undo(self) -> None:
        if self._resized:
            self._document._replace_image(self._before_image, self._before_mask)
        elif self._rect is not None:
            self._document._write_image_patch(self._rect, self._before_image)
