"""Runs the panels' jobs on the worker and turns their results into undo steps.

Every job's state lives in one :class:`~sdstudio.job_queue.JobQueue`; the controller adds
jobs to it, builds each foreground job when the queue says its turn has come, hands the
worker's events to the queue and acts on what the queue makes of them.

Panels hand over a *job factory* rather than a job: the job is built when its turn
comes, from the document as it is then, so a Style click queued behind a Repair styles
the repaired image instead of undoing the repair. One foreground job runs at a time;
background jobs (style thumbnails) wait behind foreground ones and never touch the
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
from sdstudio.app.worker import JobWorker, RunJob
from sdstudio.errors import UserFacingError
from sdstudio.job_queue import JobEvent, JobEventKind, JobQueue, QueuedJob
from sdstudio.jobs import Job, JobResult, job_params

log = logging.getLogger(__name__)

NOTE_TIMEOUT_MS = 10_000
BACKGROUND_OWNER = "background"  # background jobs never make a panel look busy
JobFactory = Callable[[], Job]
ResultCallback = Callable[[int, "JobResult | None"], None]
# The undo step's title from the job and the settings it ran with (job_params + result).
Describe = Callable[[Job, Mapping[str, Any]], str]

__all__ = ["JobController", "JobStatusWidget"]


@dataclass
class _Outcome:
    """How the controller handles a job's outcome; the job's state is the queue's."""

    describe: Describe | None = None  # foreground: names the undo step
    on_done: ResultCallback | None = None  # background: gets the result, or None
    image_generation: int = 0  # document edits seen when the foreground job was built


_Entry = QueuedJob[_Outcome]
_Event = JobEvent[_Outcome]


class JobController(QObject):
    """Owns the job queue and the worker; applies results to ``document``; drives the status."""

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
        self.queue: JobQueue[_Outcome] = JobQueue()
        self.worker = self._make_worker(run_job)
        self.status_widget = JobStatusWidget()
        self.status_widget.cancel_button.clicked.connect(self.cancel)
        self.last_error_box: QMessageBox | None = None
        self._show_error_dialog = show_error or self._open_error_box
        self._image_generation = 0
        self._cancel_shortcut: QShortcut | None = None
        self._shut_down = False
        self._time_left = TimeLeftEstimate()  # of the foreground job on show
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
        for owner in self._stop_jobs():
            self.busy_changed.emit(owner, False)
        self.worker.deleteLater()
        self.queue = JobQueue()
        self.worker = self._make_worker(run_job)
        self._update_status()

    def _make_worker(self, run_job: RunJob | None) -> JobWorker:
        worker = JobWorker(self.queue, run_job)
        worker.event.connect(self._on_worker_event, Qt.ConnectionType.QueuedConnection)
        return worker

    def run(self, owner: str, make_job: JobFactory, *, describe: Describe | None = None) -> None:
        """Queues a job whose result becomes one undo step; ``make_job`` runs at its turn.

        ``describe(job, params)`` names the undo step (default: the job's short title).
        """
        if self._shut_down:  # the window is closing; nothing can run any more
            return
        was_busy = self.is_busy(owner)
        self.queue.add_foreground(owner, make_job, _Outcome(describe=describe))
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
        self.queue.add_background(BACKGROUND_OWNER, job, _Outcome(on_done=on_done))
        self.worker.ensure_running()
        return job.job_id

    def cancel_background(self, job_id: int) -> None:
        entry = self.queue.find(job_id)
        if entry is not None and entry.background:
            self._handle(self.queue.cancel(entry))

    def is_busy(self, owner: str | None = None) -> bool:
        """Whether a foreground job (of ``owner``, or of anyone) runs or waits."""
        return self.queue.is_busy(owner)

    def current_job_id(self) -> int | None:
        entry = self.queue.foreground_job()
        return entry.job_id if entry is not None else None

    @Slot()
    def cancel(self) -> None:
        """Stops the running foreground job and drops the waiting ones."""
        current = self.queue.foreground_job()
        # The waiting ones first: once the current job is gone, the next would be built.
        dropped = [e for e in self.queue.waiting() if not e.background and e is not current]
        for entry in dropped:
            self.queue.cancel(entry)
        for owner in dict.fromkeys(entry.owner for entry in dropped):
            self._emit_if_idle(owner)
        if current is not None:
            self._handle(self.queue.cancel(current))  # a queued one is dropped at once
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
        if not self._shut_down:
            self.worker.prewarm()

    def shutdown(self) -> None:
        """Cancels everything and stops the worker thread (the window calls it on close)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._stop_jobs()

    def _stop_jobs(self) -> list[str]:
        """Cancels every job, waits for the worker thread; returns the owners it idled.

        Background callbacks get None; a foreground job ends without a note (the window
        is closing, or the engine is being replaced).
        """
        settled = self.queue.stop()  # the running job stops at its next yield
        self.worker.wait()
        for event in settled:
            if event.entry.background:
                self._handle(event)
        return list(dict.fromkeys(e.entry.owner for e in settled if not e.entry.background))

    # -- building foreground jobs at their turn -------------------------------------------

    def _start_next(self) -> None:
        while (entry := self.queue.turn_to_build()) is not None:
            assert entry.make_job is not None  # every foreground job has its factory
            try:
                job = entry.make_job()
            except UserFacingError as error:
                self.queue.fail_to_build(entry)
                self._show_error("", str(error))
                self._emit_if_idle(entry.owner)
                continue
            entry.context.image_generation = self._image_generation
            self._time_left.reset()
            self.queue.hand_over(entry, job)
            self.worker.ensure_running()

    def _foreground_ended(self, entry: _Entry) -> None:
        self._emit_if_idle(entry.owner)
        self._start_next()
        self._update_status()

    def _emit_if_idle(self, owner: str) -> None:
        if not self.is_busy(owner):
            self.busy_changed.emit(owner, False)

    @Slot()
    def _count_image_edit(self) -> None:
        self._image_generation += 1

    # -- what happens to jobs -------------------------------------------------------------

    @Slot(object)
    def _on_worker_event(self, event: _Event) -> None:
        self._handle(self.queue.apply(event))

    def _handle(self, event: _Event | None) -> None:
        """Acts on an event as the queue settled it (None: nothing to do)."""
        if event is None:
            return
        entry = event.entry
        if entry.background:
            if event.kind is JobEventKind.FAILED:
                log.warning("Background job %s failed: %s", event.job_id, event.message)
            if entry.state.settled and entry.context.on_done is not None:
                assert event.job_id is not None  # background jobs are built when added
                entry.context.on_done(event.job_id, event.result)
            return
        if event.kind is JobEventKind.STARTED:
            self._time_left.reset()
            self._update_status()
        elif event.kind is JobEventKind.PROGRESS:
            self._time_left.update(entry.fraction)
            self._update_status()
        elif event.kind is JobEventKind.FINISHED:
            assert event.result is not None
            self._apply_result(entry, event.result)
        elif event.kind is JobEventKind.FAILED:
            self._report_failure(entry, event.message)
        else:
            self._report_cancel(entry)

    def _apply_result(self, entry: _Entry, result: JobResult) -> None:
        job = entry.job
        assert job is not None
        params = {**job_params(job), **result.params}
        self._record_speed(entry, result)
        title = self._describe(entry, params)
        if entry.context.image_generation != self._image_generation:
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
                self._foreground_ended(entry)
                self.job_failed.emit(job.job_id, str(error))
                self._show_error(title, str(error))
                return
            self.result_applied.emit(job.job_id, title)
            if result.mask is not None:
                self.mask_proposed.emit(entry.owner, result)
            self.result_applied_for.emit(entry.owner, job.job_id)
            self._show_note(f"{title} done. {' '.join(result.notes)}".strip())
        self._foreground_ended(entry)

    def _describe(self, entry: _Entry, params: Mapping[str, Any]) -> str:
        job = entry.job
        assert job is not None
        if entry.context.describe is None:
            return job.title
        try:
            return entry.context.describe(job, params) or job.title
        except Exception:  # a title is never worth losing the result over
            log.exception("Naming the %s step failed", job.title)
            return job.title

    def _record_speed(self, entry: _Entry, result: JobResult) -> None:
        if entry.started_at is not None and entry.job is not None:
            height, width = result.image.shape[:2]
            seconds = time.monotonic() - entry.started_at
            self.speeds.record(speed_key(entry.job), width * height, seconds)

    def _report_failure(self, entry: _Entry, message: str) -> None:
        assert entry.job is not None
        self._foreground_ended(entry)  # first: the error dialog may run a nested event loop
        self.job_failed.emit(entry.job.job_id, message)
        self._show_error(entry.job.title, message)

    def _report_cancel(self, entry: _Entry) -> None:
        assert entry.job is not None
        self._show_note(f"{entry.job.title} cancelled; the photo is unchanged.")
        self.job_cancelled.emit(entry.job.job_id)
        self._foreground_ended(entry)

    # -- feedback ------------------------------------------------------------------------

    def _update_status(self) -> None:
        running = self.queue.foreground_job() is not None
        if self._cancel_shortcut is not None:
            self._cancel_shortcut.setEnabled(running)
        # The running job's own progress, also when a click only changed the queue: a
        # queued job used to reset the bar to 0 until the next progress arrived.
        time_left = time_left_text(self._time_left.seconds_left()) if running else ""
        self.status_widget.show_queue(self.queue, time_left)

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
