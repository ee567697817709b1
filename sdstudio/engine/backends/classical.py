"""The classical backend: OpenCV and PatchMatch inpainting, Lanczos resampling.

Always available; the first classical method of a task is its default when no trained
model is known to be good. Naming one never looks at the models folders.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sdstudio.engine.methods import MethodInfo, MethodKind, ModelProblem
from sdstudio.engine.patchmatch_library import patchmatch_available
from sdstudio.jobs import EnhanceJob, Progress, RepairJob

from .backend import Backend

if TYPE_CHECKING:
    import numpy as np

CLASSICAL = MethodKind.CLASSICAL
# Classical methods are cheap per pixel but PatchMatch searches the whole crop.
CLASSICAL_WORKING_SIZE = {
    "telea": 2048,
    "navier_stokes": 2048,
    "patchmatch": 768,
    "auto_classical": 2048,
}


def classical_methods() -> list[MethodInfo]:
    """Always available; the first of a task is its default when no trained model exists.

    For repair that is the automatic classical fill: Telea on thin holes (scratches, dust:
    as good and many times faster), PatchMatch on thicker ones (objects: it copies real
    texture where Telea smears).
    """
    methods = []
    if patchmatch_available():
        methods += [
            MethodInfo(
                "auto_classical", "repair", "Classical (automatic)",
                "Telea for scratches and dust, PatchMatch content-aware fill for objects.",
                CLASSICAL,
            ),
            MethodInfo(
                "patchmatch", "repair", "PatchMatch (content-aware fill)",
                "Copies matching texture from the rest of the photo; good for objects and "
                "textured areas, slower.", CLASSICAL,
            ),
        ]  # fmt: skip
    methods += [
        MethodInfo(
            "telea", "repair", "Telea (OpenCV)",
            "Smooth fill from the edges inward; best for thin scratches, dust and text.",
            CLASSICAL,
        ),
        MethodInfo(
            "navier_stokes", "repair", "Navier-Stokes (OpenCV)",
            "Continues edges and gradients into the hole; for thin damage.", CLASSICAL,
        ),
        MethodInfo(
            "lanczos", "enhance", "Lanczos (classical)",
            "High-quality resampling with unsharp mask, auto levels and noise reduction.",
            CLASSICAL,
        ),
    ]  # fmt: skip
    return methods


def entries(folders: Sequence[Path]) -> list[MethodInfo | ModelProblem]:
    return list(classical_methods())


@dataclass
class ClassicalFiller:
    method: str
    seed: int = 0
    blend_colours: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def working_size(self) -> int:
        return CLASSICAL_WORKING_SIZE[self.method]

    @property
    def parallel_regions(self) -> bool:
        # PatchMatch (native, releases the GIL) dominates; Telea/NS stay sequential as before.
        return self.method in ("patchmatch", "auto_classical")

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        from sdstudio.engine.classical import inpaint

        return inpaint(self.method, image, hole, seed=self.seed)


def repair_filler(method: MethodInfo, job: RepairJob) -> ClassicalFiller:
    return ClassicalFiller(method.id, seed=job.seed)


def upscale(
    method: MethodInfo, rgb: np.ndarray, job: EnhanceJob, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    from sdstudio.engine.classical import resize_lanczos_in_strips

    return (yield from resize_lanczos_in_strips(rgb, job.scale))


BACKEND = Backend(CLASSICAL, entries, repair_filler=repair_filler, upscaler=upscale)
