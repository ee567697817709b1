"""A project as plain values: original, base image, history steps, current image, mask.

History is stored compactly: the image before the first kept step (``base``) and, per
step, only the pixels it changed (a rectangle) or the whole new image when the size
changed. The image before a step is the image after the previous one, so both undo and
redo can be rebuilt from this alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, width, height
ChangeKind = Literal["patch", "replace", "none"]


@dataclass
class EditRecord:
    """One image edit as the app's undo step holds it (before and after pixels)."""

    title: str
    params: dict[str, Any]
    kind: ChangeKind
    rect: Rect | None = None  # "patch": where the pixels changed
    before: np.ndarray | None = None  # "patch": old pixels of rect; "replace": old image
    after: np.ndarray | None = None  # "patch": new pixels of rect; "replace": new image


@dataclass
class HistoryStep:
    """One kept step: its title and settings and what it did to the pixels."""

    title: str
    params: dict[str, Any]
    kind: ChangeKind
    rect: Rect | None = None
    pixels: np.ndarray | None = None  # "patch": rect after; "replace": whole image after

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The image after this step, given the image before it (a new array)."""
        if self.kind == "replace":
            assert self.pixels is not None
            return np.array(self.pixels, dtype=np.uint8, copy=True)
        result = np.array(image, copy=True)
        if self.kind == "patch":
            assert self.rect is not None and self.pixels is not None
            x, y, w, h = self.rect
            result[y : y + h, x : x + w] = self.pixels
        return result

    def pixel_bytes(self) -> int:
        return 0 if self.pixels is None else int(self.pixels.nbytes)


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
    steps: list[HistoryStep]
    current: np.ndarray  # the image after the last step
    mask: np.ndarray  # (H, W) at the current image's size
    source: SourceInfo = field(default_factory=SourceInfo)
    created: str = ""  # ISO 8601 UTC; filled in on first write
    modified: str = ""
    app_version: str = ""
    legacy_history: list[dict[str, Any]] = field(default_factory=list)  # from old formats
    notes: list[str] = field(default_factory=list)  # for the person (migration, trimming)

    def replay(self) -> Iterator[tuple[HistoryStep, np.ndarray]]:
        """Each step with the image after it, oldest first."""
        image = self.base
        for step in self.steps:
            image = step.apply(image)
            yield step, image

    def history_params(self) -> list[dict[str, Any]]:
        return [{"title": step.title, **step.params} for step in self.steps]


def history_from_edits(
    current: np.ndarray, edits: list[EditRecord]
) -> tuple[np.ndarray, list[HistoryStep]]:
    """The base image and compact steps, from the current image and the undo steps.

    Walks back from ``current`` undoing each edit on one copy, so it costs one image of
    memory however long the history is; the edits' arrays are only read.
    """
    image = np.array(current, copy=True)
    for edit in reversed(edits):
        if edit.kind == "replace":
            assert edit.before is not None
            image = np.array(edit.before, copy=True)
        elif edit.kind == "patch":
            assert edit.rect is not None and edit.before is not None
            x, y, w, h = edit.rect
            image[y : y + h, x : x + w] = edit.before
    steps = [
        HistoryStep(edit.title, dict(edit.params), edit.kind, edit.rect, edit.after)
        for edit in edits
    ]
    return image, steps


def build_project(
    original: np.ndarray,
    current: np.ndarray,
    mask: np.ndarray,
    edits: list[EditRecord],
    source: SourceInfo,
) -> Project:
    """A project from the app's state; the history is checked by replaying it.

    Should an undo step change pixels in a way ``edits`` does not describe, the saved
    history would not lead to the current image; then the project keeps the current
    image without history (and says so) rather than storing something wrong.
    """
    base, steps = history_from_edits(current, edits)
    project = Project(original, base, steps, np.array(current, copy=True), mask, source)
    image = base
    for step in steps:
        image = step.apply(image)
    if image.shape != current.shape or not np.array_equal(image, current):
        project.base, project.steps = project.current, []
        project.notes.append("The edit history could not be saved; the current image was.")
    return project
