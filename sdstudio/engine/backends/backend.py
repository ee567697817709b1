"""What a backend offers: its entries and, per task, what runs one of its methods."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdstudio.engine.methods import MethodInfo, MethodKind, ModelProblem
from sdstudio.jobs import EnhanceJob, JobResult, Progress, RepairJob, StyleJob

if TYPE_CHECKING:
    import numpy as np

    from sdstudio.engine.region_fill import RegionFiller

Entries = Callable[[Sequence[Path]], list[MethodInfo | ModelProblem]]
RepairFillerFactory = Callable[[MethodInfo, RepairJob], "RegionFiller"]
HoleFilling = Callable[["np.ndarray", "np.ndarray", Any], Generator[Progress, None, "np.ndarray"]]
Upscaler = Callable[
    [MethodInfo, "np.ndarray", EnhanceJob, list[str]], Generator[Progress, None, "np.ndarray"]
]
# A styler gets the job, its method and the preset renderer of ``engine.style.run``
# (which a trained network feeds and a diffusion checkpoint does without).
Styler = Callable[[StyleJob, MethodInfo, Any], Generator[Progress, None, JobResult]]


def fill_region_by_region(image: Any, hole: Any, filler: Any) -> Generator[Progress, None, Any]:
    """The usual way a repair filler runs: ``region_fill.repair_image``."""
    from sdstudio.engine.region_fill import repair_image

    return repair_image(image, hole, filler)


@dataclass(frozen=True)
class Backend:
    kind: MethodKind
    entries: Entries
    repair_filler: RepairFillerFactory | None = None
    # How the filler runs over the photo's holes (diffusion: a Progress per step).
    fill_holes: HoleFilling = fill_region_by_region
    upscaler: Upscaler | None = None
    styler: Styler | None = None
