"""Resumable training checkpoints, written atomically.

A checkpoint is a dict of tensors and state dicts plus one JSON string (``meta``) for
everything else, saved with ``torch.save`` to a temporary file that replaces the old one
(``os.replace``), so a process killed at any moment leaves either the previous or the new
checkpoint, never half of one. The previous checkpoint is kept beside it as a second
chance. Loading uses ``torch.load(weights_only=True)``: a checkpoint never runs code.

:class:`CheckpointSchedule` says when the loop writes one: a process killed between two
checkpoints loses the steps since the last, so short runs and slow steps write more often.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sdstudio.errors import UserFacingError

CHECKPOINT_NAME = "checkpoint.pt"
PREVIOUS_NAME = "checkpoint.prev.pt"
RUN_FRACTION = 10  # at least this many checkpoints over a run, however short


class CheckpointError(UserFacingError):
    pass


def checkpoint_path(run_dir: Path) -> Path:
    return Path(run_dir) / CHECKPOINT_NAME


def save_checkpoint(run_dir: Path, tensors: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Writes ``tensors`` (state dicts, tensors) and ``meta`` (JSON-able) atomically."""
    import torch

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / CHECKPOINT_NAME
    payload = dict(tensors)
    payload["meta"] = json.dumps(meta)
    handle, temp_name = tempfile.mkstemp(prefix=".checkpoint.", suffix=".tmp", dir=run_dir)
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            os.replace(target, run_dir / PREVIOUS_NAME)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return target


def load_checkpoint(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(tensors, meta) of the newest readable checkpoint in ``run_dir``; None if there is none."""
    import torch

    run_dir = Path(run_dir)
    errors = []
    for name in (CHECKPOINT_NAME, PREVIOUS_NAME):
        path = run_dir / name
        if not path.exists():
            continue
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
            meta = json.loads(payload.pop("meta"))
        except Exception as error:  # damaged file: try the previous one
            errors.append(f"{name}: {error}")
            continue
        return payload, meta
    if errors:
        raise CheckpointError(
            f"The checkpoints in {run_dir} are damaged and cannot be resumed ({'; '.join(errors)})."
        )
    return None


def has_checkpoint(run_dir: Path) -> bool:
    run_dir = Path(run_dir)
    return (run_dir / CHECKPOINT_NAME).exists() or (run_dir / PREVIOUS_NAME).exists()


def remove_temporaries(run_dir: Path) -> None:
    """Temp files a killed process left behind (checkpoints, settings, run state)."""
    for stale in Path(run_dir).glob(".*.tmp"):
        stale.unlink(missing_ok=True)


def step_interval(every_steps: int, total_steps: int) -> int:
    """Steps between checkpoints: the configured interval, but never less often than a
    tenth of the run (a 40-step run with the default 50 would otherwise keep only step 0)."""
    return max(1, min(int(every_steps), int(total_steps) // RUN_FRACTION))


class CheckpointSchedule:
    """A checkpoint is due every :func:`step_interval` steps, and whenever ``every_seconds``
    of wall time have passed since the last one (slow steps on a CPU lose minutes, not
    hours). ``clock`` is injectable so tests need not wait."""

    def __init__(
        self,
        every_steps: int,
        total_steps: int,
        every_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = step_interval(every_steps, total_steps)
        self.every_seconds = every_seconds
        self.clock = clock
        self.last_saved = clock()

    def due(self, step: int) -> bool:
        return step % self.interval == 0 or self.clock() - self.last_saved >= self.every_seconds

    def saved(self) -> None:
        self.last_saved = self.clock()
