from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time

import pytest

from sdstudio.training import events as ev
from sdstudio.training import process_runner
from sdstudio.training.checkpoints import has_checkpoint
from sdstudio.training.config import TrainingConfig
from sdstudio.training.process_runner import TrainingProcess
from sdstudio.training.run_names import run_dir_for
from sdstudio.training.runs import read_run_state
from sdstudio.training.trainer import train
from tests.training.conftest import tiny_config
from tests.training.helpers import of_type, run_to_end


def _wait_for(process: TrainingProcess, seen: list, condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen.extend(process.poll())
        failed = of_type(seen, ev.RunFailed)
        assert not failed, failed[0].message + failed[0].details
        if condition(seen):
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out; last events: {seen[-3:]}")


def _last_step(seen: list) -> int:
    steps = of_type(seen, ev.StepDone)
    return steps[-1].step if steps else 0


@pytest.mark.slow
def test_a_killed_training_process_resumes_from_its_last_checkpoint(photo_folder):
    config = tiny_config(
        "repair", photo_folder, "killed", steps=500, checkpoint_every=4, validate_every=10_000
    )
    process = TrainingProcess(config, threads=1)
    process.start()
    seen: list = []
    try:
        _wait_for(process, seen, lambda s: any(e.step >= 9 for e in of_type(s, ev.CheckpointSaved)))
        last_seen = _last_step(seen)
        os.kill(process.pid, signal.SIGKILL)  # no chance to write anything more
        process.join(10)
    finally:
        process.kill()
    run = train(config, resume=True, steps=last_seen + 3)
    started = next(run)
    assert isinstance(started, ev.RunStarted)
    assert started.start_step % config.checkpoint_every == 0
    assert started.start_step >= last_seen - config.checkpoint_every  # lost at most N steps
    events, model_path = run_to_end(run)
    assert of_type(events, ev.StepDone)[-1].step == last_seen + 3 and model_path


@pytest.mark.slow
def test_pause_resume_and_cancel_leave_a_resumable_run(photo_folder):
    config = tiny_config(
        "enhance",
        photo_folder,
        "paused",
        steps=10_000,
        checkpoint_every=10_000,
        validate_every=10_000,
    )
    process = TrainingProcess(config, threads=1)
    process.start()
    seen: list = []
    try:
        _wait_for(process, seen, lambda s: _last_step(s) >= 2)
        process.pause()
        _wait_for(process, seen, lambda s: of_type(s, ev.RunPaused))
        paused_at = _last_step(seen)
        time.sleep(0.3)
        seen.extend(process.poll())
        assert _last_step(seen) == paused_at  # nothing runs while paused
        process.resume()
        _wait_for(process, seen, lambda s: _last_step(s) > paused_at + 2)
        assert of_type(seen, ev.RunResumed)
        process.cancel()
        _wait_for(process, seen, lambda s: of_type(s, ev.RunCancelled))
        process.join(20)
        assert not process.is_alive() and process.finished
    finally:
        process.kill()
    cancelled = of_type(seen, ev.RunCancelled)[0]
    assert cancelled.step >= paused_at + 2
    assert has_checkpoint(run_dir_for("paused"))
    started = next(train(config, resume=True))
    assert started.start_step == cancelled.step  # cancel keeps every finished step


def _drain(events) -> list:
    received = []
    while True:
        try:
            received.append(events.get(timeout=2))
        except queue.Empty:
            return received


def test_a_training_process_whose_editor_is_gone_stops_with_a_checkpoint(photo_folder, monkeypatch):
    """An editor killed or crashed mid-run used to leave the child training on, unseen,
    to the end: a later Resume then jumped straight to "Done". Now it stops at once."""
    assert not process_runner._parent_is_gone()  # the test process has no parent to lose
    looks = {"n": 0}

    def parent_gone_after_some_steps() -> bool:
        looks["n"] += 1  # the child looks once per event it forwards
        return looks["n"] > 12

    monkeypatch.setattr(process_runner, "_parent_is_gone", parent_gone_after_some_steps)
    config = tiny_config("repair", photo_folder, "orphan", steps=200, validate_every=10_000)
    context = multiprocessing.get_context("spawn")
    events, control = context.Queue(), context.Queue()
    process_runner._child_main(config.to_json(), False, None, 1, events, control)

    seen = _drain(events)
    assert not of_type(seen, ev.RunFailed) and not of_type(seen, ev.RunFinished)
    last = _last_step(seen)
    assert 0 < last < config.steps
    started = next(train(config, resume=True))
    assert started.start_step == last  # stopping wrote a checkpoint of every finished step


def _editor_that_trains(config_json: str, news) -> None:
    """Stands in for the editor (in its own process): starts a run and follows it."""
    process = TrainingProcess(TrainingConfig.from_json(config_json), threads=1)
    process.start()
    while True:
        if any(isinstance(e, ev.StepDone) and e.step >= 2 for e in process.poll()):
            news.put("training")
        time.sleep(0.05)


@pytest.mark.slow
def test_killing_the_editor_stops_its_training_process_with_a_checkpoint(photo_folder):
    # No periodic checkpoint after step 0: one with a later step is the orphan's stop.
    config = tiny_config(
        "enhance",
        photo_folder,
        "editor killed",
        steps=100_000,
        checkpoint_every=100_000,
        checkpoint_every_s=1e9,
        validate_every=100_000,
    )
    context = multiprocessing.get_context("spawn")
    news = context.Queue()
    editor = context.Process(target=_editor_that_trains, args=(config.to_json(), news))
    editor.start()
    try:
        assert news.get(timeout=120) == "training"
    finally:
        editor.kill()
        editor.join(10)
    run_dir = run_dir_for("editor killed")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = read_run_state(run_dir) or {}
        if state.get("step", 0) > 0:
            break
        time.sleep(0.1)
    assert state.get("step", 0) >= 2 and state["finished"] is False
    time.sleep(1.0)
    assert read_run_state(run_dir) == state  # it stopped; nothing trains on unseen
    started = next(train(config, resume=True))
    assert started.start_step == state["step"]
