"""Undo history as plain values: one :class:`Edit` per step and a :class:`History`.

An edit stores only what it changed, before and after, so it can be undone and redone
on its own: a rectangle of the image or the mask, the whole image (and mask) when the
size changed or a step moved every pixel (a flip), an inversion of the mask (its own
inverse, no pixels), or nothing at all. The app's undo commands wrap one edit each;
project files store the same edits (``project_model``).

The history keeps its steps within a memory budget: oldest first, they go once the
kept steps hold more bytes than the budget (a few steps are always kept) or once there
are more steps than the step limit. The app's undo stack can only drop by count, so it
is given :func:`undo_step_limit`: as many worst-case steps as fit the budget.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Rect = tuple[int, int, int, int]  # x, y, width, height
ChangeKind = Literal["patch", "replace", "none", "invert"]
StepTarget = Literal["image", "mask"]
IMAGE_CHANGES = ("patch", "replace", "none")
MASK_CHANGES = ("patch", "invert")

DEFAULT_UNDO_MEMORY_MB = 1024
MIN_UNDO_MEMORY_MB = 64
MAX_UNDO_MEMORY_MB = 64 * 1024
MIN_STEPS = 5  # even a huge photo keeps a few steps to undo
MAX_STEPS = 200  # QUndoView gets slow to scroll, and nobody undoes further


def clamp_memory_mb(value: float) -> int:
    return int(min(MAX_UNDO_MEMORY_MB, max(MIN_UNDO_MEMORY_MB, value)))


def budget_bytes(memory_mb: float) -> int:
    """The configured undo memory (megabytes, clamped) in bytes."""
    return clamp_memory_mb(memory_mb) * 1024 * 1024


def worst_step_bytes(width: int, height: int, channels: int = 4) -> int:
    """Bytes one undo step may hold: the image before and after, and the mask before.

    A mask step holds at most a mask before and after, which is less.
    """
    return max(1, 2 * width * height * channels + width * height)


def undo_step_limit(width: int, height: int, memory_mb: float = DEFAULT_UNDO_MEMORY_MB) -> int:
    """How many undo steps fit the budget for a ``width`` x ``height`` photo."""
    steps = budget_bytes(memory_mb) // worst_step_bytes(width, height)
    return int(min(MAX_STEPS, max(MIN_STEPS, steps)))


def changed_bounds(before: np.ndarray, after: np.ndarray) -> Rect | None:
    """The bounding rect where two same-shaped arrays differ, or None if identical.

    Runs on the UI thread for every job result, so it scans bands inwards from each edge
    and stops at the first difference: a result that changes the whole photo costs four
    small comparisons instead of a full-image pass (~40 ms for 3 MP with ``any(axis=2)``).
    """
    height, width = before.shape[:2]
    channels = 1 if before.ndim == 2 else before.shape[2]
    # One row of bytes per image row: every comparison below is a plain 2-D one.
    flat_before = before.reshape(height, width * channels)
    flat_after = after.reshape(height, width * channels)

    def rows_differ(lo: int, hi: int) -> np.ndarray:
        return (flat_before[lo:hi] != flat_after[lo:hi]).any(axis=1)

    top = _first_change(height, rows_differ, from_end=False)
    if top is None:
        return None
    bottom = _first_change(height, rows_differ, from_end=True)
    assert bottom is not None

    def cols_differ(lo: int, hi: int) -> np.ndarray:
        band = flat_before[top : bottom + 1, lo * channels : hi * channels]
        other = flat_after[top : bottom + 1, lo * channels : hi * channels]
        return (band != other).any(axis=0).reshape(hi - lo, channels).any(axis=1)

    left = _first_change(width, cols_differ, from_end=False)
    right = _first_change(width, cols_differ, from_end=True)
    assert left is not None and right is not None
    return (left, top, right - left + 1, bottom - top + 1)


def _first_change(
    length: int, differ: Callable[[int, int], np.ndarray], *, from_end: bool, band: int = 32
) -> int | None:
    """Index of the first (or last) line that ``differ(lo, hi)`` flags, scanning in bands."""
    starts = range(0, length, band)
    for lo in reversed(starts) if from_end else starts:
        hi = min(length, lo + band)
        flags = np.flatnonzero(differ(lo, hi))
        if flags.size:
            return lo + int(flags[-1] if from_end else flags[0])
    return None


def crop(array: np.ndarray, rect: Rect) -> np.ndarray:
    x, y, w, h = rect
    return array[y : y + h, x : x + w]


@dataclass(frozen=True, eq=False)  # compared by identity: two equal strokes are two steps
class Edit:
    """What one undo step changed; its arrays are never written after it is made.

    ``target`` says what ``kind``, ``rect``, ``before`` and ``after`` describe: the image
    (a job result, a crop) or the mask (a stroke, clear, invert). "patch": ``before`` and
    ``after`` are the pixels of ``rect``; "replace": the whole images. An image step that
    replaced the mask too (a new size, a flip) keeps the whole masks in ``mask_before``
    and ``mask_after``; without them the mask stays as it was.
    """

    title: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: ChangeKind = "none"
    rect: Rect | None = None
    before: np.ndarray | None = None
    after: np.ndarray | None = None
    target: StepTarget = "image"
    mask_before: np.ndarray | None = None
    mask_after: np.ndarray | None = None

    def __post_init__(self) -> None:
        allowed = MASK_CHANGES if self.target == "mask" else IMAGE_CHANGES
        if self.target not in ("image", "mask") or self.kind not in allowed:
            raise ValueError(f"an edit of the {self.target} cannot be a {self.kind!r}")
        if self.kind == "patch" and any(v is None for v in (self.rect, self.before, self.after)):
            raise ValueError("a patch needs its rect and the pixels before and after")
        if self.kind == "replace" and (self.before is None or self.after is None):
            raise ValueError("a replacement needs the whole image before and after")
        if (self.mask_before is None) != (self.mask_after is None) or (
            self.mask_after is not None and self.kind != "replace"
        ):
            raise ValueError("only a replacement replaces the mask, keeping it before and after")
        if self.kind == "replace" and self.mask_after is None:
            assert self.before is not None and self.after is not None
            if self.before.shape[:2] != self.after.shape[:2]:
                raise ValueError("an edit that changes the size must replace the mask too")

    @classmethod
    def image_result(
        cls,
        title: str,
        params: dict[str, Any],
        image: np.ndarray,
        mask: np.ndarray,
        result: np.ndarray,
        result_mask: np.ndarray | None = None,
    ) -> Edit:
        """The step from ``image`` and ``mask`` to ``result``.

        Same size: the changed rectangle (or nothing). A new size replaces both image and
        mask: the mask by ``result_mask``, else by an empty one; given ``result_mask``,
        both are replaced even at the same size (a flip moves every pixel of both). The
        arrays are kept as given, so pass ones that nobody writes to afterwards.
        """
        if image.shape != result.shape or result_mask is not None:
            if result_mask is None:  # np.zeros costs no memory until written
                result_mask = np.zeros(result.shape[:2], np.uint8)
            return cls(
                title, dict(params), "replace", None, image, result, "image", mask, result_mask
            )
        rect = changed_bounds(image, result)
        if rect is None:
            return cls(title, dict(params))
        before, after = crop(image, rect).copy(), crop(result, rect).copy()
        return cls(title, dict(params), "patch", rect, before, after)

    @classmethod
    def mask_change(cls, title: str, mask: np.ndarray, new_mask: np.ndarray) -> Edit | None:
        """The mask step from ``mask`` to ``new_mask`` (same size); None if they are equal."""
        rect = changed_bounds(mask, new_mask)
        if rect is None:
            return None
        return cls.mask_patch(title, rect, crop(mask, rect).copy(), crop(new_mask, rect).copy())

    @classmethod
    def mask_patch(cls, title: str, rect: Rect, before: np.ndarray, after: np.ndarray) -> Edit:
        return cls(title, {}, "patch", rect, before, after, "mask")

    @classmethod
    def mask_inversion(cls, title: str = "Invert mask") -> Edit:
        return cls(title, {}, "invert", target="mask")

    @property
    def is_mask_step(self) -> bool:
        return self.target == "mask"

    def arrays(self) -> list[np.ndarray]:
        values = (self.before, self.after, self.mask_before, self.mask_after)
        return [array for array in values if array is not None]

    @property
    def nbytes(self) -> int:
        return sum(int(array.nbytes) for array in self.arrays())

    def write_into(self, array: np.ndarray, *, undo: bool = False) -> None:
        """Writes a patch or an inversion into ``array`` (the image or mask it targets)."""
        if self.kind == "patch":
            assert self.rect is not None
            x, y, w, h = self.rect
            array[y : y + h, x : x + w] = self.before if undo else self.after
        elif self.kind == "invert":
            np.subtract(255, array, out=array)
        else:
            raise ValueError(f"a {self.kind!r} edit is not written in place")

    def apply(self, image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The image and mask after this step, given those before it (redo)."""
        return self._transition(image, mask, undo=False)

    def revert(self, image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The image and mask before this step, given those after it (undo)."""
        return self._transition(image, mask, undo=True)

    def _transition(
        self, image: np.ndarray, mask: np.ndarray, *, undo: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """What the step changes is a new array or one of its own; what it leaves alone is
        returned as given. Treat both results as read-only."""
        if self.kind == "none":
            return image, mask
        if self.kind == "replace":
            image = self.before if undo else self.after  # type: ignore[assignment]
            if self.mask_after is not None:
                mask = self.mask_before if undo else self.mask_after  # type: ignore[assignment]
            return image, mask
        changed = np.array(mask if self.is_mask_step else image, copy=True)
        self.write_into(changed, undo=undo)
        return (image, changed) if self.is_mask_step else (changed, mask)


def pixel_bytes(edits: Iterable[Edit]) -> int:
    """Bytes the edits' arrays hold, an array shared between edits counted once."""
    seen: dict[int, int] = {}
    for edit in edits:
        for array in edit.arrays():
            seen[id(array)] = int(array.nbytes)
    return sum(seen.values())


class History:
    """Edits in order, how many of them are done, and the limits on what is kept.

    ``position`` edits are done; those after it were undone and can be redone until a
    new edit is pushed. ``max_steps`` and ``budget_bytes`` (None: no limit) bound what is
    kept: pushing drops the oldest steps once either is exceeded, though never below
    :data:`MIN_STEPS` for the byte budget.
    """

    def __init__(
        self,
        edits: Iterable[Edit] = (),
        *,
        max_steps: int | None = None,
        budget_bytes: int | None = None,
    ) -> None:
        self._edits = list(edits)
        self.position = len(self._edits)
        self.max_steps = max_steps
        self.budget_bytes = budget_bytes

    def __len__(self) -> int:
        return len(self._edits)

    @property
    def edits(self) -> list[Edit]:
        """Every kept edit, oldest first, undone ones included (a copy)."""
        return list(self._edits)

    @property
    def done(self) -> list[Edit]:
        """The edits that make the current state, oldest first."""
        return self._edits[: self.position]

    @property
    def next_undo(self) -> Edit | None:
        return self._edits[self.position - 1] if self.position > 0 else None

    @property
    def next_redo(self) -> Edit | None:
        return self._edits[self.position] if self.position < len(self._edits) else None

    @property
    def nbytes(self) -> int:
        return pixel_bytes(self._edits)

    def push(self, edit: Edit) -> list[Edit]:
        """Records ``edit`` as done; undone edits go. Returns the oldest ones dropped."""
        del self._edits[self.position :]
        self._edits.append(edit)
        self.position = len(self._edits)
        return self._drop_over_limits()

    def undo(self) -> Edit | None:
        """The edit to revert (None at the start); it moves to the redo side."""
        edit = self.next_undo
        if edit is not None:
            self.position -= 1
        return edit

    def redo(self) -> Edit | None:
        """The edit to apply again (None when nothing was undone)."""
        edit = self.next_redo
        if edit is not None:
            self.position += 1
        return edit

    def clear(self) -> None:
        self._edits.clear()
        self.position = 0

    def set_limits(self, max_steps: int | None, budget_bytes: int | None) -> list[Edit]:
        """New limits, applied at once; returns the oldest edits they dropped."""
        self.max_steps, self.budget_bytes = max_steps, budget_bytes
        return self._drop_over_limits()

    def drop_oldest(self, count: int) -> list[Edit]:
        """Forgets the ``count`` oldest edits (they can no longer be undone)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        dropped, self._edits = self._edits[:count], self._edits[count:]
        self.position = max(0, self.position - len(dropped))
        return dropped

    def _drop_over_limits(self) -> list[Edit]:
        dropped: list[Edit] = []
        if self.max_steps is not None and len(self._edits) > self.max_steps:
            dropped += self.drop_oldest(len(self._edits) - self.max_steps)
        if self.budget_bytes is not None:
            while len(self._edits) > MIN_STEPS and self.nbytes > self.budget_bytes:
                dropped += self.drop_oldest(1)
        return dropped
