"""What every self-test step shares: the failure type and running a job to its end."""

from __future__ import annotations

import numpy as np

from sdstudio.jobs import Job, JobResult


class SelfTestFailure(Exception):
    """A check that did not hold; the message says which and by how much."""


def run_to_result(job: Job) -> JobResult:
    """Drive the real engine's generator to its JobResult, as the GUI worker does."""
    from sdstudio.engine.runner import run_to_completion

    result = run_to_completion(job)
    if not isinstance(result, JobResult):
        raise SelfTestFailure(f"{job.title} returned {type(result).__name__}, not a JobResult")
    if result.image.dtype != np.uint8:
        raise SelfTestFailure(f"{job.title} returned {result.image.dtype} pixels")
    return result


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
