"""``run_job``: the one entry point the GUI worker, the CLI and the benchmarks call.

A job runs as a generator: it yields :class:`Progress` after every tile or region and
returns a :class:`JobResult` (``StopIteration.value``). Whoever drives it cancels by
closing the generator between yields. Loaded networks stay cached between jobs
(``network_cache``), so the second job with a model starts at once.
"""

from __future__ import annotations

from collections.abc import Generator

from sdstudio.errors import UserFacingError
from sdstudio.jobs import (
    DamageJob,
    EnhanceJob,
    ExtendJob,
    Job,
    JobResult,
    Progress,
    RepairJob,
    StyleJob,
)


def run_job(job: Job) -> Generator[Progress, None, JobResult]:
    """Run ``job``; a generator of progress that returns the result."""
    if isinstance(job, RepairJob):
        from sdstudio.engine.repair import run_repair

        return run_repair(job)
    if isinstance(job, EnhanceJob):
        from sdstudio.engine.enhance import run_enhance

        return run_enhance(job)
    if isinstance(job, StyleJob):
        from sdstudio.engine.style import run_style

        return run_style(job)
    if isinstance(job, ExtendJob):
        from sdstudio.engine.extend import run_extend

        return run_extend(job)
    if isinstance(job, DamageJob):
        from sdstudio.engine.damage import run_damage_job

        return run_damage_job(job)
    raise UserFacingError(f"Unknown kind of job: {type(job).__name__}.")


def preload() -> None:
    """Import every job's modules (and torch) now, e.g. on the worker thread at start-up.

    A first Style job otherwise imported the style package while it ran; module imports
    hold the GIL for long stretches, which stalled the UI thread (ui_stall.py: 200+ ms).
    """
    import torch  # noqa: F401

    import sdstudio.engine.damage  # noqa: F401
    import sdstudio.engine.enhance  # noqa: F401
    import sdstudio.engine.extend  # noqa: F401
    import sdstudio.engine.repair  # noqa: F401
    import sdstudio.engine.style.run  # noqa: F401


def run_to_completion(job: Job) -> JobResult:
    """Run a job without progress reporting (scripts, tests)."""
    work = run_job(job)
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value
