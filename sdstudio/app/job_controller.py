"""Runs the panels' jobs on the worker and turns their results into undo steps.

Panels hand over a *job factory* rather than a job: the job is built when its turn
comes, from the document as it is then, so a Style click queued behind a Repair styles
the repaired image instead of undoing the repair. One foreground job runs at a time;
background jobs (style thumbnails) go to the worker at low priority and never touch the
document or the progress bar.

The undo step's title comes from the panel's ``describe`` (what ran, with which
settings), so History tells two tries apart; the status bar and error messages keep the
job's short title.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMessageBox, QStatusBar, QWidget

from sdstudio.app.document import Document
from sdstudio.app.job_status import JobStatusWidget, TimeLeftEstimate, time_left_text
from sdstudio.app.large_results import (
    JobSpeeds,
    ResultEstimate,
    large_result_question,
    speed_key,
)
from sdstudio.app.worker import JobPriority, JobWorker, RunJob
from sdstudio.errors import UserFacingError
from sdstudio.jobs import Job, JobResult, job_params

log = logging.getLogger(__name__)

NOTE_TIMEOUT_MS = 10_000
JobFactory = Callable[[], Job]
ResultCallback = Callable[[int, "JobResult | None"], None]
# The undo step's title from the job and the settings it ran with (job_params + result).
Describe = Callable[[Job, Mapping[str, Any]], str]

__all__ = ["JobController", "JobStatusWidget"]


@dataclass
class _ForegroundRun:
    owner: str  # which panel asked, e.g. "repair"
    make_job: JobFactory
    describe: Describe | None = None
    job: Job | None = None
    image_generation: int = 0  # document edits seen when the job was built
    started_at: float = 0.0  # monotonic, when the worker began it
    fraction: float = 0.0  # the last progress shown
    message: str = ""


class JobController(QObject):
    """Owns the worker; applies results to ``document``; drives the status widget."""

    busy_changed = Signal(str, bool)  # owner, whether a job of that owner runs or waits
    result_applied = Signal(int, str)  # job id, undo step title
    result_applied_for = Signal(str, int)  # owner (e.g. "repair"), job id; after the above
    mask_proposed = Signal(str, object)  # owner, JobResult: a mask job's step was applied
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
        self._time_left = TimeLeftEstimate()
        self.speeds = JobSpeeds()  # measured per method, for the large-result estimate
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

    def run(self, owner: str, make_job: JobFactory, *, describe: Describe | None = None) -> None:
        """Queues a job whose result becomes one undo step; ``make_job`` runs at its turn.

        ``describe(job, params)`` names the undo step (default: the job's short title).
        """
        if self._shut_down:  # the window is closing; nothing can run any more
            return
        was_busy = self.is_busy(owner)
        self._waiting.append(_ForegroundRun(owner, make_job, describe))
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

    def confirm_large_result(self, title: str, estimate: ResultEstimate) -> bool:
        """True to go on: at once for a usual size, else when the person says so."""
        if not estimate.is_large():
            return True
        return self.ask_large_result(
            f"{title}: a very large result", large_result_question(title, estimate)
        )

    def ask_large_result(self, title: str, question: str) -> bool:
        """Asks whether to start a job with a very large result (tests monkeypatch this)."""
        answer = QMessageBox.question(
            self.dialog_parent,
            title,
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

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
            self._time_left.reset()
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
            assert self._current is not None
            self._current.started_at = time.monotonic()
            self._current.fraction, self._current.message = 0.0, "starting"
            self._time_left.reset()
            self._update_status()

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        if self._is_current(job_id):
            assert self._current is not None
            # Never backwards: a stage that restarts its count (a retry with smaller
            # tiles) must not look like lost work.
            self._current.fraction = max(self._current.fraction, fraction)
            self._current.message = message
            self._time_left.update(self._current.fraction)
            self._update_status()

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: JobResult) -> None:
        if job_id in self._background:
            self._background.pop(job_id)(job_id, result)
            return
        if not self._is_current(job_id):
            return
        run = self._current
        assert run is not None and run.job is not None
        params = {**job_params(run.job), **result.params}
        self._record_speed(run, result)
        title = self._describe(run, params)
        if run.image_generation != self._image_generation:
            # The person undid or changed the photo while the job ran; applying a result
            # computed from the old pixels would silently throw their change away.
            self._show_note(f"The photo changed while {title} ran, so its result was not applied.")
        else:
            try:
                if result.mask is not None:  # a proposed mask (Find damage): a mask step
                    self.document.set_mask(result.mask, title)
                else:
                    self.document.apply_result(title, result.image, params)
            except (UserFacingError, ValueError) as error:
                log.exception("Applying the result of %s failed", title)
                self._finish_current()
                self.job_failed.emit(job_id, str(error))
                self._show_error(title, str(error))
                return
            self.result_applied.emit(job_id, title)
            if result.mask is not None:
                self.mask_proposed.emit(run.owner, result)
            self.result_applied_for.emit(run.owner, job_id)
            self._show_note(f"{title} done. {' '.join(result.notes)}".strip())
        self._finish_current()

    def _describe(self, run: _ForegroundRun, params: Mapping[str, Any]) -> str:
        assert run.job is not None
        if run.describe is None:
            return run.job.title
        try:
            return run.describe(run.job, params) or run.job.title
        except Exception:  # a title is never worth losing the result over
            log.exception("Naming the %s step failed", run.job.title)
            return run.job.title

    def _record_speed(self, run: _ForegroundRun, result: JobResult) -> None:
        if run.started_at and run.job is not None:
            height, width = result.image.shape[:2]
            seconds = time.monotonic() - run.started_at
            self.speeds.record(speed_key(run.job), width * height, seconds)

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

    def _update_status(self) -> None:
        current = self._current
        if self._cancel_shortcut is not None:
            self._cancel_shortcut.setEnabled(current is not None)
        if current is None:
            self.status_widget.hide()
            return
        assert current.job is not None
        # The running job's own progress, also when a click only changed the queue: a
        # queued job used to reset the bar to 0 until the next progress arrived.
        self.status_widget.show_job(
            current.job.title,
            current.fraction,
            current.message,
            len(self._waiting),
            time_left_text(self._time_left.seconds_left()),
        )

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
