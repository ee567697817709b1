"""The built-in backend: SD Studio's own ``.safetensors`` networks.

Listing reads each file's header only (``model_file``); whether its weights fit that
metadata is a verdict kept per file (``model_checks``), so torch is imported only the
first time a user file is seen, never for shipped files. A damaged file is a problem and
hides only itself. Running a method loads its network through the shared model cache.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sdstudio.engine.folder_walk import walk_model_folders
from sdstudio.engine.methods import MethodInfo, MethodKind, ModelProblem, source_name
from sdstudio.engine.model_checks import (
    TrainingOnlyModel,
    check_own_model,
    chosen_automatically,
    is_shipped,
)
from sdstudio.engine.model_file import is_sdstudio_metadata, read_metadata
from sdstudio.engine.model_verdicts import verdicts
from sdstudio.errors import ModelLoadError
from sdstudio.jobs import EnhanceJob, JobResult, Progress, RepairJob, StyleJob

from .backend import Backend
from .classical import classical_methods

if TYPE_CHECKING:
    import numpy as np

    from .network_filler import NetworkFiller

log = logging.getLogger(__name__)

# Crops are filled at most this large unless the model file says otherwise
# (metadata "working_size"): the size range the network was trained around.
DEFAULT_WORKING_SIZE = 512


def own_model_files(folders: Sequence[Path]) -> list[Path]:
    """Every ``.safetensors`` file in the folders, each folder's in path order, each file
    once (a folder linked into another is not listed twice)."""
    files: list[Path] = []
    seen: set[Path] = set()
    for folder in folders:
        for path in sorted(walk_model_folders([folder], (".safetensors",))):
            real = path.resolve()
            if path.is_file() and real not in seen:
                seen.add(real)
                files.append(path)
    return files


def _method(path: Path, method_id: str, shipped: bool) -> MethodInfo:
    info = check_own_model(path, shipped=shipped)
    return MethodInfo(
        id=method_id,
        task=info.task,
        display_name=info.name,
        description=info.description,
        kind=MethodKind.BUILTIN,
        path=path,
        scale=info.scale,
        style=info.style,
        size_bytes=info.size_bytes,
        source=source_name(shipped),
        version=info.version,
        architecture=info.architecture,
        variant=str(info.provenance.get("variant", "")),
        finish=str(info.provenance.get("finish", "")),
        automatic=chosen_automatically(info, shipped=shipped),
    )


def entries(folders: Sequence[Path]) -> list[MethodInfo | ModelProblem]:
    """A method per usable SD Studio file, a problem per damaged one (community files are
    the other backends')."""
    found: list[MethodInfo | ModelProblem] = []
    used_ids = {method.id for method in classical_methods()}  # a name always means those
    for path in own_model_files(folders):
        shipped = is_shipped(path)
        prefix = "bundled" if shipped else "user"
        method_id = path.stem if path.stem not in used_ids else f"{prefix}/{path.stem}"
        try:
            if not is_sdstudio_metadata(read_metadata(path)):
                continue  # a community file: the spandrel and diffusion backends describe it
            found.append(_method(path, method_id, shipped))
        except TrainingOnlyModel:
            continue
        except ModelLoadError as error:
            found.append(ModelProblem(path, str(error)))
            continue
        except Exception as error:  # one odd file must only ever hide itself
            log.exception("checking the model file %s failed", path)
            found.append(ModelProblem(path, f"{path.name} could not be checked: {error}"))
            continue
        used_ids.add(method_id)
    return found


def check_new_model_files(folders: Sequence[Path]) -> list[Path]:
    """Compare the weights of user files not checked yet (imports torch: call it off the
    GUI thread); returns the files checked now. Listings afterwards read the verdicts."""
    checked: list[Path] = []
    for path in own_model_files(folders):
        if is_shipped(path) or verdicts.lookup(path)[0]:
            continue
        try:
            if not is_sdstudio_metadata(read_metadata(path)):
                continue
            check_own_model(path, shipped=False)
        except ModelLoadError:
            pass  # a problem, which the next listing reports
        except Exception:  # noqa: BLE001 - the listing reports it; keep checking the rest
            log.exception("checking the model file %s failed", path)
        if verdicts.lookup(path)[0]:
            checked.append(path)
    return checked


def network_filler(method: MethodInfo, device_choice: str, seed: int = 0) -> NetworkFiller:
    """The repair filler for one of our inpainting networks (plain or guided)."""
    from sdstudio.engine.architectures import is_guided
    from sdstudio.engine.devices import resolve_device
    from sdstudio.engine.model_cache import cached_network
    from sdstudio.engine.model_file import read_model_info

    from .network_filler import InpaintInput, NetworkFiller

    if method.path is None:
        raise ValueError(f"{method.id} has no model file")
    info = read_model_info(method.path)
    device = resolve_device(device_choice)
    network, dtype = cached_network(info, device)
    working_size = int(info.provenance.get("working_size", DEFAULT_WORKING_SIZE))
    guided = is_guided(info.architecture)
    # A guided network's fill starts from the classical one, which already continues
    # the surroundings' colours; re-matching them would undo what it learnt.
    return NetworkFiller(
        network, device, dtype,
        feed=InpaintInput.GUIDES if guided else InpaintInput.MASKED_PHOTO,
        working_size=max(64, working_size), blend_colours=not guided, seed=seed,
    )  # fmt: skip


def repair_filler(method: MethodInfo, job: RepairJob) -> NetworkFiller:
    return network_filler(method, job.device, seed=job.seed)


def upscale(
    method: MethodInfo, rgb: np.ndarray, job: EnhanceJob, notes: list[str]
) -> Generator[Progress, None, np.ndarray]:
    from sdstudio.engine.devices import resolve_device
    from sdstudio.engine.model_cache import cached_network
    from sdstudio.engine.tiled_inference import run_network_tiled

    device = resolve_device(job.device)
    assert method.path is not None
    network, dtype = cached_network(method.path, device)
    result = yield from run_network_tiled(
        network, rgb, scale=method.scale or 1, device=device, dtype=dtype,
        message=f"Enhancing with {method.display_name}",
    )  # fmt: skip
    notes.extend(result.notes)
    return result.image


def style(job: StyleJob, method: MethodInfo, render: Any) -> Generator[Progress, None, JobResult]:
    """The preset painted by the trained network, then its finish, by ``render``."""
    from sdstudio.engine.style.trained import network_finish, run_style_network

    return (yield from render(job, method, run_style_network, network_finish))


BACKEND = Backend(
    MethodKind.BUILTIN, entries, repair_filler=repair_filler, upscaler=upscale, styler=style
)
