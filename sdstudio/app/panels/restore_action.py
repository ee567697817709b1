"""Restore old photo: one click finds the damage, repairs it and enhances gently.

The three steps are the engine's restore chain (``engine.restore_chain``: the same jobs
``sdstudio restore`` runs), each queued on the worker as its own job when the step
before has been applied, so each is one undo step with its own title, the canvas shows
each result as it lands, and Cancel (Esc) stops the running step and keeps the steps
already done. The repair step runs as the Repair panel's own job ("repair" owner), so
what follows a Repair follows it too: the mask overlay steps aside to show the result.
A photo in which nothing is found skips the repair.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QMenu, QPushButton, QWidget

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.history_titles import percent
from sdstudio.engine.restore_chain import (
    NO_DAMAGE_NOTE,
    RestoreSettings,
    find_damage_job,
    gentle_enhance_job,
    repair_job,
)
from sdstudio.errors import MaskError
from sdstudio.jobs import EnhanceJob, Job, RepairJob

OWNER = "restore"  # the find and enhance steps
REPAIR_OWNER = "repair"  # the repair step: the Repair panel's owner
NOTE_TIMEOUT_MS = 10_000
BUTTON_TEXT = "Restore old photo"
RESTORE_TIP = (
    "Find the damage, repair it with the chosen method, then enhance gently: one undo "
    "step each; Esc stops and keeps the steps done"
)
ENHANCE_TIP = "After the repair, a light denoise and sharpen (same size)"
Describe = Callable[[Job, Mapping[str, Any]], str]


def find_title(sensitivity: float) -> str:
    return f"Restore: find damage (sensitivity {percent(sensitivity)})"


def enhance_title(job: EnhanceJob) -> str:
    return (
        f"Restore: gentle enhance (denoise {percent(job.denoise)}, sharpen {percent(job.sharpen)})"
    )


@dataclass
class _Step:
    name: str  # "find", "repair" or "enhance"
    owner: str
    job_id: int | None = None  # known once the controller has built the job


class RestoreAction(QObject):
    """The Restore old photo button, its Gentle enhance box, and the steps they run."""

    def __init__(
        self,
        document: Document,
        controller: JobController,
        *,
        sensitivity: Callable[[], float],
        repair_method: Callable[[], str],
        describe_repair: Describe,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.controller = controller
        # Told whenever the restore starts, moves on or ends (the panel's Find damage
        # button is blocked while it runs).
        self.on_state_changed: Callable[[], None] = lambda: None
        self._sensitivity = sensitivity
        self._repair_method = repair_method
        self._describe_repair = describe_repair
        self.button = QPushButton(BUTTON_TEXT, toolTip=RESTORE_TIP)
        self.enhance_check = QCheckBox("Gentle enhance", checked=True, toolTip=ENHANCE_TIP)
        self.last_note = ""  # what the last restore had to say (nothing found)
        self._notes: list[str] = []
        self._settings = RestoreSettings()
        self._pending: list[str] = []
        self._step: _Step | None = None
        self._step_count = 0

        self.button.clicked.connect(self.restore)
        controller.result_applied_for.connect(self._on_applied)
        controller.busy_changed.connect(self._on_busy_changed)
        document.document_replaced.connect(self._on_document_replaced)
        self._update_state()

    def add_menu_entry(self, menu: QMenu, show_panel: Callable[[], None]) -> QAction:
        """Image > Restore Old Photo (below a separator): this button, its panel shown first."""
        menu.addSeparator()
        action = menu.addAction("Restore &Old Photo")
        action.setObjectName("image_restore_old_photo")
        action.setStatusTip(RESTORE_TIP)
        action.triggered.connect(lambda: (show_panel(), self.restore()))
        # Checked when the menu opens: the action is live only with a photo to restore.
        menu.aboutToShow.connect(
            lambda: action.setEnabled(self.document.has_image() and not self.is_running())
        )
        return action

    def is_running(self) -> bool:
        return self._step is not None

    @Slot()
    def restore(self) -> None:
        """Starts the chain on the photo as it is: find damage, repair, gentle enhance."""
        if not self.document.has_image() or self.is_running():
            return
        enhance = self.enhance_check.isChecked()
        self._settings = RestoreSettings(
            sensitivity=self._sensitivity(), enhance=enhance, repair_method=self._repair_method()
        )
        self._pending = ["find", "repair"] + (["enhance"] if enhance else [])
        self._step_count = len(self._pending)
        self.last_note, self._notes = "", []
        self._start_next()

    def _start_next(self) -> None:
        """Queues the next step, built from the document when its turn comes."""
        document, settings = self.document, self._settings
        while self._pending:
            name = self._pending.pop(0)
            if name == "repair" and document.mask_is_empty():
                self._notes.append(NO_DAMAGE_NOTE)
                continue
            step = self._step = _Step(name, REPAIR_OWNER if name == "repair" else OWNER)

            def make_job(step: _Step = step) -> Job:
                if document.image is None:
                    raise MaskError("Open a photo first.")
                image = document.image.copy()
                if step.name == "find":
                    job: Job | None = find_damage_job(image, settings)
                elif step.name == "repair":
                    job = repair_job(image, document.mask.copy(), settings)
                else:
                    job = gentle_enhance_job(image, settings)
                if job is None:  # the mask was cleared while the step waited
                    raise MaskError(f"Restore: {NO_DAMAGE_NOTE}")
                step.job_id = job.job_id
                return job

            self._update_state()
            self.controller.run(step.owner, make_job, describe=self._describe)
            return
        self._end()

    def _describe(self, job: Job, params: Mapping[str, Any]) -> str:
        if isinstance(job, EnhanceJob):
            return enhance_title(job)
        if isinstance(job, RepairJob):
            title = self._describe_repair(job, params)  # "Repair (Telea)"
            return f"Restore: {title[:1].lower()}{title[1:]}"
        return find_title(float(params.get("sensitivity", self._settings.sensitivity)))

    @Slot(str, int)
    def _on_applied(self, _owner: str, job_id: int) -> None:
        if self._step is not None and self._step.job_id == job_id:
            self._step = None
            self._start_next()

    @Slot(str, bool)
    def _on_busy_changed(self, owner: str, busy: bool) -> None:
        step = self._step
        if not busy and step is not None and owner == step.owner:
            if not self.controller.is_busy(owner):
                # The step ended without its result: cancelled, failed, or the photo
                # changed meanwhile. What is done stays; nothing more runs.
                self._pending = []
                self._end()
        self._update_state()

    @Slot()
    def _on_document_replaced(self) -> None:
        """Another photo (or size): the steps not yet queued were meant for the old one."""
        self._pending = []
        self._update_state()

    def _end(self) -> None:
        self._step = None
        self._pending = []
        if self._notes:
            self.last_note = f"Restore: {' '.join(self._notes)}"
            self._notes = []
            # After the controller's "… done." note for the last step, not under it.
            QTimer.singleShot(0, self, self._show_last_note)
        self._update_state()

    @Slot()
    def _show_last_note(self) -> None:
        if self.controller.status_bar is not None:
            self.controller.status_bar.showMessage(self.last_note, NOTE_TIMEOUT_MS)

    @Slot()
    def _update_state(self, *_args: object) -> None:
        running = self.is_running()
        self.on_state_changed()
        self.button.setEnabled(self.document.has_image() and not running)
        if running:
            done = self._step_count - len(self._pending)
            self.button.setText(f"Restoring ({done} of {self._step_count})…")
        else:
            self.button.setText(BUTTON_TEXT)
