"""The document as a project and back: what Save Project, Open Project and autosave share.

Capturing runs on the UI thread and only copies what can still change (the current
image and the mask); the document's edits (``Document.history``) are never written
after they are made, so the background writer may read them as they are. Every undo step is kept, in
order: job results and mask edits (strokes, clear, set, invert) alike, so a restored
project has the same undo stack as the session that saved it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sdstudio.imaging.image_io import LoadedImage
from sdstudio.session.history import Edit, pixel_bytes
from sdstudio.session.project_model import Project, SourceInfo, build_project, trim_history
from sdstudio.session.step_replay import file_sha256
from sdstudio.tasks import Task

if TYPE_CHECKING:
    from sdstudio.app.document import Document

log = logging.getLogger(__name__)

_restoring = False
_replaying_steps = False


def is_restoring() -> bool:
    """True while :func:`restore` rebuilds a document (observers may skip their reactions)."""
    return _restoring


def is_replaying_steps() -> bool:
    """True while :func:`restore` pushes the project's steps (after opening its base)."""
    return _replaying_steps


# Which param names the model the step used: per task, in the order to try.
_MODEL_KEYS = {
    Task.REPAIR: ("method",),
    Task.ENHANCE: ("upscaler", "model"),
    Task.STYLE: ("method",),
}


@dataclass
class DocumentSnapshot:
    """The document at one moment; ``to_project`` may run on any thread."""

    original: np.ndarray
    current: np.ndarray
    mask: np.ndarray
    edits: list[Edit]
    source: SourceInfo
    max_steps: int | None = None

    def to_project(self, *, with_model_hashes: bool = True) -> Project:
        project = build_project(self.original, self.current, self.mask, self.edits, self.source)
        if self.max_steps is not None:
            project = trim_history(project, self.max_steps)
        if with_model_hashes:
            add_model_hashes(project)
        return project


def capture(document: Document, max_steps: int | None = None) -> DocumentSnapshot:
    """Copies of the document's changing arrays plus its (immutable) edits."""
    assert document.image is not None and document.original is not None
    # Only the done edits: what was undone is not part of the state.
    edits = document.history.done
    source = document.source
    info = SourceInfo()
    if source is not None:
        info = SourceInfo(
            path=str(source.path) if source.path else None,
            format=source.format,
            exif=source.exif,
            icc_profile=source.icc_profile,
            dpi=source.dpi,
        )
    return DocumentSnapshot(
        original=document.original,  # read-only since the photo was opened
        current=document.image.copy(),
        mask=document.mask.copy(),
        edits=edits,
        source=info,
        max_steps=max_steps,
    )


def model_file_for(params: dict[str, Any]) -> Path | None:
    """The model file a step's method or upscaler id names, if it is a file model."""
    from sdstudio.engine.catalog import list_methods

    task = params.get("task")
    ids = [params.get(key) for key in _MODEL_KEYS.get(str(task), ())]
    ids = [value for value in ids if isinstance(value, str) and value not in ("auto", "")]
    if not ids:
        return None
    try:
        methods = list_methods(str(task))
    except Exception:  # a broken models folder must not stop a save
        log.exception("Listing %s methods for the project file failed", task)
        return None
    for wanted in ids:
        for method in methods:
            if method.id == wanted and method.path is not None:
                return Path(method.path)
    return None


def add_model_hashes(project: Project) -> None:
    """Records each step's model file name and SHA-256 (file models only)."""
    for step in project.steps:
        if "model_sha256" in step.params:
            continue
        path = model_file_for(step.params)
        if path is None:
            continue
        try:
            step.params["model_sha256"] = file_sha256(path)
            step.params["model_file"] = path.name
        except OSError:
            log.warning("Could not hash model file %s", path)


def restore(document: Document, project: Project, *, clean: bool) -> None:
    """Puts ``project`` into ``document``: its history becomes undo steps again.

    ``clean``: mark it unmodified (an opened project); a recovered autosave stays
    modified, so closing it asks to save.
    """
    global _restoring
    _restoring = True
    try:
        _restore(document, project, clean=clean)
    finally:
        _restoring = False


def _restore(document: Document, project: Project, *, clean: bool) -> None:
    source = project.source
    fallback = Path(source.path) if source.path else Path("recovered.png")
    loaded = LoadedImage(
        pixels=project.base,
        path=fallback,
        format=source.format,
        exif=source.exif,
        icc_profile=source.icc_profile,
        dpi=source.dpi,
        notes=list(project.notes),
    )
    # The mask before the first kept step is where the history starts, like the base
    # image: part of opening, not an edit to undo.
    document.open_loaded(loaded, mask=project.base_mask)
    # The limits just set come from the base's size, which after an upscale is larger
    # than the photo the saving session opened (and budgeted these steps for): a
    # restored history keeps every step it has. The next photo gets its own limits.
    history = document.history
    max_steps, budget = history.max_steps, history.budget_bytes
    if max_steps is not None:
        max_steps = max(max_steps, len(project.steps))
    if budget is not None:
        budget = max(budget, pixel_bytes(project.steps))
    document.set_history_limits(max_steps, budget)
    original = np.array(project.original, copy=True)
    original.flags.writeable = False
    document.original = original
    global _replaying_steps
    _replaying_steps = True
    try:
        for edit in project.steps:  # each knows what it undoes: the reader replayed them
            document.push_edit(edit)
    finally:
        _replaying_steps = False
    stack = document.undo_stack
    if clean:
        stack.setClean()
    else:
        stack.resetClean()  # recovered work counts as unsaved, steps or not
