"""Resumable training checkpoints, written atomically.

A checkpoint is a dict of tensors and state dicts plus one JSON string (``meta``) for
everything else, saved with ``torch.save`` to a temporary file that replaces the old one
(``os.replace``), so a process killed at any moment leaves either the previous or the new
checkpoint, never half of one. The previous checkpoint is kept beside it as a second
chance. Loading uses ``torch.load(weights_only=True)``: a checkpoint never runs code.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sdstudio.errors import UserFacingError

CHECKPOINT_NAME = "checkpoint.pt"
PREVIOUS_NAME = "checkpoint.prev.pt"


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
    """Temp files a killed process left behind."""
    for stale in Path(run_dir).glob(".checkpoint.*.tmp"):
        stale.unlink(missing_ok=True)
