"""A project as plain values: original, base image and mask, history steps, current state.

History is stored compactly: the image and mask before the first kept step (``base``,
``base_mask``) and, per step, only the pixels it changed. Every undo step of the app is
one history step, in order:

- image steps (job results, crops, turns): a changed rectangle, the whole new image when
  the size changed (then the mask is replaced too, by what the step left: normally an
  empty mask at the new size, the cropped or turned mask for geometry steps) or when a
  step moved both image and mask at the same size (a flip), or no change at all;
- mask steps (brush strokes, clear, set, import): the changed rectangle of the mask, or
  an inversion, which needs no pixels because it is its own inverse.

The state before a step is the state after the previous one, so both undo and redo can
be rebuilt from this alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, width, height
ChangeKind = Literal["patch", "replace", "none", "invert"]
StepTarget = Literal["image", "mask"]
IMAGE_CHANGES = ("patch", "replace", "none")
MASK_CHANGES = ("patch", "invert")


@dataclass
class EditRecord:
    """One undo step as the app holds it (before and after pixels).

    ``target`` says what ``kind``, ``rect``, ``before`` and ``after`` describe: the image
    (a job result) or the mask (a stroke, clear, invert). An image step that changed the
    size also replaced the mask: ``mask_before`` / ``mask_after`` are the whole masks
    (None: not recorded; :func:`history_from_edits` says what it assumes then).
    """

    title: str
    params: dict[str, Any]
    kind: ChangeKind
    rect: Rect | None = None  # "patch": where the pixels changed
    before: np.ndarray | None = None  # "patch": old pixels of rect; "replace": old image
    after: np.ndarray | None = None  # "patch": new pixels of rect; "replace": new image
    target: StepTarget = "image"
    mask_before: np.ndarray | None = None
    mask_after: np.ndarray | None = None


@dataclass
class HistoryStep:
    """One kept step: its title and settings and what it did to the image or the mask."""

    title: str
    params: dict[str, Any]
    kind: ChangeKind
    rect: Rect | None = None
    pixels: np.ndarray | None = None  # "patch": rect after; "replace": whole image after
    target: StepTarget = "image"
    mask_after: np.ndarray | None = None  # image steps that replaced the mask: the mask after

    @property
    def is_mask_step(self) -> bool:
        return self.target == "mask"

    def apply(self, image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The image and mask after this step, given those before it.

        What the step changes is a new array; what it leaves alone is returned as given,
        so treat both results as read-only.
        """
        if self.is_mask_step:
            return image, self._changed(mask)
        image = self._changed(image)
        if self.mask_after is not None:
            mask = np.array(self.mask_after, dtype=np.uint8, copy=True)
        return image, mask

    def _changed(self, array: np.ndarray) -> np.ndarray:
        if self.kind == "replace":
            assert self.pixels is not None
            return np.array(self.pixels, dtype=np.uint8, copy=True)
        result = np.array(array, copy=True)
        if self.kind == "patch":
            assert self.rect is not None and self.pixels is not None
            x, y, w, h = self.rect
            result[y : y + h, x : x + w] = self.pixels
        elif self.kind == "invert":
            np.subtract(255, result, out=result)
        return result

    def pixel_bytes(self) -> int:
        arrays = (self.pixels, self.mask_after)
        return sum(int(array.nbytes) for array in arrays if array is not None)


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

    def replay(self) -> Iterator[tuple[HistoryStep, np.ndarray, np.ndarray]]:
        """Each step with the image and mask after it, oldest first (read-only arrays)."""
        image, mask = self.base, self.base_mask
        assert mask is not None  # filled in by __post_init__
        for step in self.steps:
            image, mask = step.apply(image, mask)
            yield step, image, mask

    def history_params(self) -> list[dict[str, Any]]:
        """Title and settings of each image step (job), oldest first.

        Mask steps are left out, as ``Document.history_params`` leaves them out: they
        say where to edit, and there is no job to run again.
        """
        return [
            {"title": step.title, **step.params} for step in self.steps if not step.is_mask_step
        ]


def _undo_in_place(array: np.ndarray, edit: EditRecord) -> None:
    if edit.kind == "patch":
        assert edit.rect is not None and edit.before is not None
        x, y, w, h = edit.rect
        array[y : y + h, x : x + w] = edit.before
    elif edit.kind == "invert":
        np.subtract(255, array, out=array)


def history_from_edits(
    current: np.ndarray, mask: np.ndarray, edits: list[EditRecord]
) -> tuple[np.ndarray, np.ndarray, list[HistoryStep]]:
    """The base image, base mask and compact steps, from the current state and undo steps.

    Walks back from ``current`` and ``mask`` undoing each edit on one copy of each, so it
    costs one image and one mask of memory however long the history is; the edits'
    arrays are only read.
    """
    image = np.array(current, copy=True)
    walked_mask = np.array(mask, copy=True)
    steps: list[HistoryStep] = []
    for edit in reversed(edits):
        mask_after = None
        if edit.target == "mask":
            _undo_in_place(walked_mask, edit)
        elif edit.kind == "replace":
            assert edit.before is not None and edit.after is not None
            if edit.before.shape[:2] != edit.after.shape[:2] or edit.mask_after is not None:
                # The step replaced the mask (a new size, or a flip or turn of both). Without
                # its own record of the mask it left, that is the mask the later steps walk
                # back to (nothing else can say).
                mask_after = walked_mask if edit.mask_after is None else edit.mask_after
                walked_mask = (
                    np.zeros(edit.before.shape[:2], np.uint8)  # not known: taken as empty
                    if edit.mask_before is None
                    else np.array(edit.mask_before, dtype=np.uint8, copy=True)
                )
            image = np.array(edit.before, copy=True)
        else:
            _undo_in_place(image, edit)
        pixels = None if edit.kind == "invert" else edit.after
        steps.append(
            HistoryStep(
                edit.title, dict(edit.params), edit.kind, edit.rect, pixels, edit.target, mask_after
            )
        )
    steps.reverse()
    return image, walked_mask, steps


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
    image and mask without history (and says so) rather than storing something wrong.
    Painting that is not an undo step yet (a brush stroke still being drawn when an
    autosave is taken) only touches the mask: then the history is kept, with the mask
    it leads to.
    """
    base, base_mask, steps = history_from_edits(current, mask, edits)
    project = Project(
        original, base, steps, np.array(current, copy=True), np.array(mask, copy=True), source
    )
    project.base_mask = base_mask
    image, replayed_mask = base, base_mask
    for step in steps:
        image, replayed_mask = step.apply(image, replayed_mask)
    if not _same(image, current):
        project.base, project.base_mask, project.steps = project.current, project.mask, []
        project.notes.append("The edit history could not be saved; the current image was.")
    elif not _same(replayed_mask, mask):
        project.mask = np.array(replayed_mask, copy=True)
        project.notes.append("Mask painting that was not finished when this was saved is left out.")
    return project


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b))
