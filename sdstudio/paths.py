"""Where SD Studio finds its bundled files and keeps the user's own.

Bundled data (``resources/``, ``models/``) lives beside the package in a source checkout
and under ``sys._MEIPASS`` in a PyInstaller bundle; user data (models the user trained
or added, settings, logs, autosaves) lives in the platform's user data folder and never
inside the bundle. ``SDSTUDIO_DATA_DIR`` overrides the user folder (tests use it).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "SDStudio"


def bundle_root() -> Path:
    """The folder holding ``resources/`` and ``models/`` (source tree or frozen bundle)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return bundle_root() / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def bundled_models_dir() -> Path:
    return bundle_root() / "models"


def user_data_dir() -> Path:
    override = os.environ.get("SDSTUDIO_DATA_DIR")
    if override:
        path = Path(override)
    else:
        from platformdirs import user_data_path

        path = user_data_path(APP_DIR_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_models_dir() -> Path:
    path = user_data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def logs_dir() -> Path:
    path = user_data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def example_photo_path() -> Path:
    return resource_path("example", "example.jpg")
