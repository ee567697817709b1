"""Runs the panels' jobs on the worker and turns their results into undo steps.

Panels hand over a *job factory* rather than a job: the job is built when its turn
comes, from the document as it is then, so a Style click queued behind a Repair styles
the repaired image instead of undoing the repair. One foreground job runs at a time;
background jobs (style thumbnails) go to the worker at low priority and never touch the
document or the progress bar.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.worker import JobPriority, JobWorker, RunJob
from sdstudio.errors import UserFacingError
from sdstudio.jobs import Job, JobResult, job_params

log = logging.getLogger(__name__)

NOTE_TIMEOUT_MS = 10_000
JobFactory = Callable[[], Job]
ResultCallback = Callable[[int, "JobResult | None"], None]


@dataclass
class _ForegroundRun:
    owner: str  # which panel asked, e.g. "repair"
    make_job: JobFactory
    job: Job | None = None
    image_generation: int = 0  # document edits seen when the job was built


class JobStatusWidget(QWidget):
    """The status bar's job display: name and message, progress bar, Cancel button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobStatus")
        self.label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the running job (Esc); the photo stays as it was")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def show_job(self, title: str, fraction: float, message: str, queued: int) -> None:
        text = f"{title}: {message}" if message else title
        if queued:
            text += f"  (+{queued} queued)"
        self.label.setText(text)
        self.progress_bar.setValue(round(max(0.0, min(1.0, fraction)) * 1000))
        self.show()


class JobController(QObject):
    """Owns the worker; applies results to ``document``; drives the status widget."""

    busy_changed = Signal(str, bool)  # owner, whether a job of that owner runs or waits
    result_applied = Signal(int, str)  # job id, undo step title
    job_failed = Signal(int, str)  # job id, message shown to the person
    job_cancelled = Signal(int)

    def __init__(
        self,
        document: Document,
        parent: QWidget | None = None,
        *,
        run_job: RunJob | None = None,
        status_bar: QStatusBar | None = None,
        show_error: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        self.dialog_parent = parent
        self.status_bar = status_bar
        self.worker = self._make_worker(run_job)
        self.status_widget = JobStatusWidget()
        self.status_widget.cancel_button.clicked.connect(self.cancel)
        self.last_error_box: QMessageBox | None = None
        self._show_error_dialog = show_error or self._open_error_box
        self._waiting: list[_ForegroundRun] = []
        self._current: _ForegroundRun | None = None
        self._background: dict[int, ResultCallback] = {}
        self._image_generation = 0
        self._cancel_shortcut: QShortcut | None = None
        self._shut_down = False
        document.image_changed.connect(self._count_image_edit)
        document.document_replaced.connect(self._count_image_edit)

    def install_cancel_shortcut(self, window: QWidget) -> None:
        """Esc cancels the running job; the shortcut is live only while one runs."""
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.setEnabled(False)
        shortcut.activated.connect(self.cancel)
        self._cancel_shortcut = shortcut

    # -- what panels call ----------------------------------------------------------------

    def use_engine(self, run_job: RunJob) -> None:
        """Replaces the engine entry point (tests, a scripted engine) with a fresh worker."""
        self.cancel()
        self.worker.shutdown()
        self.worker.deleteLater()
        for job_id, on_done in list(self._background.items()):
            on_done(job_id, None)
        self._background.clear()
        current, self._current = self._current, None
        if current is not None:
            self._emit_if_idle(current.owner)
        self._update_status()
        self.worker = self._make_worker(run_job)

    def _make_worker(self, run_job: RunJob | None) -> JobWorker:
        worker = JobWorker(run_job, self)
        worker.started.connect(self._on_started)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        return worker

    def run(self, owner: str, make_job: JobFactory) -> None:
        """Queues a job whose result becomes one undo step; ``make_job`` runs at its turn."""
        if self._shut_down:  # the window is closing; nothing can run any more
            return
        was_busy = self.is_busy(owner)
        self._waiting.append(_ForegroundRun(owner, make_job))
        if not was_busy:
            self.busy_changed.emit(owner, True)
        self._start_next()
        self._update_status()

    def run_background(self, job: Job, on_done: ResultCallback) -> int | None:
        """Runs ``job`` at low priority; ``on_done(job_id, result or None)`` when it ends.

        Returns the job id, or None once the controller has been shut down.
        """
        if self._shut_down:
            return None
        job_id = self.worker.submit(job, JobPriority.BACKGROUND)
        self._background[job_id] = on_done
        return job_id

    def cancel_background(self, job_id: int) -> None:
        if job_id in self._background:
            self.worker.cancel(job_id)

    def is_busy(self, owner: str | None = None) -> bool:
        """Whether a foreground job (of ``owner``, or of anyone) runs or waits."""
        runs = ([self._current] if self._current else []) + self._waiting
        return any(owner is None or run.owner == owner for run in runs)

    def current_job_id(self) -> int | None:
        return self._current.job.job_id if self._current and self._current.job else None

    @Slot()
    def cancel(self) -> None:
        """Stops the running foreground job and drops the waiting ones."""
        dropped, self._waiting = self._waiting, []
        for run in dropped:
            self._emit_if_idle(run.owner)
        if self._current is not None and self._current.job is not None:
            self.worker.cancel(self._current.job.job_id)
        self._update_status()

    def prewarm(self) -> None:
        self.worker.prewarm()

    def shutdown(self) -> None:
        """Cancels everything and stops the worker thread (the window calls it on close)."""
        self._shut_down = True
        self._waiting.clear()
        self.worker.shutdown()

    # -- the queue -----------------------------------------------------------------------

    def _start_next(self) -> None:
        while self._current is None and self._waiting:
            run = self._waiting.pop(0)
            try:
                run.job = run.make_job()
            except UserFacingError as error:
                self._show_error("", str(error))
                self._emit_if_idle(run.owner)
                continue
            run.image_generation = self._image_generation
            self._current = run
            self.worker.submit(run.job)

    def _finish_current(self) -> None:
        run, self._current = self._current, None
        if run is not None:
            self._emit_if_idle(run.owner)
        self._start_next()
        self._update_status()

    def _emit_if_idle(self, owner: str) -> None:
        if not self.is_busy(owner):
            self.busy_changed.emit(owner, False)

    @Slot()
    def _count_image_edit(self) -> None:
        self._image_generation += 1

    def _is_current(self, job_id: int) -> bool:
        return self.current_job_id() == job_id

    # -- worker signals ------------------------------------------------------------------

    @Slot(int, str)
    def _on_started(self, job_id: int, title: str) -> None:
        if self._is_current(job_id):
            self._update_status(0.0, "starting")

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        if self._is_current(job_id):
            self._update_status(fraction, message)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: JobResult) -> None:
        if job_id in self._background:
            self._background.pop(job_id)(job_id, result)
            return
        if not self._is_current(job_id):
            return
        run = self._current
        assert run is not None and run.job is not None
        title = run.job.title
        if run.image_generation != self._image_generation:
            # The person undid or changed the photo while the job ran; applying a result
            # computed from the old pixels would silently throw their change away.
            self._show_note(f"The photo changed while {title} ran, so its result was not applied.")
        else:
            params = {**job_params(run.job), **result.params}
            try:
                self.document.apply_result(title, result.image, params)
            except (UserFacingError, ValueError) as error:
                log.exception("Applying the result of %s failed", title)
                self._finish_current()
                self.job_failed.emit(job_id, str(error))
                self._show_error(title, str(error))
                return
            self.result_applied.emit(job_id, title)
            self._show_note(f"{title} done. {' '.join(result.notes)}".strip())
        self._finish_current()

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        if job_id in self._background:
            log.warning("Background job %s failed: %s", job_id, message)
            self._background.pop(job_id)(job_id, None)
            return
        if not self._is_current(job_id):
            return
        assert self._current is not None and self._current.job is not None
        title = self._current.job.title
        self._finish_current()  # first: the error dialog may run a nested event loop
        self.job_failed.emit(job_id, message)
        self._show_error(title, message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        if job_id in self._background:
            self._background.pop(job_id)(job_id, None)
            return
        if not self._is_current(job_id):
            return
        assert self._current is not None and self._current.job is not None
        self._show_note(f"{self._current.job.title} cancelled; the photo is unchanged.")
        self.job_cancelled.emit(job_id)
        self._finish_current()

    # -- feedback ------------------------------------------------------------------------

    def _update_status(self, fraction: float = 0.0, message: str = "") -> None:
        busy = self._current is not None
        if self._cancel_shortcut is not None:
            self._cancel_shortcut.setEnabled(busy)
        if not busy:
            self.status_widget.hide()
            return
        assert self._current is not None and self._current.job is not None
        self.status_widget.show_job(self._current.job.title, fraction, message, len(self._waiting))

    def _show_note(self, text: str) -> None:
        if self.status_bar is not None:
            self.status_bar.showMessage(text, NOTE_TIMEOUT_MS)

    def _show_error(self, title: str, message: str) -> None:
        self._show_note(message)
        self._show_error_dialog(f"{title} failed" if title else "SD Studio", message)

    def _open_error_box(self, title: str, message: str) -> None:
        # open() is window-modal but returns at once: the canvas keeps running and a test
        # (or a second error) never waits on a nested event loop.
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            title,
            message,
            QMessageBox.StandardButton.Ok,
            self.dialog_parent,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_error_box = box
