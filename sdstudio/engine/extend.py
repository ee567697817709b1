"""Extend canvas (outpaint, "uncrop"): new canvas around the photo, filled by Repair.

The photo is padded with a mirror of itself as a seed, the new border (plus a few pixels
of the photo, so the fill blends in instead of meeting it at a hard line) becomes the
repair mask, and the ordinary repair path fills it: region crops, the method's working
size, and the paste-back ramp that leaves every pixel outside the dilated mask
bit-identical. So an extended border obeys the same quality rules as a repair.

A wide border is grown in passes of at most a sixth of the photo: a single pass lets
PatchMatch copy whole objects from deep inside the photo into the border (a second
beak, a ghost of the ball), while a pass that only sees the photo's outer part continues
what is at the edge. Measured on the training photos (docs/decisions.md).
"""

from __future__ import annotations

import math
from collections.abc import Generator

import numpy as np

from sdstudio.engine import catalog
from sdstudio.engine.methods import MethodInfo, MethodKind
from sdstudio.engine.repair import make_filler, repair_image
from sdstudio.errors import UserFacingError
from sdstudio.imaging.geometry import pad
from sdstudio.imaging.image_io import MAX_PIXELS, MAX_SIDE
from sdstudio.jobs import ExtendJob, JobResult, Progress, RepairJob, job_params
from sdstudio.tasks import Task

# Photo pixels along each new border that are filled again, so the fill continues the
# photo's texture across the join rather than starting exactly at its last pixel.
SEAM_OVERLAP = 4
# One pass adds at most this fraction of the photo's width (height) on a side: fewer,
# thicker passes copy more objects into the border; many thin ones streak strong edges.
MAX_PASS_FRACTION = 0.15
MAX_BORDER_FACTOR = 2  # a border at most twice the photo's size on its axis
# What "auto" fills with: Telea for a border a few pixels thin, PatchMatch's copied texture
# for anything thicker (grain and detail continue; the network's smooth fill, made for
# holes with photo all around, smears a border that has photo on one side only).
AUTO_METHOD = "auto_classical"
Borders = tuple[int, int, int, int]  # left, top, right, bottom


def extend_mask(
    height: int, width: int, left: int, top: int, right: int, bottom: int, overlap: int
) -> np.ndarray:
    """The repair hole on the padded canvas: the new borders, plus ``overlap`` pixels of
    the photo along each side that gets a border."""
    hole = np.ones((top + height + bottom, left + width + right), bool)
    x0 = left + (overlap if left else 0)
    y0 = top + (overlap if top else 0)
    x1 = left + width - (overlap if right else 0)
    y1 = top + height - (overlap if bottom else 0)
    hole[y0:y1, x0:x1] = False
    return hole


def check_borders(job: ExtendJob) -> None:
    height, width = job.image.shape[:2]
    borders = (job.left, job.top, job.right, job.bottom)
    if any(not isinstance(side, int) or side < 0 for side in borders):
        raise UserFacingError("Each border must be a whole number of pixels, 0 or more.")
    if not any(borders):
        raise UserFacingError("Add at least one pixel of canvas on some side.")
    if (
        max(job.left, job.right) > MAX_BORDER_FACTOR * width
        or max(job.top, job.bottom) > MAX_BORDER_FACTOR * height
    ):
        raise UserFacingError(
            f"A border may be at most {MAX_BORDER_FACTOR} times the photo's width or height: "
            "there would be too little photo to continue."
        )
    new_w, new_h = width + job.left + job.right, height + job.top + job.bottom
    if max(new_w, new_h) > MAX_SIDE or new_w * new_h > MAX_PIXELS:
        raise UserFacingError(
            f"The extended photo would be {new_w} x {new_h} pixels; SD Studio works with at "
            f"most {MAX_SIDE} pixels on a side and {MAX_PIXELS // 1_000_000} megapixels."
        )


def plan_passes(width: int, height: int, borders: Borders) -> list[Borders]:
    """The borders each pass adds, so none adds more than ``MAX_PASS_FRACTION`` of the
    photo on a side. A side needing fewer passes is done in the first ones, so a later
    pass's blend never reaches back into the photo there."""
    limits = (width, height, width, height)
    counts = [
        math.ceil(side / (MAX_PASS_FRACTION * limit))
        for side, limit in zip(borders, limits, strict=True)
    ]
    passes = max(1, *counts)
    plans = []
    for index in range(passes):
        step = []
        for side, count in zip(borders, counts, strict=True):
            share = -(-side // count) if count else 0  # equal parts, the larger first
            done = min(side, share * index)
            step.append(min(share, side - done))
        plans.append((step[0], step[1], step[2], step[3]))
    return plans


def choose_extend_method(job: ExtendJob) -> MethodInfo:
    """The repair method that fills the border: the one asked for, else ``AUTO_METHOD``."""
    wanted = job.method.strip().lower()
    return catalog.find_method(Task.REPAIR, AUTO_METHOD if wanted == "auto" else job.method)


def run_extend(
    job: ExtendJob, method: MethodInfo | None = None
) -> Generator[Progress, None, JobResult]:
    """Run an :class:`ExtendJob`; yields progress per pass and region, returns the photo.

    ``method`` is the one the runner resolved for the job; without it the job's is found.
    """
    check_borders(job)
    height, width = job.image.shape[:2]
    method = method if method is not None else choose_extend_method(job)
    if method.kind == MethodKind.DIFFUSION:
        raise UserFacingError(
            f"{method.display_name} cannot extend the canvas; choose a classical method or "
            "an SD Studio repair model."
        )
    yield Progress(0.0, f"Extending with {method.display_name}")
    repair = RepairJob(image=job.image, mask=np.zeros((height, width), np.uint8),
                       method=method.id, seed=job.seed, device=job.device)  # fmt: skip
    filler = make_filler(method, repair)
    overlap = min(SEAM_OVERLAP, max(0, min(height, width) // 4))
    image = job.image
    plans = plan_passes(width, height, (job.left, job.top, job.right, job.bottom))
    for index, borders in enumerate(plans):
        image = yield from _extend_once(image, borders, overlap, filler, index, len(plans))
    params = {**job_params(job), "method": method.id, "method_kind": method.kind}
    return JobResult(image=image, notes=list(filler.notes), params=params)


def _extend_once(
    image: np.ndarray, borders: Borders, overlap: int, filler, index: int, passes: int
) -> Generator[Progress, None, np.ndarray]:
    left, top, right, bottom = borders
    height, width = image.shape[:2]
    seeded = pad(image, left, top, right, bottom, "reflect")
    hole = extend_mask(height, width, left, top, right, bottom, overlap)
    message = "Extending" if passes == 1 else f"Extending, pass {index + 1} of {passes}"
    work = repair_image(seeded, hole, filler)
    while True:
        try:
            progress = next(work)
        except StopIteration as done:
            return done.value
        yield Progress((index + progress.fraction) / passes, message)
