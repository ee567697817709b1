"""Restore old photo: find the damage, repair it, then (optionally) enhance gently.

One action of three steps, each an ordinary job (``DamageJob``, ``RepairJob``,
``EnhanceJob``) built here, so the app (one undo step per job, run one after another on
the worker) and ``sdstudio restore`` (``iter_restore``, one progress bar) make the same
jobs from the same settings. Each step's job is built from the step before: the repair
fills the mask that was found, the enhance works on the repaired photo. When nothing is
found the repair is skipped. The gentle enhance keeps the photo's size; what it does and
why is in docs/decisions.md ("Restore old photo").
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from itertools import accumulate

import numpy as np

from sdstudio.jobs import (
    DamageJob,
    DeviceChoice,
    EnhanceJob,
    Job,
    JobResult,
    Progress,
    RepairJob,
)

# Gentle: light non-local means (h 4.6 of the Enhance panel's 2..15) against film grain
# and scan noise, and a light unsharp mask for the softness a repair leaves. No auto
# levels: they stretch each channel apart and would neutralise a sepia or faded print's
# tone, which is the person's choice (the Enhance panel's Contrast), not a repair.
GENTLE_DENOISE = 0.2
GENTLE_SHARPEN = 0.2
NO_DAMAGE_NOTE = "No damage was found, so nothing was repaired."

# Shares of one progress bar: detection is one fast network pass, the repair is the long
# step, a gentle enhance is two filters.
_SHARES = {"find": 0.3, "repair": 0.55, "enhance": 0.15}

RunJob = Callable[[Job], Generator[Progress, None, JobResult]]


@dataclass(frozen=True)
class RestoreSettings:
    """Everything a restore needs besides the photo (plain values, like a job)."""

    sensitivity: float = 0.5  # the damage finder's: higher marks more
    enhance: bool = True  # the gentle enhance step
    repair_method: str = "auto"  # a repair method id from the catalog
    device: DeviceChoice = "auto"
    damage_model: str | None = None  # a damage model file; None: the shipped detector


def find_damage_job(image: np.ndarray, settings: RestoreSettings) -> DamageJob:
    options = {"model_path": settings.damage_model} if settings.damage_model else {}
    return DamageJob(
        image=image, sensitivity=settings.sensitivity, device=settings.device, options=options
    )


def repair_job(image: np.ndarray, mask: np.ndarray, settings: RestoreSettings) -> RepairJob | None:
    """The repair of the found ``mask``; None when nothing was found."""
    if not mask.any():
        return None
    return RepairJob(image=image, mask=mask, method=settings.repair_method, device=settings.device)


def gentle_enhance_job(image: np.ndarray, settings: RestoreSettings) -> EnhanceJob | None:
    """The gentle enhance of the repaired photo (same size); None when it is turned off."""
    if not settings.enhance:
        return None
    return EnhanceJob(
        image=image, scale=1, denoise=GENTLE_DENOISE, sharpen=GENTLE_SHARPEN,
        device=settings.device,
    )  # fmt: skip


@dataclass
class RestoreResult:
    """The three intermediate results, so a caller can show or keep each step."""

    mask: np.ndarray  # uint8 (H, W) 0/255: the damage that was found
    repaired: np.ndarray  # the photo after the repair (the photo itself if nothing was found)
    enhanced: np.ndarray | None  # after the gentle enhance; None when it was off
    notes: list[str] = field(default_factory=list)

    @property
    def image(self) -> np.ndarray:
        """The finished photo: the last step that ran."""
        return self.enhanced if self.enhanced is not None else self.repaired


def iter_restore(
    image: np.ndarray, settings: RestoreSettings | None = None, run_job: RunJob | None = None
) -> Generator[Progress, None, RestoreResult]:
    """Runs the three steps; yields Progress over the whole restore, returns each result.

    ``run_job`` is the engine's entry point (``engine.runner.run_job``) unless given (tests).
    Closing the generator between yields stops the step that runs.
    """
    settings = settings or RestoreSettings()
    if run_job is None:
        from sdstudio.engine.runner import run_job
    names = [name for name in _SHARES if name != "enhance" or settings.enhance]
    total = sum(_SHARES[name] for name in names)
    spans = {name: _SHARES[name] / total for name in names}
    starts = dict(zip(names, accumulate(spans.values(), initial=0.0), strict=False))

    def step(name: str, job: Job) -> Generator[Progress, None, JobResult]:
        return _within(run_job(job), starts[name], spans[name], job.title)

    found = yield from step("find", find_damage_job(image, settings))
    assert found.mask is not None, "a damage job returns a mask"
    notes = list(found.notes)
    repaired = found.image
    repair = repair_job(found.image, found.mask, settings)
    if repair is None:
        notes.append(NO_DAMAGE_NOTE)
    else:
        result = yield from step("repair", repair)
        repaired, notes = result.image, notes + result.notes
    enhanced = None
    enhance = gentle_enhance_job(repaired, settings)
    if enhance is not None:
        result = yield from step("enhance", enhance)
        enhanced, notes = result.image, notes + result.notes
    yield Progress(1.0, "Restored")
    return RestoreResult(mask=found.mask, repaired=repaired, enhanced=enhanced, notes=notes)


def _within(
    work: Generator[Progress, None, JobResult], start: float, span: float, title: str
) -> Generator[Progress, None, JobResult]:
    """A step's progress as the part [start, start + span] of the whole restore."""
    try:
        while True:
            try:
                progress = next(work)
            except StopIteration as finished:
                return finished.value
            yield Progress(start + span * progress.fraction, progress.message or title)
    finally:
        work.close()  # a cancelled restore stops the step's engine work at once
