"""The diffusion backend: Stable Diffusion checkpoints (an optional extra).

A checkpoint is told apart by its header alone (``diffusion_files``), so listing needs
neither torch nor diffusers; without the extra installed the files are not offered and
one problem tells the person how to enable it. Repair fills the painted area with new
content (a Progress per denoising step); prompt-based style presets run image-to-image.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdstudio.engine.methods import (
    DIFFUSION_PREFIX,
    MethodInfo,
    MethodKind,
    ModelProblem,
    source_name,
)
from sdstudio.engine.model_checks import deferred_on_this_thread, is_shipped
from sdstudio.jobs import JobResult, Progress, RepairJob, StyleJob

from .backend import Backend
from .diffusion_files import ENABLE_HINT, VARIANT_NAMES, diffusers_available
from .model_index import CommunityFile, FileKind, scan

if TYPE_CHECKING:
    import numpy as np

    from .diffusion_repair import DiffusionFiller


def _method(item: CommunityFile) -> MethodInfo:
    variant = VARIANT_NAMES.get(item.diffusion_variant or "", "Stable Diffusion")
    kind = "inpainting" if item.diffusion_inpainting else "text-to-image"
    return MethodInfo(
        id=DIFFUSION_PREFIX + item.path.name,
        task="repair",
        display_name=f"Stable Diffusion: {item.path.stem} ({variant})",
        description=(
            f"Stable Diffusion {variant} {kind} model {item.path.name}: fills the painted "
            "area with new content, guided by an optional prompt."
        ),
        kind=MethodKind.DIFFUSION,
        path=item.path,
        size_bytes=item.size_bytes,
        source=source_name(is_shipped(item.path)),
        architecture=item.diffusion_variant,
    )


def entries(folders: Sequence[Path]) -> list[MethodInfo | ModelProblem]:
    """A method per checkpoint when the extra is installed, else one problem saying how."""
    found: list[MethodInfo | ModelProblem] = []
    for item in scan(folders, load_new=not deferred_on_this_thread()):
        if item.kind is not FileKind.DIFFUSION:
            continue
        if not diffusers_available():
            found.append(ModelProblem(item.path, f"{item.path.name}: {ENABLE_HINT}"))
            break  # one hint is enough
        try:
            found.append(_method(item))
        except Exception as error:  # noqa: BLE001 - e.g. a cached record of an older version
            found.append(ModelProblem(item.path, f"{item.path.name} cannot be offered: {error}"))
    return found


def repair_filler(method: MethodInfo, job: RepairJob) -> DiffusionFiller:
    from .diffusion_pipeline import require_diffusers
    from .diffusion_repair import DiffusionFiller

    require_diffusers()
    return DiffusionFiller.for_job(method, job)


def fill_holes(
    image: np.ndarray, hole: np.ndarray, filler: Any
) -> Generator[Progress, None, np.ndarray]:
    """Repair with a Stable Diffusion filler; a Progress per denoising step."""
    from .diffusion_repair import repair_with_diffusion

    return (yield from repair_with_diffusion(image, hole, filler))


def style(job: StyleJob, method: MethodInfo, render: Any) -> Generator[Progress, None, JobResult]:
    """A prompt-based style preset through image-to-image (``render`` is not needed)."""
    from .diffusion_style import run_diffusion_style

    return (yield from run_diffusion_style(job, method))


BACKEND = Backend(
    MethodKind.DIFFUSION, entries, repair_filler=repair_filler, fill_holes=fill_holes,
    styler=style,
)  # fmt: skip
