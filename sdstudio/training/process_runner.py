"""Runs a training generator in its own process (spawn), with pause, resume and cancel.

A separate process keeps the window responsive (training holds the GIL and the CPU),
makes Cancel reliable (the process can always be ended) and keeps a crash in native code
from taking the editor with it. The child sends :mod:`sdstudio.training.events` values
over a queue; the parent sends "pause", "resume" and "cancel" over another. Cancel closes
the training generator, which writes a checkpoint, so the run can be resumed. The spawn
start method works the same on every platform and never forks a threaded Qt process; a
frozen build needs ``multiprocessing.freeze_support()`` first (``sdstudio.__main__``).

The child stops by itself (with a checkpoint, as on cancel) when the editor that started it
is gone: a killed or crashed editor would otherwise leave an orphan that trains on unseen,
finishes the run, and makes a later Resume jump straight to "Done".

This module imports neither torch nor Qt: only the child process imports torch.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from dataclasses import asdict
from pathlib import Path

from sdstudio.errors import UserFacingError
from sdstudio.training.config import TrainingConfig, training_threads
from sdstudio.training.events import (
    RunCancelled,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
    StepDone,
    TrainingEvent,
)

PAUSE, RESUME, CANCEL = "pause", "resume", "cancel"
ORPHANED = "orphaned"  # not sent by anyone: the editor that started the run has ended
PARENT_CHECK_S = 1.0  # while paused: how often the child looks whether the editor is gone


def _parent_is_gone() -> bool:
    """True once the process that started this one has ended (never in a main process)."""
    parent = multiprocessing.parent_process()
    return parent is not None and not parent.is_alive()


def _child_main(
    config_json: str,
    resume: bool,
    steps: int | None,
    threads: int | None,
    events: multiprocessing.Queue,
    control: multiprocessing.Queue,
    run_dir: str | None = None,
) -> None:
    """Entry point of the training process."""
    step = 0
    checkpoint = ""
    try:
        if threads:
            import torch

            torch.set_num_threads(threads)
        from sdstudio.training.trainer import train

        config = TrainingConfig.from_json(config_json)
        run = train(config, resume=resume, steps=steps, run_dir=run_dir)
        while True:
            command = _next_command(control, block=False)
            if command == PAUSE:
                events.put(RunPaused(step))
                while command not in (RESUME, CANCEL, ORPHANED):
                    command = _next_command(control, block=True, timeout=PARENT_CHECK_S)
                if command == RESUME:
                    events.put(RunResumed(step))
            if command in (CANCEL, ORPHANED):
                run.close()  # writes the checkpoint
                if command == ORPHANED:
                    # Nobody reads the queue any more: exiting must not wait to flush it.
                    events.cancel_join_thread()
                    return
                events.put(RunCancelled(step, checkpoint))
                return
            try:
                event = next(run)
            except StopIteration:
                return
            if isinstance(event, RunStarted):
                step = event.start_step
                checkpoint = f"{event.run_dir}/checkpoint.pt"
            elif isinstance(event, StepDone):
                step = event.step
            events.put(event)
    except UserFacingError as error:
        events.put(RunFailed(str(error)))
    except Exception as error:  # the parent must hear about every failure
        events.put(
            RunFailed(f"Training failed unexpectedly: {error}", details=traceback.format_exc())
        )


def _next_command(
    control: multiprocessing.Queue, *, block: bool, timeout: float | None = None
) -> str | None:
    """The editor's next command; ORPHANED when there is none and the editor is gone."""
    try:
        return control.get(block=block, timeout=timeout if block else 0)
    except queue.Empty:
        return ORPHANED if _parent_is_gone() else None


class TrainingProcess:
    """A training run in a child process; ``poll()`` returns its new events."""

    def __init__(
        self,
        config: TrainingConfig,
        *,
        resume: bool = False,
        steps: int | None = None,
        threads: int | None = None,
        run_dir: str | Path | None = None,
    ) -> None:
        """``run_dir``: the folder of the run to resume (default: the folder of its name)."""
        self.config = config
        context = multiprocessing.get_context("spawn")
        self._events = context.Queue()
        self._control = context.Queue()
        self._process = context.Process(
            target=_child_main,
            args=(
                config.to_json(),
                resume,
                steps,
                threads or training_threads(),
                self._events,
                self._control,
                str(run_dir) if run_dir is not None else None,
            ),
            name=f"sdstudio-training-{config.name}",
            daemon=True,
        )
        self.paused = False
        self.finished = False  # a final event (finished, cancelled, failed) was received

    def start(self) -> None:
        self._process.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def is_alive(self) -> bool:
        return self._process.is_alive()

    def poll(self, limit: int = 1000) -> list[TrainingEvent]:
        """Events received since the last call (never blocks)."""
        received: list[TrainingEvent] = []
        while len(received) < limit:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                break
            except (EOFError, OSError):
                break
            received.append(event)
            if isinstance(event, RunFinished | RunCancelled | RunFailed):
                self.finished = True
        if not received and not self.finished and self._process.exitcode not in (None, 0):
            self.finished = True
            received.append(
                RunFailed(
                    f"The training process stopped unexpectedly (exit code "
                    f"{self._process.exitcode}). Resume the run to continue from its last "
                    "checkpoint."
                )
            )
        return received

    def pause(self) -> None:
        self._control.put(PAUSE)
        self.paused = True

    def resume(self) -> None:
        self._control.put(RESUME)
        self.paused = False

    def cancel(self) -> None:
        """Asks the run to stop after writing a checkpoint (a ``RunCancelled`` follows)."""
        self._control.put(CANCEL)

    def kill(self) -> None:
        """Ends the process at once; the last periodic checkpoint stays resumable."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)

    def join(self, timeout: float | None = None) -> None:
        self._process.join(timeout)


def describe(event: TrainingEvent) -> dict:
    """An event as a plain dict (logs, tests)."""
    return {"type": type(event).__name__, **asdict(event)}
