"""A project as plain values: original, base image and mask, history, current state.

The history is the app's own :class:`~sdstudio.session.history.History`: every undo
step, in order, image steps (job results, crops, turns) and mask steps (strokes, clear,
set, import, invert) alike. A file stores it compactly (``project_file``): the image and
mask before the first kept step (``base``, ``base_mask``) and, per step, only what it
left; the state before a step is the state after the previous one, so reading rebuilds
each edit's "before" by replaying from the base.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sdstudio.session.history import Edit, History


@dataclass
class SourceInfo:
    """The photo the session started from: where it was and what a save must keep."""

    path: str | None = None
    format: str | None = None
    exif: bytes | None = None
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None


@dataclass
class Project:
    original: np.ndarray  # the photo as opened
    base: np.ndarray  # the image before the first kept history step
    history: History  # every kept step, all of them done
    current: np.ndarray  # the image after the last step
    mask: np.ndarray  # (H, W) at the current image's size: the mask after the last step
    source: SourceInfo = field(default_factory=SourceInfo)
    created: str = ""  # ISO 8601 UTC; filled in on first write
    modified: str = ""
    app_version: str = ""
    legacy_history: list[dict[str, Any]] = field(default_factory=list)  # from old formats
    notes: list[str] = field(default_factory=list)  # for the person (migration, trimming)
    base_mask: np.ndarray | None = None  # the mask before the first step; None: empty

    def __post_init__(self) -> None:
        if self.base_mask is None:
            self.base_mask = np.zeros(self.base.shape[:2], np.uint8)

    @property
    def steps(self) -> list[Edit]:
        """The history's edits, oldest first."""
        return self.history.done

    def replay(self) -> Iterator[tuple[Edit, np.ndarray, np.ndarray]]:
        """Each step with the image and mask after it, oldest first (read-only arrays)."""
        image, mask = self.base, self.base_mask
        assert mask is not None  # filled in by __post_init__
        for edit in self.steps:
            image, mask = edit.apply(image, mask)
            yield edit, image, mask

    def history_params(self) -> list[dict[str, Any]]:
        """Title and settings of each image step (job), oldest first.

        Mask steps are left out, as ``Document.history_params`` leaves them out: they
        say where to edit, and there is no job to run again.
        """
        return [
            {"title": edit.title, **edit.params} for edit in self.steps if not edit.is_mask_step
        ]


def _state_before(
    edits: list[Edit], image: np.ndarray, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The image and mask before ``edits``, walking back from those after them.

    Patches and inversions are undone on one copy of each, so this costs one image and
    one mask of memory however long the history is; the edits' arrays are only read.
    """
    image, mask = np.array(image, copy=True), np.array(mask, copy=True)
    for edit in reversed(edits):
        if edit.kind == "replace":  # copies: the edit's own arrays are never written
            image = np.array(edit.before, copy=True)
            if edit.mask_before is not None:
                mask = np.array(edit.mask_before, copy=True)
        elif edit.kind != "none":
            edit.write_into(mask if edit.is_mask_step else image, undo=True)
    return image, mask


def build_project(
    original: np.ndarray,
    current: np.ndarray,
    mask: np.ndarray,
    edits: list[Edit],
    source: SourceInfo,
) -> Project:
    """A project from the app's state and done edits; the history is checked by replaying.

    Should an undo step change pixels in a way ``edits`` does not describe, the saved
    history would not lead to the current image; then the project keeps the current
    image and mask without history (and says so) rather than storing something wrong.
    Painting that is not an undo step yet (a brush stroke still being drawn when an
    autosave is taken) only touches the mask: then the history is kept, with the mask
    it leads to.
    """
    base, base_mask = _state_before(edits, current, mask)
    # Own params: model hashes are added to them, maybe off the UI thread.
    kept = History(replace(edit, params=dict(edit.params)) for edit in edits)
    project = Project(
        original, base, kept, np.array(current, copy=True), np.array(mask, copy=True), source
    )
    project.base_mask = base_mask
    image, replayed_mask = base, base_mask
    for edit in kept.done:
        image, replayed_mask = edit.apply(image, replayed_mask)
    if not _same(image, current):
        project.base, project.base_mask = project.current, project.mask
        project.history = History()
        project.notes.append("The edit history could not be saved; the current image was.")
    elif not _same(replayed_mask, mask):
        project.mask = np.array(replayed_mask, copy=True)
        project.notes.append("Mask painting that was not finished when this was saved is left out.")
    return project


def trim_history(project: Project, max_steps: int) -> Project:
    """The project with at most ``max_steps`` steps: older ones are folded into the base.

    Folding replays the dropped steps, image and mask steps alike, so the new base image
    and base mask are the state the first kept step starts from.
    """
    if max_steps < 0:
        raise ValueError("max_steps must be >= 0")
    count = len(project.steps) - max_steps
    if count <= 0:
        return project
    kept = History(project.steps)
    base, base_mask = project.base, project.base_mask
    assert base_mask is not None  # Project fills it in
    for edit in kept.drop_oldest(count):
        base, base_mask = edit.apply(base, base_mask)
    note = f"The {count} oldest history step(s) were dropped to keep the file small."
    return replace(
        project, base=base, base_mask=base_mask, history=kept, notes=[*project.notes, note]
    )


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))
