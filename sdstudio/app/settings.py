"""The app's QSettings: one ini file, so tests and portable installs can isolate it.

``SDSTUDIO_SETTINGS_DIR`` (tests set it) names the folder of ``settings.ini``; otherwise it
lives in the user data folder beside models and logs, on every platform alike.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings

from sdstudio import paths

SETTINGS_FILE_NAME = "settings.ini"
MAX_RECENT_FILES = 10

# Keys, so every reader and writer spells them the same way.
KEY_GEOMETRY = "window/geometry"
KEY_WINDOW_STATE = "window/state"
KEY_LAST_FOLDER = "files/last_folder"
KEY_RECENT_FILES = "files/recent"
KEY_BRUSH_SIZE = "brush/size"
KEY_BRUSH_HARDNESS = "brush/hardness"
KEY_BRUSH_SIZE_AT_FIT = "brush/size_on_screen_at_fit"  # what a new photo's brush keeps
KEY_OVERLAY_COLOR = "mask/overlay_color"
KEY_OVERLAY_OPACITY = "mask/overlay_opacity"
KEY_SAVE_QUALITY = "files/save_quality"


def settings_path() -> Path:
    override = os.environ.get("SDSTUDIO_SETTINGS_DIR")
    folder = Path(override) if override else paths.user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / SETTINGS_FILE_NAME


def app_settings() -> QSettings:
    return QSettings(str(settings_path()), QSettings.Format.IniFormat)


def read_recent_files(settings: QSettings) -> list[str]:
    value = settings.value(KEY_RECENT_FILES, [])
    if isinstance(value, str):  # QSettings returns a lone entry as a plain string
        value = [value]
    return [str(item) for item in value or []]


def remember_recent_file(settings: QSettings, path: Path) -> list[str]:
    entry = str(path)
    recent = [item for item in read_recent_files(settings) if item != entry]
    recent.insert(0, entry)
    del recent[MAX_RECENT_FILES:]
    settings.setValue(KEY_RECENT_FILES, recent)
    return recent


def forget_recent_file(settings: QSettings, path: str) -> None:
    settings.setValue(KEY_RECENT_FILES, [p for p in read_recent_files(settings) if p != path])


def read_number(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default
