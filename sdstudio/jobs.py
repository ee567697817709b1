"""Jobs are plain values: everything one edit needs, and nothing Qt or torch.

The same job runs from the GUI worker, the CLI and tests. The engine turns a job into a
generator (``sdstudio.engine.runner.run_job``) that yields :class:`Progress` after every
tile or step and returns a :class:`JobResult`; whoever drives it can stop between yields.

Images are ``numpy.uint8`` arrays shaped ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA;
alpha is carried through untouched). Masks are ``numpy.uint8`` arrays shaped ``(H, W)``
at image resolution, 0..255; for Repair every non-zero pixel is to be filled, for Style
the value is the blend weight.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from sdstudio.style_presets import DIFFUSION_STYLE_PRESETS, STYLE_PRESETS
from sdstudio.tasks import Task

__all__ = [
    "DamageJob",
    "DeviceChoice",
    "EnhanceJob",
    "ExtendJob",
    "Job",
    "JobResult",
    "Progress",
    "RepairJob",
    "StyleJob",
    "Task",
    "job_params",
]

DeviceChoice = Literal["auto", "cpu", "cuda", "mps"]

_job_ids = itertools.count(1)


def _next_job_id() -> int:
    return next(_job_ids)


@dataclass(frozen=True)
class Progress:
    fraction: float  # 0..1
    message: str = ""


@dataclass(eq=False)
class _SharedJobFields:
    """What every job carries besides its own settings (keyword-only, so each job's own
    fields keep their positions): where it runs, extra method options and its id."""

    device: DeviceChoice = field(default="auto", kw_only=True)
    options: dict[str, Any] = field(default_factory=dict, kw_only=True)
    job_id: int = field(default_factory=_next_job_id, kw_only=True)


_SHARED_FIELDS = ("device", "options", "job_id")


@dataclass(eq=False)
class RepairJob(_SharedJobFields):
    image: np.ndarray
    mask: np.ndarray
    method: str = "auto"  # "auto" = best available; else an id from the catalog
    seed: int = 0
    prompt: str = ""  # used by diffusion methods only
    task: Task = field(default=Task.REPAIR, init=False)

    @property
    def title(self) -> str:
        return "Repair"


@dataclass(eq=False)
class StyleJob(_SharedJobFields):
    image: np.ndarray
    preset: str
    strength: float = 1.0  # 0 = original, 1 = full effect
    mask: np.ndarray | None = None  # limits the effect to the painted area
    seed: int = 0
    task: Task = field(default=Task.STYLE, init=False)

    @property
    def title(self) -> str:
        known = STYLE_PRESETS.get(self.preset) or DIFFUSION_STYLE_PRESETS.get(self.preset)
        return f"Style: {known.name if known else self.preset}"


@dataclass(eq=False)
class EnhanceJob(_SharedJobFields):
    image: np.ndarray
    scale: int = 1  # 1, 2 or 4
    denoise: float = 0.0  # 0..1
    sharpen: float = 0.0  # 0..1
    contrast: float = 0.0  # 0..1 (auto levels strength)
    model: str = "auto"  # upscaler id from the catalog, "auto" = best available
    task: Task = field(default=Task.ENHANCE, init=False)

    @property
    def title(self) -> str:
        return f"Enhance x{self.scale}" if self.scale > 1 else "Enhance"


@dataclass(eq=False)
class ExtendJob(_SharedJobFields):
    """Adds canvas on the given sides and fills it so it continues the photo (outpaint)."""

    image: np.ndarray
    left: int = 0  # pixels of new canvas on each side
    top: int = 0
    right: int = 0
    bottom: int = 0
    method: str = "auto"  # a repair method id; "auto" picks by the border's size
    seed: int = 0
    task: Task = field(default=Task.EXTEND, init=False)

    @property
    def title(self) -> str:
        return "Extend canvas"


@dataclass(eq=False)
class DamageJob(_SharedJobFields):
    """Proposes a damage mask (scratches, dust, cracks...); the photo is not changed."""

    image: np.ndarray
    sensitivity: float = 0.5  # 0..1: higher marks more
    task: Task = field(default=Task.DAMAGE, init=False)

    @property
    def title(self) -> str:
        return "Find damage"


Job = RepairJob | StyleJob | EnhanceJob | ExtendJob | DamageJob


@dataclass
class JobResult:
    image: np.ndarray
    notes: list[str] = field(default_factory=list)  # shown to the user (e.g. "fell back to CPU")
    params: dict[str, Any] = field(default_factory=dict)  # what actually ran, for history
    # A job that proposes a mask (DamageJob): the mask, and the uint8 probability map it
    # was thresholded from (re-thresholding needs no second run). ``image`` is unchanged.
    mask: np.ndarray | None = None
    probability: np.ndarray | None = None


def job_params(job: Job) -> dict[str, Any]:
    """The job's settings without its pixel arrays: what history and project files record."""
    params: dict[str, Any] = {"task": job.task}
    # The job's own settings first, then the shared ones, as history has always listed them.
    for name, value in sorted(vars(job).items(), key=lambda item: item[0] in _SHARED_FIELDS):
        if name == "task" or isinstance(value, np.ndarray) or (name == "mask" and value is None):
            continue
        params[name] = value
    return params
