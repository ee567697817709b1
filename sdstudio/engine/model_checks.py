"""The checks an SD Studio model file passes before it is offered, and which files "auto" picks.

One function, :func:`check_own_model`, serves the catalog and Models > Add model file, so
a file the menu accepts is a file the panels offer. Beyond its metadata, a file's weights
must fit the network its metadata describes (a file whose metadata was edited, or copied
from another model, otherwise fails every job that picks it). That comparison needs torch
(the network is built on the ``meta`` device: shapes only, no memory, a few milliseconds),
so its verdict is kept (``sdstudio.engine.model_verdicts``) keyed by the file's path,
modification time and size: listing models again reads the verdict, not torch. Files
written by :func:`sdstudio.engine.model_file.save_model` get their verdict as they are
saved. Shipped files are checked by the release tests (tests/test_shipped_models.py) and
trusted here, so a fresh install lists its models without importing torch.

"auto" picks a model only when it is known to be good: a shipped model, or one whose
training validation (the ``validation`` metadata the trainer writes) scored it better than
both its starting point and the classical method on the same held-out photos. Any other
file is listed and can be chosen by name.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
from pathlib import Path
from typing import Any

from sdstudio import paths
from sdstudio.engine.architectures import ARCHITECTURES
from sdstudio.engine.model_file import ModelInfo, compare_weights_now, read_model_info
from sdstudio.engine.model_verdicts import verdicts
from sdstudio.errors import ModelLoadError
from sdstudio.tasks import Task

log = logging.getLogger(__name__)

PENDING_NOTE = "is being checked; it will be offered in a moment."
# The score each task's validation is judged by (see sdstudio.training.validation).
PRIMARY_SCORES = {Task.REPAIR: "psnr_hole", Task.ENHANCE: "psnr", Task.DAMAGE: "f1"}
# What a trained model must beat: where it started, and what "auto" gives without it.
REFERENCE_SCORES = ("base", "classical")


class TrainingOnlyModel(ModelLoadError):
    """A network the trainer saves beside its generator (a discriminator): never offered."""


class CheckPending(ModelLoadError):
    """The file's weights have not been compared yet, and may not be on this thread."""


# Set by the GUI (sdstudio.app.model_menu): on its main thread nothing imports torch or
# loads model files; a background check does, and the panels refresh when it is done.
_defer_on_main_thread = False


def defer_loading_on_main_thread(enabled: bool = True) -> None:
    global _defer_on_main_thread
    _defer_on_main_thread = enabled


def deferred_on_this_thread() -> bool:
    """True on the GUI thread while the GUI runs: model files must not be loaded here."""
    return _defer_on_main_thread and threading.current_thread() is threading.main_thread()


def _torch_ready() -> bool:
    # While another thread is still importing torch, "import torch" here would wait for it.
    module = sys.modules.get("torch")
    spec = getattr(module, "__spec__", None)
    return module is not None and not getattr(spec, "_initializing", False)


def is_shipped(path: Path) -> bool:
    """True for files in the bundled ``models/`` folder (also when reached through a link)."""
    try:
        Path(path).resolve().relative_to(paths.bundled_models_dir().resolve())
    except (ValueError, OSError):
        return False
    return True


def weights_problem(info: ModelInfo) -> str | None:
    """Why the file's weights do not fit its metadata, or None; torch only for new files.

    Raises :class:`CheckPending` for a new file on the GUI thread before torch is loaded.
    """
    known, problem = verdicts.lookup(info.path)
    if known:
        return problem
    if deferred_on_this_thread() and not _torch_ready():
        raise CheckPending(f"{info.path.name} {PENDING_NOTE}")
    return compare_weights_now(info)


def check_own_model(path: Path, *, shipped: bool | None = None) -> ModelInfo:
    """Everything that must hold before an SD Studio model file is offered.

    Raises :class:`ModelLoadError` with the reason (:class:`TrainingOnlyModel` for a
    discriminator, :class:`CheckPending` when the weights cannot be compared on this
    thread yet). ``shipped`` defaults to whether the file is in the bundled folder.
    """
    path = Path(path)
    info = read_model_info(path)
    record = ARCHITECTURES.get(info.architecture)
    if record is not None and record.training_only:
        raise TrainingOnlyModel(
            f"{path.name} is a {info.architecture} network, which only training uses; it "
            "cannot edit photos."
        )
    if record is None:
        raise ModelLoadError(
            f"{path.name} needs the network {info.architecture!r}, which this version of "
            "SD Studio does not have."
        )
    if record.task != info.task:
        raise ModelLoadError(f"{path.name}: a {info.architecture} network cannot do {info.task}.")
    if not (is_shipped(path) if shipped is None else shipped):
        problem = weights_problem(info)
        if problem:
            raise ModelLoadError(problem)
    return info


def remember_checked_copy(path: Path) -> None:
    """``path`` is a byte-for-byte copy of a file that passed :func:`check_own_model`."""
    verdicts.store(Path(path), None)


def _score(validation: dict[str, Any], who: str, key: str) -> float | None:
    scores = validation.get(who)
    value = scores.get(key) if isinstance(scores, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def validated_better(task: str, validation: Any) -> bool:
    """True when the training validation scored the model above every reference it has
    (its base and the classical method); False when it lacks scores to show that."""
    key = PRIMARY_SCORES.get(task)
    if key is None or not isinstance(validation, dict):
        return False
    model = _score(validation, "model", key)
    references = [_score(validation, who, key) for who in REFERENCE_SCORES]
    known = [value for value in references if value is not None]
    return model is not None and bool(known) and all(model > value for value in known)


def chosen_automatically(info: ModelInfo, *, shipped: bool) -> bool:
    """Whether "auto" may pick this file (variants aside, which best_method handles)."""
    return shipped or validated_better(info.task, info.provenance.get("validation"))
