"""The Repair job: fill the painted mask with the method's backend, region by region.

The method is resolved once (``engine.runner``) and its backend gives the filler; the
region machinery (``engine.region_fill``) crops each painted region, fills it and pastes
it back invisibly, so pixels outside the dilated mask and alpha never change.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from sdstudio.engine import catalog
from sdstudio.engine.backends import backend_for, repair_filler_for
from sdstudio.engine.methods import MethodInfo
from sdstudio.engine.region_fill import RegionFiller, blend_ring_width, repair_image
from sdstudio.errors import MaskError, UserFacingError
from sdstudio.jobs import JobResult, Progress, RepairJob, job_params
from sdstudio.tasks import Task

__all__ = ["blend_ring_width", "make_filler", "repair_image", "run_repair"]

EMPTY_MASK_MESSAGE = "The mask is empty: paint over the area to repair first."


def validate_repair_inputs(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Check the image and mask; returns the boolean hole mask."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise UserFacingError("The image to repair must be 8-bit RGB or RGBA pixels.")
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise UserFacingError(f"The image to repair has an unusable shape {image.shape}.")
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        shape = getattr(mask, "shape", None)
        raise MaskError(f"The mask must be a single-channel picture (got shape {shape}).")
    height, width = image.shape[:2]
    if mask.shape != (height, width):
        raise MaskError(
            f"The mask is {mask.shape[1]} x {mask.shape[0]} pixels but the image is "
            f"{width} x {height} pixels; they must be the same size."
        )
    hole = mask > 0
    if not hole.any():
        raise UserFacingError(EMPTY_MASK_MESSAGE)
    if hole.all():
        raise MaskError(
            "The mask covers the whole image, so there is nothing left to repair it from. "
            "Leave the parts that are fine unpainted and try again."
        )
    return hole


def make_filler(method: MethodInfo, job: RepairJob) -> RegionFiller:
    """What fills each crop for ``method``: its backend decides."""
    return repair_filler_for(method, job)


def choose_repair_method(job: RepairJob) -> MethodInfo:
    return catalog.find_method(Task.REPAIR, job.method)


def run_repair(
    job: RepairJob, method: MethodInfo | None = None
) -> Generator[Progress, None, JobResult]:
    """Run a :class:`RepairJob`; yields progress per region, returns the repaired image.

    ``method`` is the one the runner resolved for the job; without it the job's is found.
    """
    hole = validate_repair_inputs(job.image, job.mask)
    method = method if method is not None else choose_repair_method(job)
    yield Progress(0.0, f"Repairing with {method.display_name}")
    filler = make_filler(method, job)
    # Most backends fill region by region; diffusion yields a Progress per denoising step.
    image = yield from backend_for(method).fill_holes(job.image, hole, filler)
    notes = list(filler.notes)
    coverage = float(hole.mean())
    if coverage > 0.5:
        notes.append(
            f"The mask covers {coverage:.0%} of the image; the fill has little to work from."
        )
    params = {**job_params(job), "method": method.id, "method_kind": method.kind}
    return JobResult(image=image, notes=notes, params=params)
