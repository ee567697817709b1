"""The document as a project and back: what Save Project, Open Project and autosave share.

Capturing runs on the UI thread and only copies what can still change (the current
image and the mask); the undo steps' stored pixels are never written after the step is
made, so the background writer may read them as they are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sdstudio.app.undo_commands import ImageResultCommand
from sdstudio.imaging.image_io import LoadedImage
from sdstudio.session.history_limits import trim_history
from sdstudio.session.project_model import EditRecord, Project, SourceInfo, build_project
from sdstudio.session.step_replay import file_sha256

if TYPE_CHECKING:
    from sdstudio.app.document import Document

log = logging.getLogger(__name__)

_restoring = False


def is_restoring() -> bool:
    """True while :func:`restore` rebuilds a document (observers may skip their reactions)."""
    return _restoring


# Which param names the model the step used: per task, in the order to try.
_MODEL_KEYS = {"repair": ("method",), "enhance": ("upscaler", "model"), "style": ("method",)}


def _edit_record(command: ImageResultCommand) -> EditRecord:
    # ImageResultCommand keeps either whole images (size changed) or one changed rect.
    title, params = command.text(), dict(command.params)
    if command._resized:
        return EditRecord(
            title, params, "replace", None, command._before_image, command._after_image
        )
    if command._rect is not None:
        return EditRecord(
            title, params, "patch", command._rect, command._before_image, command._after_image
        )
    return EditRecord(title, params, "none")


@dataclass
class DocumentSnapshot:
    """The document at one moment; ``to_project`` may run on any thread."""

    original: np.ndarray
    current: np.ndarray
    mask: np.ndarray
    edits: list[EditRecord]
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
    """Copies of the document's changing arrays plus its (immutable) undo pixels."""
    assert document.image is not None and document.original is not None
    stack = document.undo_stack
    edits = [
        _edit_record(command)
        for command in (stack.command(index) for index in range(stack.index()))
        if isinstance(command, ImageResultCommand)
    ]
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
    document.open_loaded(loaded)
    original = np.array(project.original, copy=True)
    original.flags.writeable = False
    document.original = original
    for step, image in project.replay():
        document.apply_result(step.title, image, step.params)
    if project.mask.any():
        # Restoring the mask is part of opening, not an edit to undo.
        height, width = project.mask.shape
        document._write_mask_patch((0, 0, width, height), project.mask)
    if clean:
        document.undo_stack.setClean()
    else:
        document.undo_stack.resetClean()  # recovered work counts as unsaved, steps or not
