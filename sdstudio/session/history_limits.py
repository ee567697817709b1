"""How much undo history to keep: a memory budget, turned into a step count.

The app's undo stack can only drop its oldest steps by count, so the budget (megabytes,
configurable) is divided by what one step can cost at worst for the open photo: a
whole-image change keeps the image before and after, plus the mask it replaced (a mask
step keeps at most a mask before and after, which is less). Image and mask steps count
alike, as they do on the undo stack. Project files and autosaves keep at most the same
number of steps, oldest dropped first.
"""

from __future__ import annotations

from dataclasses import replace

from sdstudio.session.project_model import HistoryStep, Project

DEFAULT_UNDO_MEMORY_MB = 1024
MIN_UNDO_MEMORY_MB = 64
MAX_UNDO_MEMORY_MB = 64 * 1024
MIN_STEPS = 5  # even a huge photo keeps a few steps to undo
MAX_STEPS = 200  # QUndoView gets slow to scroll, and nobody undoes further


def clamp_memory_mb(value: float) -> int:
    return int(min(MAX_UNDO_MEMORY_MB, max(MIN_UNDO_MEMORY_MB, value)))


def worst_step_bytes(width: int, height: int, channels: int = 4) -> int:
    """Bytes one undo step may hold: the image before and after, and the mask before."""
    return max(1, 2 * width * height * channels + width * height)


def undo_step_limit(width: int, height: int, memory_mb: float = DEFAULT_UNDO_MEMORY_MB) -> int:
    """How many undo steps fit the budget for a ``width`` x ``height`` photo."""
    budget = clamp_memory_mb(memory_mb) * 1024 * 1024
    steps = budget // worst_step_bytes(width, height)
    return int(min(MAX_STEPS, max(MIN_STEPS, steps)))


def trim_history(project: Project, max_steps: int) -> Project:
    """The project with at most ``max_steps`` steps: older ones are folded into the base.

    Folding replays the dropped steps, image and mask steps alike, so the new base image
    and base mask are the state the first kept step starts from.
    """
    if max_steps < 0:
        raise ValueError("max_steps must be >= 0")
    dropped = len(project.steps) - max_steps
    if dropped <= 0:
        return project
    base, base_mask = project.base, project.base_mask
    assert base_mask is not None  # Project fills it in
    for step in project.steps[:dropped]:
        base, base_mask = step.apply(base, base_mask)
    kept: list[HistoryStep] = project.steps[dropped:]
    note = f"The {dropped} oldest history step(s) were dropped to keep the file small."
    return replace(
        project, base=base, base_mask=base_mask, steps=kept, notes=[*project.notes, note]
    )
