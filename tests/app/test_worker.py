"""The job worker with a scripted fake engine: order, progress, cancel, errors, shutdown."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import QObject, Qt, Slot

from sdstudio.app.worker import JobWorker
from sdstudio.errors import UserFacingError
from sdstudio.job_queue import JobEvent, JobQueue, QueuedJob
from sdstudio.jobs import EnhanceJob, Job, JobResult, RepairJob, StyleJob
from tests.app.fake_engine import FakeEngine, expected_image
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401  (autouse)


def _image(height: int = 8, width: int = 8) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)


def _repair_job() -> RepairJob:
    mask = np.zeros((8, 8), np.uint8)
    mask[2:4, 2:4] = 255
    return RepairJob(_image(), mask)


class Runner(QObject):
    """The UI side as the job controller has it: the queue, the worker, and each event as
    the queue settled it, as (kind, job id, details...) in arrival order."""

    def __init__(self, engine, **worker_options) -> None:
        super().__init__()
        self.queue: JobQueue[None] = JobQueue()
        self.worker = JobWorker(self.queue, engine, **worker_options)
        self.worker.event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self.events: list[tuple] = []
        self.ui_thread = threading.current_thread()
        self.off_ui_thread = False

    def submit(self, job: Job, *, background: bool = False) -> QueuedJob[None]:
        if background:
            entry = self.queue.add_background("style", job, None)
        else:
            entry = self.queue.add_foreground("repair", lambda: job, None)
            self._build_turn()
        self.worker.ensure_running()
        return entry

    def cancel(self, entry: QueuedJob[None]) -> None:
        self._record(self.queue.cancel(entry))

    def shutdown(self) -> None:
        for event in self.queue.stop():
            self._record(event)
        self.worker.wait()

    def names(self, job_id: int) -> list[str]:
        return [event[0] for event in self.events if event[1] == job_id]

    def count(self, name: str) -> int:
        return sum(1 for event in self.events if event[0] == name)

    @Slot(object)
    def _on_event(self, event: JobEvent[None]) -> None:
        self.off_ui_thread |= threading.current_thread() is not self.ui_thread
        self._record(self.queue.apply(event))

    def _record(self, event: JobEvent[None] | None) -> None:
        if event is None:
            return
        title = event.entry.job.title if event.entry.job is not None else ""
        details = {
            "started": (title,),
            "progress": (event.fraction,),
            "finished": (event.result,),
            "failed": (event.message,),
        }
        self.events.append((event.kind.value, event.job_id, *details.get(event.kind.value, ())))
        if event.entry.state.settled:
            self._build_turn()

    def _build_turn(self) -> None:
        while (entry := self.queue.turn_to_build()) is not None:
            self.queue.hand_over(entry, entry.make_job())


@pytest.fixture
def make_runner(qtbot):
    runners: list[Runner] = []

    def make(engine) -> Runner:
        runner = Runner(engine, progress_interval=0.0)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.shutdown()


def test_progress_arrives_in_order_then_the_result(qtbot, make_runner):
    engine = FakeEngine(steps=6)
    runner = make_runner(engine)
    job = _repair_job()
    entry = runner.submit(job)
    assert entry.job is job
    qtbot.waitUntil(lambda: runner.count("finished") == 1, timeout=5000)
    _, job_id, result = runner.events[-1]
    assert job_id == job.job_id
    assert isinstance(result, JobResult)
    np.testing.assert_array_equal(result.image, expected_image(job))
    assert runner.names(job.job_id) == ["started"] + ["progress"] * 6 + ["finished"]
    fractions = [event[2] for event in runner.events if event[0] == "progress"]
    assert fractions == pytest.approx([(i + 1) / 6 for i in range(6)])
    assert runner.events[0] == ("started", job.job_id, "Repair")
    assert not runner.off_ui_thread
    assert engine.threads[0] is not threading.main_thread()


def test_queue_runs_jobs_one_after_another_in_order(qtbot, make_runner):
    engine = FakeEngine(steps=2, step_seconds=0.01)
    runner = make_runner(engine)
    jobs = [_repair_job(), StyleJob(_image(), "pencil"), EnhanceJob(_image(), scale=2)]
    for job in jobs:
        runner.submit(job)
    qtbot.waitUntil(lambda: runner.count("finished") == 3, timeout=5000)
    ids = [job.job_id for job in jobs]
    assert engine.started_ids == ids
    assert [e[1] for e in runner.events if e[0] == "started"] == ids
    # One at a time: a job starts only after the one before it finished.
    order = [(e[0], e[1]) for e in runner.events if e[0] in ("started", "finished")]
    assert order == [(kind, i) for i in ids for kind in ("started", "finished")]
    assert runner.events[-1][2].image.shape == (16, 16, 3)


def test_normal_jobs_overtake_waiting_background_jobs(qtbot, make_runner):
    engine = FakeEngine(steps=3, step_seconds=0.02)
    runner = make_runner(engine)
    first = StyleJob(_image(), "a")
    background = [StyleJob(_image(), f"thumb{i}") for i in range(2)]
    urgent = _repair_job()
    runner.submit(first, background=True)
    assert engine.step_entered.wait(5)  # the first background job is running
    for job in background:
        runner.submit(job, background=True)
    runner.submit(urgent)
    waiting = [entry.job_id for entry in runner.queue.waiting()]
    assert waiting == [urgent.job_id] + [j.job_id for j in background]
    qtbot.waitUntil(lambda: len(engine.finished_ids) == 4, timeout=5000)
    assert engine.started_ids == [first.job_id, urgent.job_id] + [j.job_id for j in background]


def test_cancel_a_running_job_stops_it_within_a_second(qtbot, make_runner):
    engine = FakeEngine(steps=200, step_seconds=0.05)  # 10 s if nobody stops it
    runner = make_runner(engine)
    job = _repair_job()
    entry = runner.submit(job)
    qtbot.waitUntil(lambda: "progress" in runner.names(job.job_id), timeout=5000)
    requested = time.monotonic()
    runner.cancel(entry)
    assert runner.queue.is_cancel_requested(entry)  # it stops at its next step
    qtbot.waitUntil(lambda: "cancelled" in runner.names(job.job_id), timeout=1000)
    assert time.monotonic() - requested < 1.0
    assert engine.closed_ids == [job.job_id]
    assert "finished" not in runner.names(job.job_id)
    assert runner.queue.foreground_job() is None
    qtbot.wait(100)
    assert runner.names(job.job_id)[-1] == "cancelled"
    assert not any(
        e[0] == "progress" for e in runner.events[runner.events.index(("cancelled", job.job_id)) :]
    )


def test_cancel_a_queued_job_drops_it_and_the_rest_still_run(qtbot, make_runner):
    engine = FakeEngine(steps=3, step_seconds=0.02)
    runner = make_runner(engine)
    first, second, third = (StyleJob(_image(), f"thumb{i}") for i in range(3))
    entries = [runner.submit(job, background=True) for job in (first, second, third)]
    runner.cancel(entries[1])
    assert ("cancelled", second.job_id) in runner.events  # at once
    qtbot.waitUntil(lambda: len(engine.finished_ids) == 2, timeout=5000)
    assert engine.started_ids == [first.job_id, third.job_id]
    assert runner.queue.cancel(entries[1]) is None  # already gone


def test_a_result_that_arrives_after_cancel_is_dropped(qtbot, make_runner):
    engine = FakeEngine(steps=1)
    runner = make_runner(engine)
    job = _repair_job()
    entry = runner.submit(job)
    # Wait until the engine has returned, without letting the UI thread see the result.
    deadline = time.monotonic() + 5
    while job.job_id not in engine.finished_ids and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.1)  # the worker reports the result
    # Too late for the thread, but the result has not reached the UI yet: cancel wins.
    runner.cancel(entry)
    qtbot.waitUntil(lambda: ("cancelled", job.job_id) in runner.events, timeout=2000)
    assert "finished" not in runner.names(job.job_id)


def test_user_facing_error_message_is_passed_on(qtbot, make_runner):
    engine = FakeEngine(steps=3, fail_at_step=1, error=UserFacingError("The mask is empty."))
    runner = make_runner(engine)
    job = _repair_job()
    runner.submit(job)
    qtbot.waitUntil(lambda: runner.count("failed") == 1, timeout=5000)
    assert runner.events[-1] == ("failed", job.job_id, "The mask is empty.")


def test_unexpected_error_becomes_one_readable_line_and_is_logged(qtbot, make_runner, caplog):
    engine = FakeEngine(steps=3, fail_at_step=0, error=ValueError("tile size\nmust be > 0"))
    runner = make_runner(engine)
    runner.submit(_repair_job())
    qtbot.waitUntil(lambda: runner.count("failed") == 1, timeout=5000)
    message = runner.events[-1][2]
    assert "\n" not in message
    assert message.startswith("Repair failed: tile size must be > 0")
    assert "unchanged" in message
    assert any(record.exc_info for record in caplog.records if "Repair failed" in record.message)

    # The worker goes on with the next job.
    engine.fail_at_step = None
    runner.submit(_repair_job())
    qtbot.waitUntil(lambda: runner.count("finished") == 1, timeout=5000)


def test_engine_that_returns_no_result_is_an_error(qtbot, make_runner):
    def bad_engine(job):
        yield from ()
        return "not a result"

    runner = make_runner(bad_engine)
    runner.submit(_repair_job())
    qtbot.waitUntil(lambda: runner.count("failed") == 1, timeout=5000)
    assert "Repair failed" in runner.events[-1][2]


def test_shutdown_cancels_running_and_queued_jobs_and_stops_the_thread(qtbot):
    engine = FakeEngine(steps=200, step_seconds=0.05)
    runner = Runner(engine, progress_interval=0.0)
    running, queued = _repair_job(), StyleJob(_image(), "thumb")
    runner.submit(running)
    runner.submit(queued, background=True)
    assert engine.step_entered.wait(5)
    started = time.monotonic()
    runner.shutdown()
    assert time.monotonic() - started < 1.0
    assert not runner.worker.isRunning()
    assert ("cancelled", running.job_id) in runner.events
    assert ("cancelled", queued.job_id) in runner.events
    assert engine.closed_ids == [running.job_id]
    runner.shutdown()  # twice is fine
    with pytest.raises(RuntimeError):
        runner.submit(_repair_job())


def test_no_thread_is_started_before_there_is_work(qtbot):
    runner = Runner(FakeEngine())
    runner.worker.prewarm()  # a scripted engine has nothing to import
    assert not runner.worker.isRunning()
    runner.shutdown()
