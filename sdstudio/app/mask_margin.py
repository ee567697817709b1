"""Grow or shrink the mask by a number of pixels: a margin around an object to remove.

A fill that starts exactly at an object's painted outline keeps its halo (the soft edge,
a shadow, JPEG ringing); growing the mask by a few pixels first removes it. The Repair
panel's Grow / Shrink buttons and the Mask menu's "Grow mask…" / "Shrink mask…" both
come here, and each change is one undo step.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QInputDialog, QWidget

from sdstudio.app.document import Document
from sdstudio.imaging.masks import grow_mask, shrink_mask

DEFAULT_MARGIN_PX = 8
MAX_MARGIN_PX = 200


def margin_title(pixels: int) -> str:
    """ "Grow mask 8 px" for a positive margin, "Shrink mask 8 px" for a negative one."""
    return f"{'Grow' if pixels > 0 else 'Shrink'} mask {abs(pixels)} px"


def apply_mask_margin(document: Document, pixels: int) -> bool:
    """Grows (``pixels`` > 0) or shrinks the mask as one undo step; False if nothing changed."""
    if pixels == 0 or not document.has_image() or document.mask_is_empty():
        return False
    # Up to a second on a 24 MP mask: say so rather than look frozen.
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        change = grow_mask if pixels > 0 else shrink_mask
        new_mask = change(document.mask, abs(pixels))
    finally:
        QApplication.restoreOverrideCursor()
    count = document.undo_stack.count()
    document.set_mask(new_mask, margin_title(pixels))
    return document.undo_stack.count() != count


class MaskMarginActions(QObject):
    """The Mask menu's "Grow mask…" and "Shrink mask…": ask how many pixels, then apply."""

    def __init__(self, document: Document, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self.document = document
        self.parent_widget = parent_widget
        self.last_pixels = DEFAULT_MARGIN_PX

    def ask_margin_pixels(self, verb: str) -> int | None:
        """How many pixels to grow or shrink by; None when cancelled (tests patch this)."""
        pixels, accepted = QInputDialog.getInt(
            self.parent_widget,
            f"{verb} Mask",
            f"{verb} the mask by (pixels):",
            self.last_pixels,
            1,
            MAX_MARGIN_PX,
            1,
        )
        return pixels if accepted else None

    def can_change(self) -> bool:
        return self.document.has_image() and not self.document.mask_is_empty()

    @Slot()
    def grow(self) -> None:
        self._change("Grow", 1)

    @Slot()
    def shrink(self) -> None:
        self._change("Shrink", -1)

    def _change(self, verb: str, sign: int) -> None:
        if not self.can_change():
            return
        pixels = self.ask_margin_pixels(verb)
        if pixels is None or pixels <= 0:
            return
        self.last_pixels = pixels
        apply_mask_margin(self.document, sign * pixels)
