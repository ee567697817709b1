"""Training batches rendered ahead by worker processes, for devices faster than one core.

An objective's batch maker is plain single-threaded numpy (about 6 ms per 96 px enhance
crop), so a GPU step would mostly wait for its batch. With ``TrainingConfig.render_workers``
> 0 each worker process (spawn) rebuilds the run's batch maker from the configuration (the
same folder scan and validation split, so it crops the same training photos) and renders
batches with a seed of its own: ``(seed, rank, start step, worker index)``. The trainer takes
them round-robin, so the same configuration, start step and worker count give the same
batches. 0 renders in the training process itself, as before.
"""

from __future__ import annotations

import multiprocessing
import queue
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sdstudio.training.config import TrainingConfig
from sdstudio.training.objectives import objective_for
from sdstudio.training.run_data import load_run_data

if TYPE_CHECKING:
    from sdstudio.training.objectives import TrainingObjective
    from sdstudio.training.objectives.base import BatchMaker

Batch = dict[str, np.ndarray]
BATCHES_AHEAD = 3  # per worker: enough to cover a slow crop, little memory
POLL_SECONDS = 0.5  # how often a waiting side checks that the other is still there
JOIN_SECONDS = 5.0


@dataclass(frozen=True)
class WorkerSetup:
    """What a worker needs to make the run's batches (plain values: it crosses spawn)."""

    config_json: str
    guided: bool
    scale: int
    batch_size: int
    seed: tuple[int, ...]


@dataclass(frozen=True)
class WorkerFailed:
    """Sent instead of a batch when the worker cannot go on, so the run fails with why."""

    message: str


def render_batches(setup: WorkerSetup, batches, stop) -> None:
    """A worker's life: build the batch maker, then fill ``batches`` until ``stop``."""
    import cv2
    import torch

    # Many workers share the cores: one thread each (style presets render with torch).
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    try:
        config = TrainingConfig.from_json(setup.config_json)
        objective = objective_for(config, guided=setup.guided, scale=setup.scale)
        pairs = load_run_data(objective).pairs
        rng = np.random.default_rng(list(setup.seed))
        trainer = multiprocessing.parent_process()
        # A trainer that was killed never sets ``stop``: its worker ends when it is gone.
        while not stop.is_set() and trainer.is_alive():
            batch = pairs.make_batch(rng, setup.batch_size)
            while not stop.is_set() and trainer.is_alive():
                try:
                    batches.put(batch, timeout=POLL_SECONDS)
                    break
                except queue.Full:
                    continue
    except Exception:  # any failure: the trainer raises it with the worker's traceback
        # Exit only once the message is in the pipe (it is small: this never blocks), so
        # the trainer reads the reason rather than just "stopped".
        batches.put(WorkerFailed(traceback.format_exc()))
        return
    # Exit without waiting for the trainer to read what is still queued (it may not).
    batches.cancel_join_thread()


class InlineBatches:
    """The batch maker itself, used in the training process (``render_workers`` 0)."""

    def __init__(self, pairs: BatchMaker) -> None:
        self.pairs = pairs

    def make_batch(self, rng: np.random.Generator, size: int) -> Batch:
        return self.pairs.make_batch(rng, size)

    def close(self) -> None:
        pass


class WorkerBatches:
    """Batches from ``count`` render worker processes, taken round-robin. The ``rng``
    that ``make_batch`` is given is not used: each worker has its own."""

    def __init__(
        self, objective: TrainingObjective, count: int, *, rank: int = 0, start_step: int = 0
    ) -> None:
        config = objective.config
        self.batch_size = config.batch_size
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._queues = [context.Queue(BATCHES_AHEAD) for _ in range(count)]
        self._workers = []
        for index, batches in enumerate(self._queues):
            setup = WorkerSetup(
                config_json=config.to_json(),
                guided=objective.guided,
                scale=objective.scale,
                batch_size=config.batch_size,
                seed=(config.seed, rank, start_step, index),
            )
            worker = context.Process(
                target=render_batches,
                args=(setup, batches, self._stop),
                name=f"sdstudio-render-{index}",
                daemon=True,  # never outlives the training process
            )
            worker.start()
            self._workers.append(worker)
        self._next = 0

    def make_batch(self, rng: np.random.Generator, size: int) -> Batch:
        if size != self.batch_size:
            raise ValueError(f"the render workers make batches of {self.batch_size}, not {size}")
        index = self._next
        self._next = (index + 1) % len(self._queues)
        while True:
            try:
                item = self._queues[index].get(timeout=POLL_SECONDS)
            except queue.Empty:
                worker = self._workers[index]
                if not worker.is_alive():
                    try:  # what it sent just before it ended
                        item = self._queues[index].get(timeout=POLL_SECONDS)
                    except queue.Empty:
                        item = None
                    if isinstance(item, WorkerFailed):
                        raise RuntimeError(f"A render worker failed:\n{item.message}") from None
                    raise RuntimeError(
                        f"The render worker {worker.name} stopped (exit code {worker.exitcode})."
                    ) from None
                continue
            if isinstance(item, WorkerFailed):
                raise RuntimeError(f"A render worker failed:\n{item.message}")
            return item

    def close(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(JOIN_SECONDS)
            if worker.is_alive():
                worker.terminate()
                worker.join()
        for batches in self._queues:
            batches.cancel_join_thread()
            batches.close()


def batch_source(
    pairs: BatchMaker, objective: TrainingObjective, *, rank: int = 0, start_step: int = 0
) -> InlineBatches | WorkerBatches:
    """Where a run's batches come from; ``close()`` it when the run stops.

    A daemonic process (the app's training process) may not start processes of its own,
    so it renders inline whatever the configuration says."""
    count = objective.config.render_workers
    if count <= 0 or multiprocessing.current_process().daemon:
        return InlineBatches(pairs)
    return WorkerBatches(objective, count, rank=rank, start_step=start_step)
