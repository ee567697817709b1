"""The Enhance job: denoise, upscale x2/x4, sharpen and auto levels, in one pass.

Order matters: noise is removed before upscaling (cheaper, and the upscaler does not
enlarge the grain), sharpening comes after upscaling (at the output's pixel scale), and
levels come last (they only remap values). Alpha is upscaled separately with Lanczos and
otherwise untouched. Upscaling uses a trained ``compact_sr`` model for the requested scale
when one is installed, else Lanczos.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np

from sdstudio.engine import catalog
from sdstudio.engine.backends import upscaler_for
from sdstudio.engine.classical import denoise, filter_in_strips, resize_lanczos
from sdstudio.engine.methods import FROM_JOB, MethodInfo, Resolution
from sdstudio.errors import UserFacingError
from sdstudio.imaging.colour import auto_levels, join_alpha, split_alpha, unsharp_mask
from sdstudio.imaging.image_io import MAX_PIXELS, MAX_SIDE
from sdstudio.jobs import EnhanceJob, JobResult, Progress, job_params
from sdstudio.tasks import Task

SCALES = (1, 2, 4)
NOTHING_TO_DO = (
    "Nothing to enhance: choose a scale of 2 or 4, or raise denoise, sharpen or contrast."
)


def validate_enhance_job(job: EnhanceJob) -> None:
    image = job.image
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise UserFacingError("The image to enhance must be 8-bit RGB or RGBA pixels.")
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise UserFacingError(f"The image to enhance has an unusable shape {image.shape}.")
    if job.scale not in SCALES:
        raise UserFacingError(f"The scale must be 1, 2 or 4 (got {job.scale}).")
    height, width = image.shape[:2]
    out_w, out_h = width * job.scale, height * job.scale
    if out_w > MAX_SIDE or out_h > MAX_SIDE or out_w * out_h > MAX_PIXELS:
        raise UserFacingError(
            f"Enlarged x{job.scale} this image would be {out_w} x {out_h} pixels, more than "
            f"SD Studio can hold ({MAX_PIXELS // 1_000_000} megapixels, {MAX_SIDE} pixels a "
            "side). Choose a smaller scale or crop the image first."
        )
    for name in ("denoise", "sharpen", "contrast"):
        value = float(getattr(job, name))
        if not 0.0 <= value <= 1.0:
            raise UserFacingError(f"{name.capitalize()} must be between 0 and 1 (got {value}).")


def choose_upscaler(job: EnhanceJob) -> MethodInfo | None:
    """The method that resizes: a model for ``job.scale`` (or the one named), else Lanczos.

    At scale 1 nothing resizes unless a model (e.g. a x1 restoration model) is named.
    """
    named = (job.model or "auto").strip().lower() != "auto"
    if named:
        return catalog.find_method(Task.ENHANCE, job.model)
    if job.scale == 1:
        return None
    return catalog.best_method(Task.ENHANCE, scale=job.scale)


def _stage(
    work: Generator[Progress, None, Any], start: float, span: float
) -> Generator[Progress, None, Any]:
    """Re-yield a stage's progress as a part [start, start + span] of the whole job."""
    try:
        progress = next(work)
        while True:
            yield Progress(start + span * progress.fraction, progress.message)
            progress = next(work)
    except StopIteration as stop:
        return stop.value


# Shares of the progress bar by stage, for the stages that run: a skipped stage takes
# none (an upscale alone used to start at 30 %, the share of a denoise that never ran).
_STAGE_WEIGHTS = {"denoise": 0.3, "upscale": 0.6, "sharpen": 0.05, "levels": 0.03}


def _stage_spans(job: EnhanceJob, upscaler: MethodInfo | None) -> dict[str, tuple[float, float]]:
    runs = {"denoise": job.denoise > 0, "upscale": upscaler is not None,
            "sharpen": job.sharpen > 0, "levels": job.contrast > 0}  # fmt: skip
    total = sum(weight for name, weight in _STAGE_WEIGHTS.items() if runs[name]) or 1.0
    spans, start = {}, 0.0
    for name, weight in _STAGE_WEIGHTS.items():
        span = weight / total if runs[name] else 0.0
        spans[name] = (start, span)
        start += span
    return spans


def run_enhance(
    job: EnhanceJob, upscaler: MethodInfo | None | Resolution = FROM_JOB
) -> Generator[Progress, None, JobResult]:
    """Run an :class:`EnhanceJob`; ``upscaler`` is the method the runner resolved (None:
    no resizing), else the job's is chosen here."""
    validate_enhance_job(job)
    if isinstance(upscaler, Resolution):
        upscaler = choose_upscaler(job)
    if upscaler is None and not (job.denoise or job.sharpen or job.contrast):
        raise UserFacingError(NOTHING_TO_DO)
    rgb, alpha = split_alpha(job.image)
    height, width = rgb.shape[:2]
    target_w, target_h = width * job.scale, height * job.scale
    notes: list[str] = []
    spans = _stage_spans(job, upscaler)
    yield Progress(0.0, "Enhancing")

    if job.denoise > 0:
        rgb = yield from _stage(denoise(rgb, job.denoise), *spans["denoise"])
    if upscaler is not None:
        rgb = yield from _stage(_upscale(rgb, upscaler, job, notes), *spans["upscale"])
        if rgb.shape[:2] != (target_h, target_w):
            notes.append(
                f"{upscaler.display_name} enlarges x{upscaler.scale}; the rest of the way to "
                f"x{job.scale} used Lanczos."
            )
            rgb = resize_lanczos(rgb, target_w, target_h)
    if job.sharpen > 0:
        rgb = yield from _stage(_sharpen(rgb, job.sharpen, job.scale), *spans["sharpen"])
    if job.contrast > 0:
        yield Progress(spans["levels"][0], "Adjusting levels")
        rgb = auto_levels(rgb, strength=job.contrast)
    if alpha is not None:
        alpha = resize_lanczos(alpha, target_w, target_h)
    params = {**job_params(job), "upscaler": upscaler.id if upscaler else None}
    yield Progress(1.0, "Enhanced")
    return JobResult(image=join_alpha(rgb, alpha), notes=notes, params=params)


def _sharpen(
    rgb: np.ndarray, amount: float, scale: int, strip_height: int = 512
) -> Generator[Progress, None, np.ndarray]:
    """Unsharp mask in strips (a cancel point between strips); the margin covers the blur
    kernel, so strips give the same result as one pass."""
    radius = 1.0 + 0.5 * scale
    return (
        yield from filter_in_strips(
            rgb,
            lambda strip: unsharp_mask(strip, amount=1.5 * amount, radius=radius),
            margin=int(np.ceil(4 * radius)) + 2,
            strip_height=strip_height,
            message="Sharpening",
        )
    )


def _upscale(
    rgb: np.ndarray, method: MethodInfo, job: EnhanceJob, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    """``rgb`` resized by ``method``'s backend (at the method's own scale for models)."""
    return (yield from upscaler_for(method)(method, rgb, job, notes))
