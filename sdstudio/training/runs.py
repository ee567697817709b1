"""Run folders: which folder a run lives in, its saved settings, and how far it got.

A run *is* its folder. A folder copied or renamed by hand (in the file manager) continues
under its own folder's name and exports its own model file, so it never resumes, or writes
over the model of, the run it was copied from. Beside the checkpoint each run keeps a small
``run_state.json`` (step, total, finished, model file) that the wizard reads without torch.

This module imports neither torch nor Qt: the wizard's Resume list uses it on the UI thread.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sdstudio.errors import UserFacingError
from sdstudio.training.checkpoints import has_checkpoint
from sdstudio.training.config import TrainingConfig
from sdstudio.training.run_names import find_run_dir, run_slug, runs_dir

CONFIG_NAME = "config.json"
STATE_NAME = "run_state.json"


class DamagedRunError(UserFacingError):
    """A run folder whose saved settings cannot be read."""


def read_run_config(run_dir: Path, name: str | None = None) -> TrainingConfig:
    """The saved settings of the run in ``run_dir``, named after the folder it lives in.
    ``name``: what the person asked for, for the message when there is no such run."""
    run_dir = Path(run_dir)
    path = run_dir / CONFIG_NAME
    if not path.exists():
        raise UserFacingError(f"There is no training run named {name or run_dir.name!r} to resume.")
    try:
        config = TrainingConfig.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, AttributeError) as error:
        # Truncated or hand-edited JSON, a missing field, or not a JSON object at all.
        raise DamagedRunError(
            f"The settings of the training run {run_dir.name!r} ({path}) are damaged, so the "
            f"run cannot be resumed ({type(error).__name__}: {error}). Start a new run instead."
        ) from error
    if run_slug(config.name) != run_dir.name:
        # Copied or renamed folder: it becomes a run of its own, called as its folder.
        config.name = run_dir.name
    return config


def load_run_config(name: str) -> TrainingConfig:
    """The saved settings of the run called ``name`` (see :func:`find_run_dir`)."""
    return read_run_config(find_run_dir(name), name)


def _write_atomically(path: Path, text: str) -> None:
    """A killed process leaves the old file or the new one, never half of one."""
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_run_config(run_dir: Path, config: TrainingConfig) -> None:
    _write_atomically(Path(run_dir) / CONFIG_NAME, config.to_json())


def write_run_state(
    run_dir: Path, *, step: int, total_steps: int, finished: bool, model_path: str | None
) -> None:
    """Records how far the run got (read by the wizard's Resume list)."""
    state = {
        "step": step,
        "total_steps": total_steps,
        "finished": finished,
        "model_path": model_path,
    }
    _write_atomically(Path(run_dir) / STATE_NAME, json.dumps(state))


def read_run_state(run_dir: Path) -> dict | None:
    """What :func:`write_run_state` recorded; None when there is no readable record."""
    try:
        state = json.loads((Path(run_dir) / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


@dataclass(frozen=True)
class RunSummary:
    folder: Path
    name: str
    task: str = ""
    step: int | None = None  # None: not recorded (a run from before run_state.json)
    total_steps: int | None = None
    finished: bool = False
    problem: str = ""  # why the run cannot be resumed; "" when it can

    @property
    def damaged(self) -> bool:
        return bool(self.problem)


def summarize_run(folder: Path) -> RunSummary:
    try:
        config = read_run_config(folder)
    except UserFacingError as error:
        return RunSummary(folder=folder, name=folder.name, problem=str(error))
    state = read_run_state(folder) or {}
    step, total = state.get("step"), state.get("total_steps")
    return RunSummary(
        folder=folder,
        name=config.name,
        task=config.task,
        step=step if isinstance(step, int) else None,
        total_steps=total if isinstance(total, int) else None,
        finished=state.get("finished") is True,
    )


def list_runs() -> list[RunSummary]:
    """Every run folder that has a checkpoint, finished or not, damaged or not."""
    return [
        summarize_run(folder)
        for folder in sorted(runs_dir().iterdir())
        if folder.is_dir() and (folder / CONFIG_NAME).exists() and has_checkpoint(folder)
    ]


def unfinished_runs() -> list[RunSummary]:
    """Runs a person can continue (and damaged ones, so the list can say why not)."""
    return [run for run in list_runs() if not run.finished]
