"""The job worker: one QThread that runs the job queue's jobs one after another.

The engine turns a job into a generator that yields :class:`~sdstudio.jobs.Progress`
and returns a :class:`~sdstudio.jobs.JobResult` (see ``docs/architecture.md``). This
thread takes the next job from :class:`~sdstudio.job_queue.JobQueue`, drives its
generator, asks the queue between yields whether to stop (and closes the generator to
stop), and reports what happens as :class:`~sdstudio.job_queue.JobEvent` values on its
one signal, ``event``. The engine (and so torch) is imported lazily *on this thread*, so
the window never waits for it.

The worker decides nothing about a job's state: the receiver, on the UI thread, hands
each event to ``JobQueue.apply``, which does.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QThread, Signal

from sdstudio.engine.memory_release import release_freed_memory
from sdstudio.errors import JobCancelled, UserFacingError
from sdstudio.job_queue import JobEvent, JobEventKind, JobQueue, QueuedJob
from sdstudio.jobs import Job, JobResult, Progress

log = logging.getLogger(__name__)

RunJob = Callable[[Job], "Iterator[Progress] | JobResult"]
MIN_VISIBLE_PROGRESS = 0.01  # always passed on: at most 100 a job, easy for the UI thread


def _engine_run_job() -> RunJob:
    # Imported here, on the worker thread: this is what pulls in torch.
    from sdstudio.engine.runner import run_job

    return run_job


class JobWorker(QThread):
    """Runs the queue's jobs on its own thread and reports them on ``event``.

    ``run_job`` is the engine entry point (injectable so tests can script it); by default
    ``sdstudio.engine.runner.run_job`` is imported on this thread when it starts. The
    thread starts with the first job (``ensure_running``) or ``prewarm``, and ends when
    the queue is stopped (``JobQueue.stop``; then ``wait()``).
    """

    event = Signal(object)  # JobEvent; emitted on this thread, so queued to the UI thread

    def __init__(
        self,
        queue: JobQueue[Any],
        run_job: RunJob | None = None,
        *,
        progress_interval: float = 0.03,
    ) -> None:
        super().__init__()
        self.setObjectName("sdstudio-job-worker")
        self._queue = queue
        self._run_job = run_job
        self._progress_interval = progress_interval
        self._started = False

    def ensure_running(self) -> None:
        """Starts the thread once; it then waits on the queue for work."""
        if not self._started:
            self._started = True
            self.start()

    def prewarm(self) -> None:
        """Imports the engine (and torch) on this thread before the first job needs it."""
        if self._run_job is None:
            self.ensure_running()

    # -- on the worker thread ------------------------------------------------------------

    def run(self) -> None:
        # Not when the window closed before the thread got going: closing waits for it.
        if self._run_job is None and not self._queue.is_stopped():
            self._load_engine()
            _freeze_long_lived_objects()
        while (entry := self._queue.take_next()) is not None:
            try:
                self._run_one(entry)
            finally:
                _freeze_long_lived_objects()
                # A job's freed buffers go back to the OS, so RSS follows the work and
                # does not stay at the largest job's high-water mark (issue 13 soak).
                release_freed_memory()

    def _load_engine(self) -> None:
        try:
            self._run_job = _engine_run_job()
            # The runner imports each job's module lazily; torch is the slow part of the
            # first job's start, so it is loaded here, on this thread, ahead of time,
            # with every job's modules (imports hold the GIL: the UI thread waits).
            from sdstudio.engine.runner import preload

            preload()
        except Exception:  # the first real job reports it to the user
            log.exception("Pre-loading the engine failed")

    def _report(self, kind: JobEventKind, entry: QueuedJob[Any], **details: Any) -> None:
        self.event.emit(JobEvent(kind, entry, **details))

    def _run_one(self, entry: QueuedJob[Any]) -> None:
        job = entry.job
        assert job is not None  # the queue hands out built jobs only
        self._report(JobEventKind.STARTED, entry, message="starting")
        try:
            result = self._drive(entry, job)
        except JobCancelled:
            self._report(JobEventKind.CANCELLED, entry)
        except UserFacingError as error:
            self._report(JobEventKind.FAILED, entry, message=str(error))
        except MemoryError:
            log.exception("%s ran out of memory", job.title)
            message = f"{job.title} ran out of memory. Try a smaller image or close other apps."
            self._report(JobEventKind.FAILED, entry, message=message)
        except Exception as error:
            log.exception("%s failed", job.title)
            self._report(JobEventKind.FAILED, entry, message=_one_line_message(job.title, error))
        else:
            if result is None or self._queue.is_cancel_requested(entry):
                self._report(JobEventKind.CANCELLED, entry)
            else:
                self._report(JobEventKind.FINISHED, entry, result=result)

    def _drive(self, entry: QueuedJob[Any], job: Job) -> JobResult | None:
        """Runs the job; ``None`` when it was cancelled between two yields."""
        if self._queue.is_cancel_requested(entry):
            return None
        if self._run_job is None:  # loading the engine failed: this raises the real error
            self._run_job = _engine_run_job()
        steps = self._run_job(job)
        if isinstance(steps, JobResult):
            return steps
        if not isinstance(steps, Iterator):
            raise TypeError(f"run_job returned {type(steps).__name__}, not a generator")
        last_emit, last_fraction = 0.0, 0.0
        while True:
            if self._queue.is_cancel_requested(entry):
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
                self._report(
                    JobEventKind.PROGRESS,
                    entry,
                    fraction=float(step.fraction),
                    message=step.message,
                )
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
