"""Which methods each task offers: classical algorithms, our trained models, community files.

Listing never loads weights: our ``.safetensors`` files are described by their header
metadata (``model_file.read_model_info``), and whether their weights fit that metadata is
a verdict kept per file (``model_checks``): torch is imported only the first time a user
file is seen, never for shipped files. A file that is damaged is reported in ``problems``
and left out; listing never fails because of one bad file. A network is offered only when
a trained file for it exists, and "auto" picks only files known to be good.

Naming a classical method (``telea``, ``lanczos``...) never looks at the models folders,
so a slow or broken folder cannot hold up a classical job.

Other parts add methods through *providers*: callables taking the model folders and
returning :class:`MethodInfo` and :class:`ModelProblem` items (any task; the catalog
filters). ``sdstudio.engine.community.catalog_entries`` is used automatically when that
module exists; others can call :func:`register_provider`.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sdstudio import paths
from sdstudio.engine.folder_walk import walk_model_folders
from sdstudio.engine.model_checks import (
    TrainingOnlyModel,
    check_own_model,
    chosen_automatically,
    is_shipped,
    verdicts,
)
from sdstudio.engine.model_file import TASKS, is_sdstudio_metadata, read_metadata
from sdstudio.errors import ModelLoadError, UnknownNameError, UserFacingError

log = logging.getLogger(__name__)

MethodKind = Literal["classical", "builtin", "community", "diffusion"]


@dataclass(frozen=True)
class MethodInfo:
    id: str  # what jobs name (RepairJob.method, EnhanceJob.model) and the CLI accepts
    task: str
    display_name: str
    description: str
    kind: MethodKind
    path: Path | None = None  # the model file; None for classical methods
    scale: int | None = None  # enhance: output scale; None = any scale (classical)
    style: str | None = None  # style models: the preset id they back
    size_bytes: int | None = None
    source: str = "built in"  # "built in", "bundled models", "your models", ...
    version: str = ""
    architecture: str | None = None
    # A second choice beside the task's default model (e.g. "detail": the adversarial
    # enhance), from the file's "variant" metadata; "auto" never picks one over a default.
    variant: str = ""
    # Style models that learnt a preset before its finish: the finish the engine adds
    # after the network (``engine.style.effects.FINISHES``), from the "finish" metadata.
    finish: str = ""
    # Whether "auto" may pick it: shipped, or its training validation beat classical and
    # its base (``model_checks.chosen_automatically``). Others are chosen by name only.
    automatic: bool = False


@dataclass(frozen=True)
class ModelProblem:
    path: Path
    message: str  # for the person: what is wrong and what to do


@dataclass
class Catalog:
    methods: list[MethodInfo] = field(default_factory=list)
    problems: list[ModelProblem] = field(default_factory=list)

    def for_task(self, task: str) -> list[MethodInfo]:
        return [method for method in self.methods if method.task == task]


Provider = Callable[[Sequence[Path]], Iterable["MethodInfo | ModelProblem"]]
_providers: list[Provider] = []


def register_provider(provider: Provider) -> None:
    """Add a source of methods (e.g. a plug-in); called on every listing."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_provider(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def patchmatch_available() -> bool:
    if importlib.util.find_spec("patchmatch") is None:
        return False
    try:
        from patchmatch import patch_match
    except (ImportError, OSError):
        return False
    return bool(patch_match.patchmatch_available)


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
                "classical",
            ),
            MethodInfo(
                "patchmatch", "repair", "PatchMatch (content-aware fill)",
                "Copies matching texture from the rest of the photo; good for objects and "
                "textured areas, slower.", "classical",
            ),
        ]  # fmt: skip
    methods += [
        MethodInfo(
            "telea", "repair", "Telea (OpenCV)",
            "Smooth fill from the edges inward; best for thin scratches, dust and text.",
            "classical",
        ),
        MethodInfo(
            "navier_stokes", "repair", "Navier-Stokes (OpenCV)",
            "Continues edges and gradients into the hole; for thin damage.", "classical",
        ),
        MethodInfo(
            "lanczos", "enhance", "Lanczos (classical)",
            "High-quality resampling with unsharp mask, auto levels and noise reduction.",
            "classical",
        ),
    ]  # fmt: skip
    return methods


def model_folders() -> list[Path]:
    """The user's (trained or added) models first: a model they made for this task is the
    one they mean, ahead of the bundled default."""
    folders = [paths.user_models_dir(), paths.bundled_models_dir()]
    return [folder for folder in folders if folder.is_dir()]


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


def _scan_own_models(folders: Sequence[Path], catalog: Catalog) -> None:
    used_ids = {method.id for method in classical_methods()}  # a name always means those
    for path in own_model_files(folders):
        shipped = is_shipped(path)
        try:
            if not is_sdstudio_metadata(read_metadata(path)):
                continue  # a community file: the community provider describes it
            info = check_own_model(path, shipped=shipped)
        except TrainingOnlyModel:
            continue
        except ModelLoadError as error:
            catalog.problems.append(ModelProblem(path, str(error)))
            continue
        except Exception as error:  # one odd file must only ever hide itself
            log.exception("checking the model file %s failed", path)
            catalog.problems.append(
                ModelProblem(path, f"{path.name} could not be checked: {error}")
            )
            continue
        source = "bundled models" if shipped else "your models"
        prefix = "bundled" if shipped else "user"
        method_id = path.stem if path.stem not in used_ids else f"{prefix}/{path.stem}"
        used_ids.add(method_id)
        catalog.methods.append(
            MethodInfo(
                id=method_id,
                task=info.task,
                display_name=info.name,
                description=info.description,
                kind="builtin",
                path=path,
                scale=info.scale,
                style=info.style,
                size_bytes=info.size_bytes,
                source=source,
                version=info.version,
                architecture=info.architecture,
                variant=str(info.provenance.get("variant", "")),
                finish=str(info.provenance.get("finish", "")),
                automatic=chosen_automatically(info, shipped=shipped),
            )
        )


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


def _community_provider() -> Provider | None:
    if importlib.util.find_spec("sdstudio.engine.community") is None:
        return None
    module = importlib.import_module("sdstudio.engine.community")
    return getattr(module, "catalog_entries", None)


def scan_catalog(*, include_providers: bool = True) -> Catalog:
    """Every method for every task, plus the problems found on the way."""
    catalog = Catalog(methods=[])
    folders = model_folders()
    _scan_own_models(folders, catalog)
    if include_providers:
        providers = list(_providers)
        community = _community_provider()
        if community is not None and community not in providers:
            providers.insert(0, community)
        taken = {method.id for method in catalog.methods}
        for provider in providers:
            try:
                entries = list(provider(folders))
            except Exception as error:  # one broken plug-in must not hide every model
                log.exception("model provider %r failed", provider)
                catalog.problems.append(
                    ModelProblem(folders[0] if folders else Path("."), f"Model listing: {error}")
                )
                continue
            for entry in entries:
                if isinstance(entry, ModelProblem):
                    catalog.problems.append(entry)
                elif isinstance(entry, MethodInfo) and entry.id not in taken:
                    taken.add(entry.id)
                    catalog.methods.append(entry)
    catalog.methods += classical_methods()
    return catalog


def list_methods(task: str, *, include_providers: bool = True) -> list[MethodInfo]:
    """The methods offered for ``task``: trained and community models, then classical."""
    _check_task(task)
    return scan_catalog(include_providers=include_providers).for_task(task)


def model_problems() -> list[ModelProblem]:
    """Model files that could not be offered, each with a message for the person."""
    return scan_catalog().problems


def best_method(
    task: str, *, scale: int | None = None, methods: Sequence[MethodInfo] | None = None
) -> MethodInfo:
    """A trained built-in model known to be good (for ``scale``), else the best classical.

    The first in listing order (the user's models before the bundled ones, so a model
    they trained for the task, and whose validation beat the alternatives, is the one
    "auto" means), skipping variants such as the adversarial "detail" enhance unless there
    is nothing else. Files not known to be good are never picked (see ``MethodInfo``).
    """
    _check_task(task)
    methods = list(methods) if methods is not None else list_methods(task)
    trained = [
        m
        for m in methods
        if m.kind == "builtin" and m.automatic and (scale is None or m.scale == scale)
    ]
    if trained:
        return min(trained, key=lambda method: bool(method.variant))  # first default, else first
    classical = [method for method in methods if method.kind == "classical"]
    if not classical:
        raise UserFacingError(f"No method is available for {task}.")
    return classical[0]


def _first_match(methods: Sequence[MethodInfo], wanted: str) -> MethodInfo | None:
    lowered = wanted.lower()
    for match in (
        lambda m: m.id == wanted,
        lambda m: m.id.lower() == lowered,
        lambda m: m.display_name.lower() == lowered,
        lambda m: m.path is not None and lowered in (m.path.name.lower(), m.path.stem.lower()),
    ):
        found = [method for method in methods if match(method)]
        if found:
            return found[0]
    return None


def find_method(task: str, id_or_name: str) -> MethodInfo:
    """The method whose id, display name or file name matches; "auto" gives the best one.

    A classical method is found without listing the models folders (model files never
    take a classical id, see ``_scan_own_models``).
    """
    _check_task(task)
    wanted = (id_or_name or "auto").strip()
    if wanted.lower() != "auto":
        classical = _first_match([m for m in classical_methods() if m.task == task], wanted)
        if classical is not None:
            return classical
    methods = list_methods(task)
    if wanted.lower() == "auto":
        return best_method(task, methods=methods)
    found = _first_match(methods, wanted)
    if found is not None:
        return found
    choices = ", ".join(method.id for method in methods)
    raise UnknownNameError(f"Unknown {task} method {id_or_name!r}. Available: {choices}.")


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise UnknownNameError(f"Unknown task {task!r}: choose one of {', '.join(TASKS)}.")
