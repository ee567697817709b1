from __future__ import annotations

import os
import signal
import time

import pytest

from sdstudio.training import events as ev
from sdstudio.training.checkpoints import has_checkpoint
from sdstudio.training.config import run_dir_for
from sdstudio.training.process_runner import TrainingProcess
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
