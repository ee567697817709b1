"""A scripted stand-in for ``sdstudio.engine.runner.run_job`` for UI job tests.

Each job spends ``setup_seconds`` before its first step (a model loading), then yields
``steps`` progress values, sleeping ``step_seconds`` before each, then
returns a known image: the colours inverted (Repair, Style) or the pixels repeated
``scale`` times (Enhance). It can fail at a chosen step, and it records which jobs ran,
on which thread, and whether a generator was closed early (cancelled).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from sdstudio.jobs import EnhanceJob, Job, JobResult, Progress


def expected_image(job: Job) -> np.ndarray:
    """The image the fake engine returns for ``job``."""
    if isinstance(job, EnhanceJob) and job.scale > 1:
        return np.repeat(np.repeat(job.image, job.scale, axis=0), job.scale, axis=1)
    inverted = job.image.copy()
    inverted[..., :3] = 255 - inverted[..., :3]
    return inverted


@dataclass
class FakeEngine:
    steps: int = 5
    step_seconds: float = 0.0
    setup_seconds: float = 0.0
    fail_at_step: int | None = None
    error: Exception | None = None
    notes: list[str] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    started_ids: list[int] = field(default_factory=list)
    finished_ids: list[int] = field(default_factory=list)
    closed_ids: list[int] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    step_entered: threading.Event = field(default_factory=threading.Event)

    def __call__(self, job: Job) -> Iterator[Progress]:
        return self._run(job)

    def _run(self, job: Job) -> Iterator[Progress]:
        self.threads.append(threading.current_thread())
        self.jobs.append(job)
        self.started_ids.append(job.job_id)
        try:
            if self.setup_seconds:
                yield Progress(0.0, "loading")
                time.sleep(self.setup_seconds)
            for step in range(self.steps):
                self.step_entered.set()
                if self.step_seconds:
                    time.sleep(self.step_seconds)
                if self.fail_at_step == step:
                    raise self.error or RuntimeError("scripted failure")
                yield Progress((step + 1) / self.steps, f"step {step + 1}/{self.steps}")
        except GeneratorExit:
            self.closed_ids.append(job.job_id)
            raise
        self.finished_ids.append(job.job_id)
        return JobResult(expected_image(job), list(self.notes), {"engine": "fake"})
