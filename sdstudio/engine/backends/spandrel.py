"""The spandrel backend: community restoration files (LaMa, ESRGAN, Compact, GFPGAN...).

spandrel recognises each network from its weights; what a file turned out to be is kept
per (path, mtime, size) by ``model_index``, so listing costs a ``stat`` per file once it
was seen. A file that cannot be used is a problem with its reason and hides only itself.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sdstudio.engine.methods import (
    COMMUNITY_PREFIX,
    MethodInfo,
    MethodKind,
    ModelProblem,
    source_name,
)
from sdstudio.engine.model_checks import PENDING_NOTE, deferred_on_this_thread, is_shipped
from sdstudio.errors import UserFacingError
from sdstudio.jobs import EnhanceJob, Progress, RepairJob

from .backend import Backend
from .model_index import CommunityFile, FileKind, scan

if TYPE_CHECKING:
    import numpy as np

    from .network_filler import NetworkFiller

# LaMa was trained on 256-512 px crops and generalises well up to about 1024 (its
# Fourier convolutions see the whole crop); larger crops are filled at this size.
INPAINT_WORKING_SIZE = 1024


def _method(item: CommunityFile) -> MethodInfo:
    info = item.spandrel
    assert info is not None
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
        display_name=f"{item.path.stem} ({what})",
        description=f"Community model {item.path.name}: {what}. {detail}",
        kind=MethodKind.COMMUNITY,
        path=item.path,
        scale=info.scale if info.task == "enhance" else None,
        size_bytes=item.size_bytes,
        source=source_name(is_shipped(item.path)),
        architecture=info.architecture,
    )


def entries(folders: Sequence[Path]) -> list[MethodInfo | ModelProblem]:
    """A method per usable spandrel file; a problem per community file that is not usable
    (or, on the GUI thread, not checked yet). Stable Diffusion files are the diffusion
    backend's."""
    found: list[MethodInfo | ModelProblem] = []
    for item in scan(folders, load_new=not deferred_on_this_thread()):
        try:
            if item.kind is FileKind.PENDING:
                found.append(ModelProblem(item.path, f"{item.path.name} {PENDING_NOTE}"))
            elif item.kind is FileKind.UNUSABLE:
                found.append(ModelProblem(item.path, item.error or "unusable model file"))
            elif item.kind is FileKind.SPANDREL:
                found.append(_method(item))
        except Exception as error:  # noqa: BLE001 - e.g. a cached record of an older version
            found.append(ModelProblem(item.path, f"{item.path.name} cannot be offered: {error}"))
    return found


def repair_filler(method: MethodInfo, job: RepairJob) -> NetworkFiller:
    """A community inpainting model (LaMa) as a repair filler."""
    from sdstudio.engine.devices import inference_dtype, resolve_device

    from .network_filler import InpaintInput, NetworkFiller
    from .spandrel_files import info_from_descriptor, loaded_descriptor
    from .spandrel_restore import DescriptorNetwork

    descriptor = loaded_descriptor(Path(method.path))
    info = info_from_descriptor(descriptor)
    if info.task != "repair":
        raise UserFacingError(f"{method.display_name} is a {info.describe()} model.")
    device = resolve_device(job.device)
    network = DescriptorNetwork(descriptor)
    dtype = inference_dtype(device, network)
    network.to(device=device, dtype=dtype)
    working = max(INPAINT_WORKING_SIZE, descriptor.size_requirements.minimum)
    return NetworkFiller(
        network, device, dtype, feed=InpaintInput.PHOTO_AND_MASK, working_size=working
    )


def upscale(
    method: MethodInfo, rgb: np.ndarray, job: EnhanceJob, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    """Upscale / restore / restore faces (the result at the model's own scale)."""
    from sdstudio.engine.devices import resolve_device

    from .spandrel_restore import enhance_rgb

    return (yield from enhance_rgb(method, rgb, resolve_device(job.device), notes))


BACKEND = Backend(MethodKind.COMMUNITY, entries, repair_filler=repair_filler, upscaler=upscale)
