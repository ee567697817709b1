"""Recorded history steps as text for people, and back into jobs to run again.

A step's params are what ``JobController`` recorded: ``job_params(job)`` merged with
what the engine reported it actually used (e.g. the method "auto" resolved to).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sdstudio.errors import MaskError, UnknownNameError
from sdstudio.jobs import EnhanceJob, Job, RepairJob, StyleJob
from sdstudio.tasks import Task

_JOB_TYPES: dict[str, type] = {
    Task.REPAIR: RepairJob,
    Task.STYLE: StyleJob,
    Task.ENHANCE: EnhanceJob,
}
# Not settings of the edit: identity, where it ran, or how long it took.
_NOT_SETTINGS = {"title", "task", "job_id", "device", "seconds", "method_kind"}
_LABELS = {
    "method": "Method",
    "preset": "Style",
    "strength": "Strength",
    "scale": "Scale",
    "denoise": "Denoise",
    "sharpen": "Sharpen",
    "contrast": "Contrast",
    "model": "Upscaler asked for",
    "upscaler": "Upscaler used",
    "seed": "Seed",
    "prompt": "Prompt",
    "model_file": "Model file",
    "model_sha256": "Model SHA-256",
}


def describe_step(step: dict[str, Any]) -> str:
    """A few lines a person can read: what ran, with which settings."""
    lines = [str(step.get("title") or step.get("task") or "Edit")]
    for key, value in step.items():
        if key in _NOT_SETTINGS or value in (None, "", {}, []):
            continue
        text = f"{value:.2f}" if isinstance(value, float) else str(value)
        if key == "model_sha256":
            text = text[:16] + "…"
        lines.append(f"{_LABELS.get(key, key.replace('_', ' ').capitalize())}: {text}")
    if step.get("device"):
        lines.append(f"Ran on: {step['device']}")
    return "\n".join(lines)


def resize_mask(mask: np.ndarray, width: int, height: int) -> np.ndarray:
    """A mask scaled to ``width`` x ``height`` (bilinear, so soft edges stay soft)."""
    if mask.shape == (height, width):
        return mask.copy()
    image = Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8))
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR)).copy()


def job_from_params(step: dict[str, Any], image: np.ndarray, mask: np.ndarray | None) -> Job:
    """The job that repeats ``step`` on ``image`` (with ``mask`` where the task uses one).

    The method or upscaler the engine actually used is asked for by name, so "auto"
    gives the same model again rather than whatever is best today.
    """
    task = step.get("task")
    job_type = _JOB_TYPES.get(task)  # type: ignore[arg-type]
    if job_type is None:
        raise UnknownNameError(f"A '{step.get('title', task)}' step cannot be run again.")
    fields = {f.name for f in dataclasses.fields(job_type) if f.init}
    settings = {k: v for k, v in step.items() if k in fields and k not in _NOT_SETTINGS}
    settings.pop("image", None)
    settings.pop("mask", None)
    if task == Task.ENHANCE and step.get("upscaler"):
        settings["model"] = step["upscaler"]
    has_mask = mask is not None and mask.shape == image.shape[:2] and bool(mask.any())
    if task == Task.REPAIR:
        if not has_mask:
            raise MaskError("Paint over the area to repair first, then run the step again.")
        return RepairJob(image=image, mask=mask, **settings)  # type: ignore[arg-type]
    if task == Task.STYLE:
        return StyleJob(image=image, mask=mask if has_mask else None, **settings)
    return EnhanceJob(image=image, **settings)


_hash_cache: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file, remembered per (path, size, mtime) so a model is read once."""
    path = Path(path)
    stat = os.stat(path)
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _hash_cache:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]
