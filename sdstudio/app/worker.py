"""The background worker: one QThread that runs engine jobs one after another.

The engine turns a job into a generator that yields :class:`~sdstudio.jobs.Progress`
and returns a :class:`~sdstudio.jobs.JobResult` (see ``docs/architecture.md``). This
thread drives that generator, checks the cancel flag between yields and closes the
generator to cancel, and turns what happens into Qt signals. The engine (and so torch)
is imported lazily *on this thread*, so the window never waits for it.

Signals are re-emitted by :class:`JobWorker`, which lives on the UI thread, so every
receiver runs on the UI thread and sees a job's signals in order.
"""

from __future__ import annotations

import enum
import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from sdstudio.errors import JobCancelled, UserFacingError
from sdstudio.jobs import Job, JobResult, Progress

log = logging.getLogger(__name__)

RunJob = Callable[[Job], "Iterator[Progress] | JobResult"]
MIN_VISIBLE_PROGRESS = 0.01  # always passed on: at most 100 a job, easy for the UI thread


class JobPriority(enum.IntEnum):
    """Normal jobs always run before waiting background jobs (e.g. style thumbnails)."""

    NORMAL = 0
    BACKGROUND = 1


@dataclass
class _Entry:
    job: Job | None  # None = pre-warm the engine import
    priority: JobPriority
    job_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.job_id = self.job.job_id if self.job is not None else 0


def _engine_run_job() -> RunJob:
    # Imported here, on the worker thread: this is what pulls in torch.
    from sdstudio.engine.runner import run_job

    return run_job


class _JobQueue:
    """The jobs waiting and the cancel requests, shared by the UI and worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._entries: list[_Entry] = []
        self._cancel_requested: set[int] = set()
        self._current: int | None = None
        self._stopping = False

    def put(self, entry: _Entry) -> None:
        with self._lock:
            self._entries.append(entry)
            self._lock.notify()

    def take(self) -> _Entry | None:
        """The next entry to run (blocks); ``None`` once the worker is shutting down."""
        with self._lock:
            while not self._entries and not self._stopping:
                self._lock.wait()
            if self._stopping:
                return None
            entry = min(self._entries, key=lambda e: e.priority)  # min() keeps FIFO on ties
            self._entries.remove(entry)
            self._current = entry.job_id
            return entry

    def done(self, job_id: int) -> None:
        with self._lock:
            if self._current == job_id:
                self._current = None
            self._cancel_requested.discard(job_id)

    def current(self) -> int | None:
        with self._lock:
            return self._current

    def pending(self) -> list[int]:
        with self._lock:
            ordered = sorted(self._entries, key=lambda e: e.priority)
            return [e.job_id for e in ordered if e.job is not None]

    def remove_pending(self, job_id: int) -> bool:
        with self._lock:
            for entry in self._entries:
                if entry.job_id == job_id and entry.job is not None:
                    self._entries.remove(entry)
                    return True
            return False

    def request_cancel(self, job_id: int) -> bool:
        with self._lock:
            if self._current != job_id:
                return False
            self._cancel_requested.add(job_id)
            return True

    def is_cancel_requested(self, job_id: int) -> bool:
        with self._lock:
            return job_id in self._cancel_requested

    def stop(self) -> list[int]:
        """Stops taking work; cancels the running job; returns the ids dropped from the queue."""
        with self._lock:
            self._stopping = True
            dropped = [e.job_id for e in self._entries if e.job is not None]
            self._entries.clear()
            if self._current is not None:
                self._cancel_requested.add(self._current)
            self._lock.notify_all()
            return dropped


class _JobThread(QThread):
    """Runs queued jobs; its signals are emitted on this thread and queued to the UI."""

    job_started = Signal(int, str)
    job_progress = Signal(int, float, str)
    job_finished = Signal(int, object)
    job_failed = Signal(int, str)
    job_cancelled = Signal(int)

    def __init__(self, queue: _JobQueue, run_job: RunJob | None, progress_interval: float) -> None:
        super().__init__()
        self.setObjectName("sdstudio-job-worker")
        self._queue = queue
        self._run_job = run_job
        self._progress_interval = progress_interval

    def run(self) -> None:
        while (entry := self._queue.take()) is not None:
            try:
                if entry.job is None:
                    self._prewarm()
                else:
                    if self._run_job is None:  # the real engine, not warmed yet
                        self._prewarm()
                    self._run_one(entry.job)
            finally:
                self._queue.done(entry.job_id)
                _freeze_long_lived_objects()

    def _resolve_run_job(self) -> RunJob:
        if self._run_job is None:
            self._run_job = _engine_run_job()
        return self._run_job

    def _prewarm(self) -> None:
        try:
            self._resolve_run_job()
            # The runner imports each job's module lazily; torch is the slow part of the
            # first job's start, so it is loaded here, on this thread, ahead of time,
            # with every job's modules (imports hold the GIL: the UI thread waits).
            from sdstudio.engine.runner import preload

            preload()
        except Exception:  # the first real job reports it to the user
            log.exception("Pre-loading the engine failed")

    def _run_one(self, job: Job) -> None:
        job_id = job.job_id
        self.job_started.emit(job_id, job.title)
        try:
            result = self._drive(job)
        except JobCancelled:
            self.job_cancelled.emit(job_id)
        except UserFacingError as error:
            self.job_failed.emit(job_id, str(error))
        except MemoryError:
            log.exception("%s ran out of memory", job.title)
            self.job_failed.emit(
                job_id, f"{job.title} ran out of memory. Try a smaller image or close other apps."
            )
        except Exception as error:
            log.exception("%s failed", job.title)
            self.job_failed.emit(job_id, _one_line_message(job.title, error))
        else:
            if result is None or self._queue.is_cancel_requested(job_id):
                self.job_cancelled.emit(job_id)
            else:
                self.job_finished.emit(job_id, result)

    def _drive(self, job: Job) -> JobResult | None:
        """Runs the job; ``None`` when it was cancelled between two yields."""
        job_id = job.job_id
        if self._queue.is_cancel_requested(job_id):
            return None
        steps = self._resolve_run_job()(job)
        if isinstance(steps, JobResult):
            return steps
        if not isinstance(steps, Iterator):
            raise TypeError(f"run_job returned {type(steps).__name__}, not a generator")
        last_emit, last_fraction = 0.0, 0.0
        while True:
            if self._queue.is_cancel_requested(job_id):
                _close_quietly(steps)
                return None
            try:
                step = next(steps)
            except StopIteration as stop:
                result = stop.value
                break
            now = time.monotonic()
            # A step that moves the bar visibly always goes out: dropped, it left the bar
            # a whole tile behind until the next one.
            moved = step.fraction - last_fraction >= MIN_VISIBLE_PROGRESS
            if moved or now - last_emit >= self._progress_interval or step.fraction >= 1.0:
                last_emit, last_fraction = now, step.fraction
                self.job_progress.emit(job_id, float(step.fraction), step.message)
        if not isinstance(result, JobResult):
            raise TypeError(f"the engine returned {type(result).__name__}, not a JobResult")
        return result


_frozen = False


def _freeze_long_lived_objects() -> None:
    """Once torch and the engine are loaded, move their objects out of the cyclic GC.

    A full (generation 2) collection walks every live object with the GIL held; with
    torch loaded that took up to 56 ms, on whichever thread triggered it, and the UI
    thread waited for the GIL (ui_stall.py). ``gc.freeze`` leaves those objects, which
    live as long as the app, out of every later collection; job garbage is still freed.
    """
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


def _close_quietly(steps: Iterator[Progress]) -> None:
    close = getattr(steps, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:  # a generator that misbehaves on close must not hide the cancel
        log.exception("Closing a cancelled job raised")


def _one_line_message(title: str, error: BaseException) -> str:
    detail = " ".join(str(error).split()) or type(error).__name__
    if len(detail) > 300:
        detail = detail[:297] + "..."
    return f"{title} failed: {detail}. The image was left unchanged (details are in the log)."


class JobWorker(QObject):
    """A FIFO of jobs run one at a time on a background thread.

    ``run_job`` is the engine entry point (injectable so tests can script it); by default
    ``sdstudio.engine.runner.run_job`` is imported on the worker thread the first time it
    is needed. All signals arrive on the thread that created the worker (the UI thread).
    """

    started = Signal(int, str)  # job id, title
    progress = Signal(int, float, str)  # job id, fraction 0..1, message
    finished = Signal(int, object)  # job id, JobResult
    failed = Signal(int, str)  # job id, message for the person
    cancelled = Signal(int)  # job id

    def __init__(
        self,
        run_job: RunJob | None = None,
        parent: QObject | None = None,
        *,
        progress_interval: float = 0.03,
    ) -> None:
        super().__init__(parent)
        self._queue = _JobQueue()
        self._run_job = run_job
        self._progress_interval = progress_interval
        self._thread: _JobThread | None = None
        self._cancelled_ids: set[int] = set()
        self._shut_down = False

    # -- submitting and cancelling -------------------------------------------------------

    def submit(self, job: Job, priority: JobPriority = JobPriority.NORMAL) -> int:
        """Queues ``job``; returns its id (``job.job_id``)."""
        if self._shut_down:
            raise RuntimeError("the job worker has been shut down")
        self._ensure_thread()
        self._queue.put(_Entry(job, JobPriority(priority)))
        return job.job_id

    def prewarm(self) -> None:
        """Imports the engine (and torch) on the worker thread before the first job needs it."""
        if self._shut_down or self._run_job is not None:
            return
        self._ensure_thread()
        self._queue.put(_Entry(None, JobPriority.BACKGROUND))

    def cancel(self, job_id: int | None = None) -> bool:
        """Cancels the running job (``None``) or the job ``job_id``, running or queued.

        A queued job is dropped at once and ``cancelled`` is emitted now; a running one
        stops at its next yield. Returns False when there was no such job.
        """
        if job_id is None:
            job_id = self.current_job_id()
            if job_id is None:
                return False
        if self._queue.remove_pending(job_id):
            self.cancelled.emit(job_id)
            return True
        if self._queue.request_cancel(job_id):
            self._cancelled_ids.add(job_id)
            return True
        return False

    def current_job_id(self) -> int | None:
        current = self._queue.current()
        return current or None  # 0 is the pre-warm entry, not a job

    def pending_job_ids(self) -> list[int]:
        """Queued (not yet running) jobs, in the order they will run."""
        return self._queue.pending()

    def is_busy(self) -> bool:
        return self.current_job_id() is not None or bool(self.pending_job_ids())

    def is_running(self) -> bool:
        """Whether the worker thread is alive (started and not shut down)."""
        return self._thread is not None and self._thread.isRunning()

    def shutdown(self) -> None:
        """Cancels everything, stops the thread and waits for it. Safe to call twice."""
        if self._shut_down:
            return
        self._shut_down = True
        for job_id in self._queue.stop():
            self.cancelled.emit(job_id)
        if self._thread is not None:
            self._thread.wait()
            self._thread.deleteLater()
            self._thread = None

    # -- the thread ----------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        thread = _JobThread(self._queue, self._run_job, self._progress_interval)
        queued = Qt.ConnectionType.QueuedConnection
        thread.job_started.connect(self._on_started, queued)
        thread.job_progress.connect(self._on_progress, queued)
        thread.job_finished.connect(self._on_finished, queued)
        thread.job_failed.connect(self._on_failed, queued)
        thread.job_cancelled.connect(self._on_cancelled, queued)
        self._thread = thread
        thread.start()

    @Slot(int, str)
    def _on_started(self, job_id: int, title: str) -> None:
        if job_id not in self._cancelled_ids:
            self.started.emit(job_id, title)

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id not in self._cancelled_ids:
            self.progress.emit(job_id, fraction, message)

    @Slot(int, object)
    def _on_finished(self, job_id: int, result: JobResult) -> None:
        # Cancel may have been pressed after the job's last yield: the person asked for
        # nothing to change, so the result is dropped.
        if job_id in self._cancelled_ids:
            self._on_cancelled(job_id)
        else:
            self.finished.emit(job_id, result)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        if job_id in self._cancelled_ids:
            self._on_cancelled(job_id)
        else:
            self.failed.emit(job_id, message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._cancelled_ids.discard(job_id)
        self.cancelled.emit(job_id)
