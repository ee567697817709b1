"""The job worker with a scripted fake engine: order, progress, cancel, errors, shutdown."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from sdstudio.app.worker import JobPriority, JobWorker
from sdstudio.errors import UserFacingError
from sdstudio.jobs import EnhanceJob, JobResult, RepairJob, StyleJob
from tests.app.fake_engine import FakeEngine, expected_image
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401  (autouse)


def _image(height: int = 8, width: int = 8) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _repair_job() -> RepairJob:
    mask = np.zeros((8, 8), np.uint8)
    mask[2:4, 2:4] = 255
    return RepairJob(_image(), mask)


class Recorder:
    """Collects every worker signal as (name, args) in arrival order."""

    def __init__(self, worker: JobWorker) -> None:
        self.events: list[tuple] = []
        self.ui_thread = threading.current_thread()
        self.off_ui_thread = False
        for name in ("started", "progress", "finished", "failed", "cancelled"):
            getattr(worker, name).connect(lambda *args, name=name: self._record(name, args))

    def _record(self, name: str, args: tuple) -> None:
        self.off_ui_thread |= threading.current_thread() is not self.ui_thread
        self.events.append((name, *args))

    def names(self, job_id: int) -> list[str]:
        return [event[0] for event in self.events if event[1] == job_id]


@pytest.fixture
def make_worker(qtbot):
    workers: list[JobWorker] = []

    def make(engine, **kwargs) -> JobWorker:
        worker = JobWorker(engine, progress_interval=0.0, **kwargs)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.shutdown()


def test_progress_arrives_in_order_then_the_result(qtbot, make_worker):
    engine = FakeEngine(steps=6)
    worker = make_worker(engine)
    recorder = Recorder(worker)
    job = _repair_job()
    with qtbot.waitSignal(worker.finished, timeout=5000) as blocker:
        assert worker.submit(job) == job.job_id
    job_id, result = blocker.args
    assert job_id == job.job_id
    assert isinstance(result, JobResult)
    np.testing.assert_array_equal(result.image, expected_image(job))
    assert recorder.names(job.job_id) == ["started"] + ["progress"] * 6 + ["finished"]
    fractions = [event[2] for event in recorder.events if event[0] == "progress"]
    assert fractions == pytest.approx([(i + 1) / 6 for i in range(6)])
    assert recorder.events[0] == ("started", job.job_id, "Repair")
    assert not recorder.off_ui_thread
    assert engine.threads[0] is not threading.main_thread()


def test_queue_runs_jobs_one_after_another_in_order(qtbot, make_worker):
    engine = FakeEngine(steps=2, step_seconds=0.01)
    worker = make_worker(engine)
    recorder = Recorder(worker)
    jobs = [_repair_job(), StyleJob(_image(), "pencil"), EnhanceJob(_image(), scale=2)]
    for job in jobs:
        worker.submit(job)
    qtbot.waitUntil(
        lambda: len([e for e in recorder.events if e[0] == "finished"]) == 3, timeout=5000
    )
    ids = [job.job_id for job in jobs]
    assert engine.started_ids == ids
    assert [e[1] for e in recorder.events if e[0] == "started"] == ids
    # One at a time: a job starts only after the one before it finished.
    order = [(e[0], e[1]) for e in recorder.events if e[0] in ("started", "finished")]
    assert order == [(kind, i) for i in ids for kind in ("started", "finished")]
    assert recorder.events[-1][2].image.shape == (16, 16, 3)


def test_normal_jobs_overtake_waiting_background_jobs(qtbot, make_worker):
    engine = FakeEngine(steps=3, step_seconds=0.02)
    worker = make_worker(engine)
    first = StyleJob(_image(), "a")
    background = [StyleJob(_image(), f"thumb{i}") for i in range(2)]
    urgent = _repair_job()
    worker.submit(first, JobPriority.BACKGROUND)
    assert engine.step_entered.wait(5)  # the first background job is running
    for job in background:
        worker.submit(job, JobPriority.BACKGROUND)
    worker.submit(urgent)
    assert worker.pending_job_ids() == [urgent.job_id] + [j.job_id for j in background]
    qtbot.waitUntil(lambda: len(engine.finished_ids) == 4, timeout=5000)
    assert engine.started_ids == [first.job_id, urgent.job_id] + [j.job_id for j in background]


def test_cancel_a_running_job_stops_it_within_a_second(qtbot, make_worker):
    engine = FakeEngine(steps=200, step_seconds=0.05)  # 10 s if nobody stops it
    worker = make_worker(engine)
    recorder = Recorder(worker)
    job = _repair_job()
    with qtbot.waitSignal(worker.progress, timeout=5000):
        worker.submit(job)
    requested = time.monotonic()
    with qtbot.waitSignal(worker.cancelled, timeout=1000) as blocker:
        assert worker.cancel() is True
    assert time.monotonic() - requested < 1.0
    assert blocker.args == [job.job_id]
    assert engine.closed_ids == [job.job_id]
    assert "finished" not in recorder.names(job.job_id)
    assert worker.current_job_id() is None
    qtbot.wait(100)
    assert recorder.names(job.job_id)[-1] == "cancelled"
    assert not any(
        e[0] == "progress"
        for e in recorder.events[recorder.events.index(("cancelled", job.job_id)) :]
    )


def test_cancel_a_queued_job_drops_it_and_the_rest_still_run(qtbot, make_worker):
    engine = FakeEngine(steps=3, step_seconds=0.02)
    worker = make_worker(engine)
    recorder = Recorder(worker)
    first, second, third = _repair_job(), _repair_job(), _repair_job()
    for job in (first, second, third):
        worker.submit(job)
    assert worker.cancel(second.job_id) is True
    assert ("cancelled", second.job_id) in recorder.events
    qtbot.waitUntil(lambda: len(engine.finished_ids) == 2, timeout=5000)
    assert engine.started_ids == [first.job_id, third.job_id]
    assert worker.cancel(second.job_id) is False  # already gone


def test_a_result_that_arrives_after_cancel_is_dropped(qtbot, make_worker):
    engine = FakeEngine(steps=1)
    worker = make_worker(engine)
    recorder = Recorder(worker)
    job = _repair_job()
    worker.submit(job)
    # Wait until the engine has returned, without letting the UI thread see the result.
    deadline = time.monotonic() + 5
    while job.job_id not in engine.finished_ids and time.monotonic() < deadline:
        time.sleep(0.005)
    while worker.current_job_id() == job.job_id and time.monotonic() < deadline:
        time.sleep(0.005)
    # Too late for the thread, but the result has not reached the UI yet: cancel wins.
    worker._cancelled_ids.add(job.job_id)
    qtbot.waitUntil(lambda: ("cancelled", job.job_id) in recorder.events, timeout=2000)
    assert "finished" not in recorder.names(job.job_id)


def test_user_facing_error_message_is_passed_on(qtbot, make_worker):
    engine = FakeEngine(steps=3, fail_at_step=1, error=UserFacingError("The mask is empty."))
    worker = make_worker(engine)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        job_id = worker.submit(_repair_job())
    assert blocker.args == [job_id, "The mask is empty."]


def test_unexpected_error_becomes_one_readable_line_and_is_logged(qtbot, make_worker, caplog):
    engine = FakeEngine(steps=3, fail_at_step=0, error=ValueError("tile size\nmust be > 0"))
    worker = make_worker(engine)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit(_repair_job())
    message = blocker.args[1]
    assert "\n" not in message
    assert message.startswith("Repair failed: tile size must be > 0")
    assert "unchanged" in message
    assert any(record.exc_info for record in caplog.records if "Repair failed" in record.message)

    # The worker goes on with the next job.
    engine.fail_at_step = None
    with qtbot.waitSignal(worker.finished, timeout=5000):
        worker.submit(_repair_job())


def test_engine_that_returns_no_result_is_an_error(qtbot, make_worker):
    def bad_engine(job):
        yield from ()
        return "not a result"

    worker = make_worker(bad_engine)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit(_repair_job())
    assert "Repair failed" in blocker.args[1]


def test_shutdown_cancels_running_and_queued_jobs_and_stops_the_thread(qtbot):
    engine = FakeEngine(steps=200, step_seconds=0.05)
    worker = JobWorker(engine, progress_interval=0.0)
    recorder = Recorder(worker)
    running, queued = _repair_job(), _repair_job()
    worker.submit(running)
    worker.submit(queued)
    assert engine.step_entered.wait(5)
    started = time.monotonic()
    worker.shutdown()
    assert time.monotonic() - started < 1.0
    assert not worker.is_running()
    assert ("cancelled", queued.job_id) in recorder.events
    assert engine.closed_ids == [running.job_id]
    worker.shutdown()  # twice is fine
    with pytest.raises(RuntimeError):
        worker.submit(_repair_job())


def test_no_thread_is_started_before_there_is_work(qtbot):
    worker = JobWorker(FakeEngine())
    assert not worker.is_running()
    worker.shutdown()
