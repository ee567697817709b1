"""After Repair, show the result: the mask overlay steps aside until the mask is needed.

The mask is kept after Repair (to try another method), but its overlay covered exactly
the pixels that had just been filled, so the result could not be seen. The overlay is
hidden when a repair is applied, and comes back as soon as the person works on the mask
again (paints, erases, clears, grows, undoes a mask step), undoes the repair, or shows it
with View > Show mask; the Show mask action follows the overlay in every case.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.mask_overlay import MaskOverlay


class RevealResultAfterRepair(QObject):
    def __init__(
        self,
        overlay: MaskOverlay,
        document: Document,
        controller: JobController,
        owner: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.overlay = overlay
        self.document = document
        self.owner = owner
        # The undo index just after the repair step, while the overlay is hidden for it.
        self._hidden_at: int | None = None
        controller.result_applied_for.connect(self._on_result_applied)
        document.mask_changed.connect(self._bring_back)
        document.undo_stack.indexChanged.connect(self._on_undo_index)
        overlay.changed.connect(self._on_overlay_changed)

    def hidden_for_result(self) -> bool:
        return self._hidden_at is not None

    @Slot(str, int)
    def _on_result_applied(self, owner: str, _job_id: int) -> None:
        if owner != self.owner or not self.overlay.visible or self.document.mask_is_empty():
            return
        self._hidden_at = self.document.undo_stack.index()
        self.overlay.set_visible(False)

    @Slot()
    def _bring_back(self, *_args: object) -> None:
        if self._hidden_at is not None:
            self._hidden_at = None
            self.overlay.set_visible(True)

    @Slot(int)
    def _on_undo_index(self, index: int) -> None:
        if self._hidden_at is not None and index < self._hidden_at:
            self._bring_back()  # the repair was undone: back to painting the mask

    @Slot()
    def _on_overlay_changed(self) -> None:
        if self.overlay.visible:
            self._hidden_at = None  # shown by the person (H): nothing of ours to undo
