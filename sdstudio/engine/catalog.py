"""Which methods each task offers, and which one a job means.

The backends (``sdstudio.engine.backends``) describe their own entries: the classical
methods, SD Studio's networks, community (spandrel) files and Stable Diffusion
checkpoints. The catalog only scans the models folders through them and resolves names,
over a snapshot kept until a models folder changes: the snapshot's stamp is every model
file's and folder's (path, inode, mtime, size) plus the files that keep the verdicts, so
a file added, removed, replaced or newly checked gives a new snapshot, and listing again
otherwise costs one walk of ``stat`` calls. A damaged file is reported in ``problems``
and left out; listing never fails because of one bad file. A network is offered only
when a trained file for it exists, and "auto" picks only files known to be good.

Naming a classical method (``telea``, ``lanczos``...) never looks at the models folders,
so a slow or broken folder cannot hold up a classical job.

Plug-ins add methods through *providers* (:func:`register_provider`): callables taking
the model folders and returning :class:`MethodInfo` and :class:`ModelProblem` items (any
task; the catalog filters); they are asked on every listing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from sdstudio import paths
from sdstudio.engine.backends import FOLDER_BACKENDS, HEADER_ONLY_BACKENDS
from sdstudio.engine.backends.builtin import check_new_model_files
from sdstudio.engine.backends.classical import classical_methods
from sdstudio.engine.backends.model_index import CACHE_FILE_NAME, FileKind, scan
from sdstudio.engine.backends.spandrel_files import COMMUNITY_SUFFIXES
from sdstudio.engine.folder_walk import walk_model_folders
from sdstudio.engine.json_cache import cache_file
from sdstudio.engine.methods import Catalog, MethodInfo, MethodKind, ModelProblem
from sdstudio.engine.model_checks import PENDING_NOTE
from sdstudio.engine.model_verdicts import VERDICT_FILE_NAME
from sdstudio.engine.patchmatch_library import (  # whether PatchMatch is offered: asked here
    patchmatch_available as patchmatch_available,
)
from sdstudio.errors import UnknownNameError, UserFacingError
from sdstudio.tasks import MODEL_TASKS, Task

log = logging.getLogger(__name__)

Provider = Callable[[Sequence[Path]], Iterable["MethodInfo | ModelProblem"]]
_providers: list[Provider] = []


def register_provider(provider: Provider) -> None:
    """Add a source of methods (e.g. a plug-in); called on every listing."""
    if provider not in _providers:
        _providers.append(provider)


def unregister_provider(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def model_folders() -> list[Path]:
    """The user's (trained or added) models first: a model they made for this task is the
    one they mean, ahead of the bundled default."""
    folders = [paths.user_models_dir(), paths.bundled_models_dir()]
    return [folder for folder in folders if folder.is_dir()]


def _stamps_of(watched: Iterable[Path]) -> tuple:
    stamps = []
    for path in watched:
        try:
            stat = path.stat()
            # The inode too: a file replaced within the clock's granularity has a new one.
            stamps.append((str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size))
        except OSError:
            stamps.append((str(path), None, None, None))
    return tuple(stamps)


def _stamp(folders: Sequence[Path]) -> tuple[tuple, tuple]:
    """What a snapshot depends on: (each folder and model file as it is, the verdict
    caches as they are)."""
    files = _stamps_of([*folders, *walk_model_folders(folders, COMMUNITY_SUFFIXES)])
    caches = _stamps_of([cache_file(VERDICT_FILE_NAME), cache_file(CACHE_FILE_NAME)])
    return files, caches


class _Snapshots:
    """The last listing per backend set, and the stamp it was made at."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[bool, tuple[tuple, Catalog]] = {}

    def listing(self, folders: Sequence[Path], *, all_backends: bool) -> Catalog:
        before = _stamp(folders)
        with self._lock:
            made = self._made.get(all_backends)
        if made is not None and made[0] == before:
            return made[1]
        listing = _scan_backends(folders, all_backends=all_backends)
        # The scan itself writes verdicts of newly checked files: keep the listing under
        # the caches as they are now, unless a model file changed while it ran.
        after = _stamp(folders)
        pending = any(PENDING_NOTE in problem.message for problem in listing.problems)
        # A file still being checked (on the GUI thread) is listed again once it is done.
        if after[0] == before[0] and not pending:
            with self._lock:
                self._made[all_backends] = (after, listing)
        return listing

    def clear(self) -> None:
        with self._lock:
            self._made.clear()


snapshots = _Snapshots()


def _add_entries(catalog: Catalog, entries: Iterable[MethodInfo | ModelProblem]) -> None:
    taken = {method.id for method in catalog.methods}
    for entry in entries:
        if isinstance(entry, ModelProblem):
            catalog.problems.append(entry)
        elif isinstance(entry, MethodInfo) and entry.id not in taken:
            taken.add(entry.id)
            catalog.methods.append(entry)


def _scan_backends(folders: Sequence[Path], *, all_backends: bool) -> Catalog:
    """The entries of the backends that read the models folders (the classical methods
    need no folder, so they are added to each listing instead)."""
    catalog = Catalog()
    for backend in FOLDER_BACKENDS if all_backends else HEADER_ONLY_BACKENDS:
        try:
            entries = backend.entries(folders)
        except Exception as error:  # one broken backend must not hide every model
            log.exception("the %s backend's listing failed", backend.kind)
            folder = folders[0] if folders else Path(".")
            entries = [ModelProblem(folder, f"Model listing: {error}")]
        _add_entries(catalog, entries)
    return catalog


def _provider_entries(folders: Sequence[Path]) -> list[MethodInfo | ModelProblem]:
    found: list[MethodInfo | ModelProblem] = []
    for provider in list(_providers):
        try:
            found += list(provider(folders))
        except Exception as error:  # one broken plug-in must not hide every model
            log.exception("model provider %r failed", provider)
            folder = folders[0] if folders else Path(".")
            found.append(ModelProblem(folder, f"Model listing: {error}"))
    return found


def scan_catalog(*, include_providers: bool = True) -> Catalog:
    """Every method for every task, plus the problems found on the way.

    ``include_providers=False`` lists only what header reads describe (classical methods
    and SD Studio's files): no community file is loaded and no plug-in asked.
    """
    folders = model_folders()
    listing = snapshots.listing(folders, all_backends=include_providers)
    catalog = Catalog(list(listing.methods), list(listing.problems))
    if include_providers:
        _add_entries(catalog, _provider_entries(folders))
    catalog.methods += classical_methods()
    return catalog


def check_new_files(folders: Sequence[Path]) -> list[Path]:
    """Load and cache every file not checked yet (call off the GUI thread); returns them:
    community files, and SD Studio files whose weights were not compared yet."""
    own = check_new_model_files(folders)
    pending = [item.path for item in scan(folders, load_new=False) if item.kind is FileKind.PENDING]
    if pending:
        scan(folders, load_new=True)
    return own + pending


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
        if m.kind is MethodKind.BUILTIN and m.automatic and (scale is None or m.scale == scale)
    ]
    if trained:
        return min(trained, key=lambda method: bool(method.variant))  # first default, else first
    classical = [method for method in methods if method.kind is MethodKind.CLASSICAL]
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
    take a classical id, see ``backends.builtin.entries``).
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


def style_network(preset_id: str) -> MethodInfo | None:
    """The first trained model (the user's before the bundled ones) backing this preset."""
    for method in list_methods(Task.STYLE, include_providers=False):
        if method.kind is MethodKind.BUILTIN and method.style == preset_id and method.path:
            return method
    return None


def diffusion_checkpoint(method_id: str) -> MethodInfo:
    """The Stable Diffusion checkpoint a prompt-based style job names (a Repair method id)."""
    from sdstudio.engine.backends.diffusion_pipeline import require_diffusers

    require_diffusers()
    method = find_method(Task.REPAIR, method_id)
    if method.kind is not MethodKind.DIFFUSION:
        raise UnknownNameError(
            f"{method.display_name} is not a Stable Diffusion model; prompt-based styles need one."
        )
    return method


def _check_task(task: str) -> None:
    if task not in MODEL_TASKS:
        known = ", ".join(MODEL_TASKS)
        raise UnknownNameError(f"Unknown task {task!r}: choose one of {known}.")
