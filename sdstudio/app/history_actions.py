"""Edit > Apply a Step to Another Photo and Edit > History Memory Limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QInputDialog

from sdstudio.app.history_details import UndoLimit
from sdstudio.app.job_controller import JobController
from sdstudio.app.menu_items import make_action, menu_holding
from sdstudio.session.history import MAX_UNDO_MEMORY_MB, MIN_UNDO_MEMORY_MB
from sdstudio.session.step_replay import describe_step, job_from_params, resize_mask
from sdstudio.tasks import Task

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

JOB_OWNER = "history"


class HistoryActions(QObject):
    def __init__(self, window: MainWindow, jobs: JobController, undo_limit: UndoLimit) -> None:
        """A replayed step runs on ``jobs``; the memory limit is ``undo_limit``'s."""
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.jobs = jobs
        self.undo_limit = undo_limit
        self.apply_step = make_action(
            window,
            "Apply a Step to &Another Photo...",
            self.apply_step_to_another_photo,
            tip="Run an edit from the history again on another photo",
        )
        self.memory_limit = make_action(
            window,
            "History &Memory Limit...",
            self.memory_limit_dialog,
            tip="How much memory undo may use",
        )
        edit_menu = menu_holding(window, window.actions_.undo)
        edit_menu.addSeparator()
        edit_menu.addAction(self.apply_step)
        edit_menu.addAction(self.memory_limit)
        self.document.document_replaced.connect(self._update_enabled)
        self._update_enabled()

    @Slot()
    def _update_enabled(self) -> None:
        self.apply_step.setEnabled(self.document.has_image())

    # -- questions to the person (tests monkeypatch these) ----------------------------------
    def ask_step(self, steps: list[dict[str, Any]]) -> int | None:
        labels = [
            f"{n}. {describe_step(s).replace(chr(10), ' · ')}" for n, s in enumerate(steps, 1)
        ]
        choice, ok = QInputDialog.getItem(
            self.window,
            "Apply a Step to Another Photo",
            "Step to run on the next photo:",
            labels,
            len(labels) - 1,
            False,
        )
        return labels.index(choice) if ok and choice in labels else None

    def ask_memory_mb(self, current: int) -> int | None:
        value, ok = QInputDialog.getInt(
            self.window,
            "History Memory Limit",
            "Memory for undo (MB). Oldest steps are dropped beyond it; a new limit applies "
            "from the next photo you open:",
            current,
            MIN_UNDO_MEMORY_MB,
            MAX_UNDO_MEMORY_MB,
            64,
        )
        return value if ok else None

    # -- the actions ---------------------------------------------------------------------------
    def apply_step_to_another_photo(self) -> bool:
        steps = self.document.history_params()
        if not steps:
            self.window.show_error("Nothing to apply", "The history has no edits yet.")
            return False
        index = self.ask_step(steps)
        if index is None:
            return False
        step = steps[index]
        previous_mask = None if self.document.mask_is_empty() else self.document.mask.copy()
        path = self.window.ask_open_path(self.window.files.last_folder())
        if not path or not self.window.open_path(path):
            return False
        document = self.document
        if (
            step.get("task") == Task.REPAIR
            and document.mask_is_empty()
            and previous_mask is not None
        ):
            width, height = document.size()
            document.set_mask(resize_mask(previous_mask, width, height), "Mask from previous photo")

        def make_job():
            assert document.image is not None
            mask = None if document.mask_is_empty() else document.mask.copy()
            return job_from_params(step, document.image.copy(), mask)

        self.jobs.run(JOB_OWNER, make_job)
        return True

    def memory_limit_dialog(self) -> bool:
        limit = self.undo_limit
        value = self.ask_memory_mb(limit.memory_mb())
        if value is None:
            return False
        limit.set_memory_mb(value)
        self.window.statusBar().showMessage(
            f"Undo may use up to {limit.memory_mb()} MB ({limit.steps()} steps for "
            "this photo size).",
            8000,
        )
        return True
