"""A run's name, and what it names: its run folder and its exported model file.

The CLI (``sdstudio train --name``) and the training wizard (its name field) both end up
here, so a name maps to the same folder and file however the run was started: the folder
is the name's slug under ``<user data>/training``, the model file the slug in the user's
models folder (with ``-2``, ``-3``... when another file has it).
"""

from __future__ import annotations

import re
from pathlib import Path


def run_slug(name: str) -> str:
    """A file-system-safe folder/file stem for a model name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.")
    return slug[:80] or "model"


def runs_dir() -> Path:
    from sdstudio.paths import user_data_dir

    path = user_data_dir() / "training"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir_for(name: str) -> Path:
    return runs_dir() / run_slug(name)


def find_run_dir(name: str) -> Path:
    """The folder of the run called ``name``: the slug of the name (how runs are created)
    or, for a folder copied or renamed by hand, the folder of exactly that name."""
    by_slug = run_dir_for(name)
    if by_slug.is_dir():
        return by_slug
    # Only a plain folder name inside the runs folder, never a path that leaves it.
    if name and Path(name).name == name and name not in (".", ".."):
        exact = runs_dir() / name
        if exact.is_dir():
            return exact
    return by_slug


def unique_model_path(name: str, previous: str | None = None) -> Path:
    """Where the exported model goes; an earlier export of the same run is replaced, any
    other existing file is not."""
    from sdstudio.paths import user_models_dir

    if previous:
        return Path(previous)
    folder = user_models_dir()
    stem = run_slug(name)
    path = folder / f"{stem}.safetensors"
    counter = 2
    while path.exists():
        path = folder / f"{stem}-{counter}.safetensors"
        counter += 1
    return path


def name_taken(name: str) -> bool:
    """Whether a run or a model file already goes by ``name``."""
    from sdstudio.paths import user_models_dir

    # find_run_dir also sees a run folder copied or renamed by hand to exactly this name
    slug_file = user_models_dir() / f"{run_slug(name)}.safetensors"
    return find_run_dir(name).exists() or slug_file.exists()


def suggest_run_name(task: str) -> str:
    """A free name for a new run of ``task``: "My repair model", then "... 2", "... 3"."""
    base = f"My {task} model"
    name, counter = base, 2
    while name_taken(name):
        name = f"{base} {counter}"
        counter += 1
    return name


def name_problem(name: str) -> str:
    """Why ``name`` cannot be used for a new run, or ""."""
    if not name:
        return "Give the model a name."
    if name_taken(name):
        return (
            f"A model or training run named {name!r} already exists. Choose another name, or "
            "continue a stopped run with Train > Resume a stopped training run."
        )
    return ""
