"""What SD Studio can do to a photo, as one type every layer shares.

A task names a kind of job (``sdstudio.jobs``), the kind of network a model file holds
(its ``"task"`` metadata) and what the trainer can train. It is a ``StrEnum`` so that a
task read from a model file's metadata, a project file or the command line (plain
strings) compares equal to its member, and code compares members instead of spelling
strings.
"""

from __future__ import annotations

from enum import StrEnum


class Task(StrEnum):
    REPAIR = "repair"
    STYLE = "style"
    ENHANCE = "enhance"
    EXTEND = "extend"  # a job only: the repair engine fills the new border
    DAMAGE = "damage"  # find damage: a mask proposal, not an edit of the photo


# The tasks a model file can hold and the trainer can train.
MODEL_TASKS = (Task.REPAIR, Task.STYLE, Task.ENHANCE, Task.DAMAGE)


def task_named(name: str) -> Task:
    """The task called ``name``; a clear error for anything else (files, command lines)."""
    try:
        return Task(name)
    except ValueError:
        known = ", ".join(task.value for task in Task)
        raise ValueError(f"unknown task {name!r}; expected one of {known}") from None
