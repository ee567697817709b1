"""The job queue: every job's state in one place, shared by the UI and the worker thread.

Each job in the app is a :class:`QueuedJob` here, from the click that asks for it until
its outcome is known: ``QUEUED``, then ``RUNNING``, then one of ``FINISHED``,
``FAILED`` or ``CANCELLED`` (after Krita AI Diffusion's ``JobQueue`` and ``JobState``).

Two kinds of job share the one worker thread:

- *Foreground* jobs (Repair, Style...: their result becomes an undo step) run one at a
  time, in the order asked for. Each is built when its turn comes, from the document as
  it is then (:meth:`JobQueue.turn_to_build`, :meth:`JobQueue.hand_over`), so a Style
  queued behind a Repair styles the repaired photo.
- *Background* jobs (style thumbnails) are built when added and run only while no
  foreground job is ready.

The worker thread takes jobs (:meth:`JobQueue.take_next`) and checks
:meth:`JobQueue.is_cancel_requested` between steps; what it reports comes back, on the
UI thread, through :meth:`JobQueue.apply`, which updates the state and returns the
:class:`JobEvent` the state change means. That is where "the person pressed Cancel
first" is decided: a result that arrives after Cancel was pressed becomes a cancel.

Pure Python (no Qt, no torch), so the rules are tested without a thread or a window.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

from sdstudio.jobs import Job, JobResult

ContextT = TypeVar("ContextT")


class JobState(Enum):
    QUEUED = "queued"  # waiting for its turn; a foreground job is not built yet
    RUNNING = "running"  # taken by the worker; its outcome has not been applied yet
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def settled(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


class JobEventKind(Enum):
    STARTED = "started"
    PROGRESS = "progress"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


_SETTLED_STATE = {
    JobEventKind.FINISHED: JobState.FINISHED,
    JobEventKind.FAILED: JobState.FAILED,
    JobEventKind.CANCELLED: JobState.CANCELLED,
}


@dataclass(eq=False)
class QueuedJob(Generic[ContextT]):
    """One job's life in the queue. Only the queue changes it; anyone may read it."""

    owner: str  # who asked, e.g. "repair"; decides whose button shows "busy"
    background: bool
    context: ContextT  # the asker's own data for the outcome (how to name or apply it)
    make_job: Callable[[], Job] | None = None  # foreground: builds the job at its turn
    job: Job | None = None
    state: JobState = JobState.QUEUED
    fraction: float = 0.0  # progress so far, 0..1; never goes back
    message: str = ""  # the latest progress message
    started_at: float | None = None  # when the worker began it (the queue's clock)
    cancel_requested: bool = False  # the worker reads it through the queue

    @property
    def job_id(self) -> int | None:
        return self.job.job_id if self.job is not None else None


@dataclass(frozen=True)
class JobEvent(Generic[ContextT]):
    """Something that happened to a job: reported by the worker, settled by the queue."""

    kind: JobEventKind
    entry: QueuedJob[ContextT]
    fraction: float = 0.0
    message: str = ""  # a progress message, or a failure's message for the person
    result: JobResult | None = None  # FINISHED only

    @property
    def job_id(self) -> int | None:
        return self.entry.job_id


class JobQueue(Generic[ContextT]):
    """The jobs not settled yet, in the order asked for, behind one lock.

    The UI thread adds, builds, cancels and applies; the worker thread only takes jobs
    and asks whether to stop. Settled jobs leave the queue; their :class:`QueuedJob`
    keeps its final state for whoever holds it.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._changed = threading.Condition()
        self._entries: list[QueuedJob[ContextT]] = []
        self._stopped = False

    # -- adding (UI thread) -----------------------------------------------------------------

    def add_foreground(
        self, owner: str, make_job: Callable[[], Job], context: ContextT
    ) -> QueuedJob[ContextT]:
        """Queues a foreground job; ``make_job`` is called at its turn (see ``turn_to_build``)."""
        return self._add(QueuedJob(owner, False, context, make_job=make_job))

    def add_background(self, owner: str, job: Job, context: ContextT) -> QueuedJob[ContextT]:
        return self._add(QueuedJob(owner, True, context, job=job))

    def _add(self, entry: QueuedJob[ContextT]) -> QueuedJob[ContextT]:
        with self._changed:
            if self._stopped:
                raise RuntimeError("the job queue has been stopped")
            self._entries.append(entry)
            self._changed.notify_all()
            return entry

    def turn_to_build(self) -> QueuedJob[ContextT] | None:
        """The foreground job whose job is to be built now: none while another is built."""
        with self._changed:
            if self._stopped or self._built_foreground() is not None:
                return None
            return next((e for e in self._entries if not e.background), None)

    def hand_over(self, entry: QueuedJob[ContextT], job: Job) -> None:
        """``entry``'s job is built: the worker may take it."""
        with self._changed:
            entry.job = job
            self._changed.notify_all()

    def fail_to_build(self, entry: QueuedJob[ContextT]) -> None:
        """Its job could not be built (the asker tells the person why): it never runs."""
        with self._changed:
            if entry in self._entries:
                self._settle(entry, JobEventKind.FAILED)

    # -- cancelling (UI thread) -------------------------------------------------------------

    def cancel(self, entry: QueuedJob[ContextT]) -> JobEvent[ContextT] | None:
        """Cancels ``entry``; the CANCELLED event when it is dropped at once.

        A queued job is dropped now and its event returned for the caller to handle like
        any other. A running one stops at its next step: the worker's event comes later,
        and whatever it reports is applied as a cancel. None also for a settled job.
        """
        with self._changed:
            if entry not in self._entries:
                return None
            if entry.state is JobState.QUEUED:
                return self._settle(entry, JobEventKind.CANCELLED)
            entry.cancel_requested = True
            return None

    def stop(self) -> list[JobEvent[ContextT]]:
        """Cancels every job and refuses new ones; the worker's wait for work ends.

        Returns the CANCELLED events of all the jobs, running ones included: what the
        worker reports about them later is stale (``apply`` returns None).
        """
        with self._changed:
            self._stopped = True
            settled = []
            for entry in list(self._entries):
                entry.cancel_requested = True
                settled.append(self._settle(entry, JobEventKind.CANCELLED))
            self._changed.notify_all()
            return settled

    # -- the worker's reports (UI thread) ----------------------------------------------------

    def apply(self, event: JobEvent[ContextT]) -> JobEvent[ContextT] | None:
        """Applies what the worker reported; the event as it stands, None when it is moot.

        Moot: about a job no longer here (cancelled while queued, or the queue stopped),
        or progress of a job that the person asked to stop.
        """
        with self._changed:
            entry = event.entry
            if entry not in self._entries:
                return None
            if event.kind in (JobEventKind.STARTED, JobEventKind.PROGRESS):
                if entry.cancel_requested:
                    return None
                if event.kind is JobEventKind.STARTED:
                    entry.started_at = self._clock()
                # Never backwards: a stage that restarts its count (a retry with smaller
                # tiles) must not look like lost work.
                entry.fraction = max(entry.fraction, event.fraction)
                entry.message = event.message
                return event
            if entry.cancel_requested:
                # Cancel was pressed before the outcome reached the UI: the person asked
                # for nothing to change, so a late result (or error) is dropped.
                return self._settle(entry, JobEventKind.CANCELLED)
            return self._settle(entry, event.kind, event.message, event.result)

    def _settle(
        self,
        entry: QueuedJob[ContextT],
        kind: JobEventKind,
        message: str = "",
        result: JobResult | None = None,
    ) -> JobEvent[ContextT]:
        entry.state = _SETTLED_STATE[kind]
        self._entries.remove(entry)
        return JobEvent(kind, entry, entry.fraction, message, result)

    # -- the worker thread ------------------------------------------------------------------

    def take_next(self) -> QueuedJob[ContextT] | None:
        """The next job to run, now RUNNING (blocks until there is one); None once stopped."""
        with self._changed:
            while not self._stopped:
                ready = [
                    e for e in self._entries if e.state is JobState.QUEUED and e.job is not None
                ]
                # min() keeps the order asked for among jobs of one kind.
                entry = min(ready, key=lambda e: e.background, default=None)
                if entry is not None:
                    entry.state = JobState.RUNNING
                    return entry
                self._changed.wait()
            return None

    def is_cancel_requested(self, entry: QueuedJob[ContextT]) -> bool:
        with self._changed:
            return entry.cancel_requested

    def is_stopped(self) -> bool:
        with self._changed:
            return self._stopped

    # -- reading ----------------------------------------------------------------------------

    def foreground_job(self) -> QueuedJob[ContextT] | None:
        """The built foreground job (running, or next to run), if any."""
        with self._changed:
            return self._built_foreground()

    def waiting_to_build(self) -> int:
        """Foreground jobs waiting for their turn behind the built one."""
        with self._changed:
            return sum(1 for e in self._entries if not e.background and e.job is None)

    def is_busy(self, owner: str | None = None) -> bool:
        """Whether a foreground job (of ``owner``, or of anyone) runs or waits."""
        with self._changed:
            return any(
                not e.background and (owner is None or e.owner == owner) for e in self._entries
            )

    def waiting(self) -> list[QueuedJob[ContextT]]:
        """The queued jobs, foreground before background, each kind in the order asked for."""
        with self._changed:
            queued = [e for e in self._entries if e.state is JobState.QUEUED]
            return sorted(queued, key=lambda e: e.background)  # sorted() is stable

    def find(self, job_id: int) -> QueuedJob[ContextT] | None:
        with self._changed:
            return next((e for e in self._entries if e.job_id == job_id), None)

    def __len__(self) -> int:
        with self._changed:
            return len(self._entries)

    def _built_foreground(self) -> QueuedJob[ContextT] | None:
        return next((e for e in self._entries if not e.background and e.job is not None), None)
