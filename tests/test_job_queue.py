"""The job queue's rules, without a thread or a window: order, states, cancel, stop."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from sdstudio.job_queue import JobEvent, JobEventKind, JobQueue, JobState
from sdstudio.jobs import JobResult, RepairJob


def _job() -> RepairJob:
    return RepairJob(np.zeros((4, 4, 3), np.uint8), np.full((4, 4), 255, np.uint8))


def _result() -> JobResult:
    return JobResult(np.ones((4, 4, 3), np.uint8))


def _build_turn(queue: JobQueue) -> list:
    """What the controller does: builds each foreground job whose turn has come."""
    built = []
    while (entry := queue.turn_to_build()) is not None:
        queue.hand_over(entry, entry.make_job())
        built.append(entry)
    return built


def _report(queue: JobQueue, kind: JobEventKind, entry, **details) -> JobEvent | None:
    return queue.apply(JobEvent(kind, entry, **details))


def test_a_job_goes_from_queued_to_running_to_finished():
    now = [10.0]
    queue: JobQueue[str] = JobQueue(clock=lambda: now[0])
    job = _job()
    entry = queue.add_background("style", job, "context")
    assert entry.state is JobState.QUEUED and entry.job_id == job.job_id
    assert queue.take_next() is entry
    assert entry.state is JobState.RUNNING
    started = _report(queue, JobEventKind.STARTED, entry, message="starting")
    assert started is not None and entry.started_at == 10.0 and entry.message == "starting"
    _report(queue, JobEventKind.PROGRESS, entry, fraction=0.6, message="tile 3/5")
    # A stage that restarts its count does not move the bar back.
    _report(queue, JobEventKind.PROGRESS, entry, fraction=0.2, message="retrying")
    assert entry.fraction == 0.6 and entry.message == "retrying"
    result = _result()
    finished = _report(queue, JobEventKind.FINISHED, entry, result=result)
    assert finished is not None and finished.kind is JobEventKind.FINISHED
    assert finished.result is result and finished.job_id == job.job_id
    assert entry.state is JobState.FINISHED and entry.state.settled
    assert len(queue) == 0 and queue.find(job.job_id) is None
    # Anything the worker says about it afterwards is moot.
    assert _report(queue, JobEventKind.PROGRESS, entry, fraction=1.0) is None


def test_foreground_jobs_are_built_one_at_a_time_in_the_order_asked():
    queue: JobQueue[None] = JobQueue()
    jobs = [_job(), _job(), _job()]
    entries = [queue.add_foreground("repair", lambda job=job: job, None) for job in jobs]
    assert _build_turn(queue) == [entries[0]]  # the others wait, unbuilt
    assert [e.job for e in entries[1:]] == [None, None]
    assert queue.foreground_job() is entries[0] and queue.waiting_to_build() == 2
    for index, entry in enumerate(entries):
        assert queue.take_next() is entry
        assert _build_turn(queue) == []  # not before the running one has settled
        _report(queue, JobEventKind.FINISHED, entry, result=_result())
        assert _build_turn(queue) == entries[index + 1 : index + 2]
    assert not queue.is_busy()


def test_foreground_jobs_overtake_waiting_background_jobs():
    queue: JobQueue[None] = JobQueue()
    first = queue.add_background("style", _job(), None)
    assert queue.take_next() is first
    thumbnails = [queue.add_background("style", _job(), None) for _ in range(2)]
    urgent = queue.add_foreground("repair", _job, None)
    _build_turn(queue)
    assert queue.waiting() == [urgent, *thumbnails]
    assert queue.take_next() is urgent
    # While the foreground job runs (and the next one is not built), thumbnails go on.
    follow_up = queue.add_foreground("style", _job, None)
    assert _build_turn(queue) == []
    assert queue.take_next() is thumbnails[0]
    _report(queue, JobEventKind.FINISHED, urgent, result=_result())
    assert _build_turn(queue) == [follow_up]
    assert queue.take_next() is follow_up  # built: ahead of the last thumbnail
    assert queue.take_next() is thumbnails[1]


def test_busy_means_a_foreground_job_of_that_owner_runs_or_waits():
    queue: JobQueue[None] = JobQueue()
    queue.add_background("style", _job(), None)
    assert not queue.is_busy() and not queue.is_busy("style")  # thumbnails never count
    entry = queue.add_foreground("repair", _job, None)
    assert queue.is_busy() and queue.is_busy("repair") and not queue.is_busy("style")
    assert queue.foreground_job() is None  # asked for, not built yet
    _build_turn(queue)
    assert queue.foreground_job() is entry and queue.find(entry.job_id) is entry


def test_a_queued_job_is_cancelled_at_once_and_never_runs():
    queue: JobQueue[None] = JobQueue()
    dropped = queue.add_background("style", _job(), None)
    kept = queue.add_background("style", _job(), None)
    event = queue.cancel(dropped)
    assert event is not None and event.kind is JobEventKind.CANCELLED and event.entry is dropped
    assert dropped.state is JobState.CANCELLED
    assert queue.cancel(dropped) is None  # already gone
    assert queue.take_next() is kept


def test_cancel_of_a_running_job_is_applied_to_what_the_worker_reports_next():
    queue: JobQueue[None] = JobQueue()
    entry = queue.add_background("style", _job(), None)
    queue.take_next()
    assert not queue.is_cancel_requested(entry)
    assert queue.cancel(entry) is None  # the worker stops at its next step
    assert queue.is_cancel_requested(entry) and entry.state is JobState.RUNNING
    assert _report(queue, JobEventKind.PROGRESS, entry, fraction=0.5) is None
    assert entry.fraction == 0.0  # the bar does not move after Cancel
    # The result was computed before the worker saw the cancel: it is dropped.
    event = _report(queue, JobEventKind.FINISHED, entry, result=_result())
    assert event is not None and event.kind is JobEventKind.CANCELLED and event.result is None
    assert entry.state is JobState.CANCELLED


def test_a_failure_after_cancel_is_a_cancel_and_a_failure_keeps_its_message():
    queue: JobQueue[None] = JobQueue()
    cancelled, failing = (queue.add_background("style", _job(), None) for _ in range(2))
    queue.take_next()
    queue.cancel(cancelled)
    event = _report(queue, JobEventKind.FAILED, cancelled, message="boom")
    assert event is not None and event.kind is JobEventKind.CANCELLED
    queue.take_next()
    event = _report(queue, JobEventKind.FAILED, failing, message="The mask is empty.")
    assert event is not None and event.kind is JobEventKind.FAILED
    assert event.message == "The mask is empty." and failing.state is JobState.FAILED


def test_a_job_that_cannot_be_built_fails_and_the_next_gets_its_turn():
    queue: JobQueue[None] = JobQueue()
    broken = queue.add_foreground("repair", _job, None)
    following = queue.add_foreground("style", _job, None)
    assert queue.turn_to_build() is broken
    queue.fail_to_build(broken)
    assert broken.state is JobState.FAILED and not queue.is_busy("repair")
    assert queue.turn_to_build() is following


def test_take_next_waits_for_work_and_stop_ends_the_wait():
    queue: JobQueue[None] = JobQueue()
    taken = []
    worker = threading.Thread(target=lambda: taken.extend([queue.take_next(), queue.take_next()]))
    worker.start()
    entry = queue.add_background("style", _job(), None)
    queue.hand_over(entry, entry.job)  # any change wakes the worker; it takes only jobs
    worker.join(0.05)
    assert worker.is_alive()  # the first take returned; the second waits for work
    queue.stop()
    worker.join(2)
    assert not worker.is_alive()
    assert taken == [entry, None]


def test_stop_cancels_everything_and_refuses_new_jobs():
    queue: JobQueue[None] = JobQueue()
    running = queue.add_background("style", _job(), None)
    queue.take_next()
    queued = queue.add_foreground("repair", _job, None)
    events = queue.stop()
    assert [(e.kind, e.entry) for e in events] == [
        (JobEventKind.CANCELLED, running),
        (JobEventKind.CANCELLED, queued),
    ]
    assert queue.is_cancel_requested(running)  # the worker stops at its next step
    assert _report(queue, JobEventKind.FINISHED, running, result=_result()) is None
    assert queue.take_next() is None and queue.turn_to_build() is None
    with pytest.raises(RuntimeError):
        queue.add_background("style", _job(), None)


def test_the_queue_imports_neither_qt_nor_torch():
    probe = (
        "import sys, sdstudio.job_queue; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'PySide6', 'cv2'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "[]"
