"""``run_job``: the one entry point the GUI worker, the CLI and the benchmarks call.

A job runs as a generator: it yields :class:`Progress` after every tile or region and
returns a :class:`JobResult` (``StopIteration.value``). Whoever drives it cancels by
closing the generator between yields. Loaded models stay cached between jobs
(``model_cache``), so the second job with a model starts at once.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from sdstudio.engine.methods import MethodInfo
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
    """Run ``job``; a generator of progress that returns the result.

    The job's method is resolved here, once, when the generator starts (so a bad name is
    an error of the run, as every other), and handed to the task code, which asks the
    method's backend for what runs it.
    """
    if isinstance(job, RepairJob):
        from sdstudio.engine.repair import choose_repair_method, run_repair

        return _with_method(job, choose_repair_method, run_repair)
    if isinstance(job, EnhanceJob):
        from sdstudio.engine.enhance import choose_upscaler, run_enhance

        return _with_method(job, choose_upscaler, run_enhance)
    if isinstance(job, StyleJob):
        from sdstudio.engine.style.run import choose_style_method, run_style

        return _with_method(job, choose_style_method, run_style)
    if isinstance(job, ExtendJob):
        from sdstudio.engine.extend import choose_extend_method, run_extend

        return _with_method(job, choose_extend_method, run_extend)
    if isinstance(job, DamageJob):
        from sdstudio.engine.damage import run_damage_job

        return run_damage_job(job)
    raise UserFacingError(f"Unknown kind of job: {type(job).__name__}.")


def _with_method(
    job: Job,
    resolve: Callable[[Any], MethodInfo | None],
    run: Callable[[Any, MethodInfo | None], Generator[Progress, None, JobResult]],
) -> Generator[Progress, None, JobResult]:
    method = resolve(job)
    return (yield from run(job, method))


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
