"""Models people already have: spandrel restoration files and Stable Diffusion checkpoints.

The catalog calls :func:`catalog_entries` to list them; Repair and Enhance call
:func:`repair_filler`, :func:`run_diffusion_repair` and :func:`enhance_image` to run
them. Importing this package is light: torch, spandrel and diffusers load on first use.

The GUI calls :func:`defer_loading_on_main_thread` (``sdstudio.app.model_menu``):
listings made on its main thread then never load new files (torch, seconds per file); a
background check (:func:`check_new_files`) loads them and the panels refresh. The CLI and
worker threads load new files at once. The one switch covers SD Studio's own files too.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdstudio import paths
from sdstudio.engine.model_checks import (
    PENDING_NOTE,
    defer_loading_on_main_thread,
    deferred_on_this_thread,
)
from sdstudio.jobs import EnhanceJob, JobResult, Progress, RepairJob, StyleJob

from .diffusion_files import ENABLE_HINT, VARIANT_NAMES, diffusers_available
from .model_index import CommunityFile, scan

if TYPE_CHECKING:
    import numpy as np
    import torch

    from sdstudio.engine.catalog import MethodInfo, ModelProblem

COMMUNITY_PREFIX = "community:"
DIFFUSION_PREFIX = "sd:"


def check_new_files(folders: Sequence[Path]) -> list[Path]:
    """Load and cache every file not checked yet (call off the GUI thread); returns them:
    community files, and SD Studio files whose weights were not compared yet."""
    from sdstudio.engine.catalog import check_new_model_files

    own = check_new_model_files(folders)
    pending = [item.path for item in scan(folders, load_new=False) if item.kind == "pending"]
    if pending:
        scan(folders, load_new=True)
    return own + pending


def _source(path: Path) -> str:
    try:
        path.resolve().relative_to(paths.bundled_models_dir().resolve())
        return "bundled models"
    except ValueError:
        return "your models"


def _spandrel_method(item: CommunityFile) -> MethodInfo:
    from sdstudio.engine.catalog import MethodInfo

    info = item.spandrel
    assert info is not None
    name = item.path.stem
    what = info.describe()
    if info.is_face_model:
        detail = "Finds faces and restores them."
    elif info.task == "repair":
        detail = "Fills the painted area."
    elif info.scale > 1:
        detail = f"Enlarges x{info.scale}."
    else:
        detail = "Removes noise / blur at the same size."
    return MethodInfo(
        id=COMMUNITY_PREFIX + item.path.name,
        task=info.task,
        display_name=f"{name} ({what})",
        description=f"Community model {item.path.name}: {what}. {detail}",
        kind="community",
        path=item.path,
        scale=info.scale if info.task == "enhance" else None,
        size_bytes=item.size_bytes,
        source=_source(item.path),
        architecture=info.architecture,
    )


def _diffusion_method(item: CommunityFile) -> MethodInfo:
    from sdstudio.engine.catalog import MethodInfo

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
        kind="diffusion",
        path=item.path,
        size_bytes=item.size_bytes,
        source=_source(item.path),
        architecture=item.diffusion_variant,
    )


def catalog_entries(folders: Sequence[Path]) -> Iterable[MethodInfo | ModelProblem]:
    """Catalog provider: a method per usable file, a problem (with its reason) per other."""
    from sdstudio.engine.catalog import ModelProblem

    entries: list[MethodInfo | ModelProblem] = []
    told_about_diffusers = False
    for item in scan(folders, load_new=not deferred_on_this_thread()):
        try:
            if item.kind == "pending":
                entries.append(ModelProblem(item.path, f"{item.path.name} {PENDING_NOTE}"))
            elif item.kind == "unusable":
                entries.append(ModelProblem(item.path, item.error or "unusable model file"))
            elif item.kind == "spandrel":
                entries.append(_spandrel_method(item))
            elif diffusers_available():
                entries.append(_diffusion_method(item))
            elif not told_about_diffusers:
                told_about_diffusers = True
                entries.append(ModelProblem(item.path, f"{item.path.name}: {ENABLE_HINT}"))
        except Exception as error:  # noqa: BLE001 - e.g. a cached record of an older version
            entries.append(ModelProblem(item.path, f"{item.path.name} cannot be offered: {error}"))
    return entries


def repair_filler(method: MethodInfo, job: RepairJob) -> Any:
    """The RegionFiller for a community inpainting model or a Stable Diffusion checkpoint."""
    if method.kind == "diffusion":
        from .diffusion import require_diffusers
        from .diffusion_repair import DiffusionFiller

        require_diffusers()
        return DiffusionFiller.for_job(method, job)
    from .inpaint import SpandrelFiller

    return SpandrelFiller.for_method(method, job.device)


def run_diffusion_repair(
    image: np.ndarray, hole: np.ndarray, filler: Any
) -> Generator[Progress, None, np.ndarray]:
    """Repair with a Stable Diffusion filler; a Progress per denoising step."""
    from .diffusion_repair import repair_with_diffusion

    return repair_with_diffusion(image, hole, filler)


def diffusion_style_method(method_id: str) -> MethodInfo:
    """The Stable Diffusion checkpoint a prompt-based style job names (a Repair method id)."""
    from sdstudio.engine.catalog import find_method
    from sdstudio.errors import UnknownNameError

    from .diffusion import require_diffusers

    require_diffusers()
    method = find_method("repair", method_id)
    if method.kind != "diffusion":
        raise UnknownNameError(
            f"{method.display_name} is not a Stable Diffusion model; prompt-based styles need one."
        )
    return method


def run_diffusion_style(job: StyleJob) -> Generator[Progress, None, JobResult]:
    """A prompt-based style preset through Stable Diffusion image-to-image."""
    from .diffusion_style import run_diffusion_style as run

    method = diffusion_style_method(str(job.options["method"]))
    return (yield from run(job, method))


def enhance_image(
    method: MethodInfo, rgb: np.ndarray, job: EnhanceJob, device: torch.device, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    """Upscale / restore / restore faces with a community model (result at the model's scale)."""
    from .restore import enhance_rgb

    return enhance_rgb(method, rgb, device, notes)


__all__ = [
    "catalog_entries",
    "check_new_files",
    "defer_loading_on_main_thread",
    "diffusion_style_method",
    "enhance_image",
    "repair_filler",
    "run_diffusion_repair",
    "run_diffusion_style",
]
