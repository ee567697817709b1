"""Recovery files: autosaved sessions in the user data folder, never beside a photo.

Each running editor window has a session id; its latest autosave is
``<user data>/recovery/<session id>.sdsproj`` (written atomically, so a kill during an
autosave leaves the previous one). A file whose session is no longer running is what a
crash left behind, and the next start offers it. Which sessions still run is the app's
business (it holds a lock file per session); this module only stores and lists.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sdstudio.paths import user_data_dir
from sdstudio.session.project_errors import ProjectFileError
from sdstudio.session.project_file import PROJECT_SUFFIX, read_manifest, write_project
from sdstudio.session.project_model import Project

RECOVERY_DIR_NAME = "recovery"
AUTOSAVE_COMPRESS_LEVEL = 1  # speed over size: the file is temporary


@dataclass(frozen=True)
class RecoveryEntry:
    session_id: str
    path: Path
    saved_at: float  # seconds since the epoch (file modification time)
    source_path: str | None  # the photo the session was editing
    steps: int  # undo steps it holds: image and mask edits alike
    problem: str | None = None  # set when the file is damaged (it can only be discarded)

    @property
    def source_name(self) -> str:
        return Path(self.source_path).name if self.source_path else "an unsaved photo"


def recovery_dir() -> Path:
    folder = user_data_dir() / RECOVERY_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_session_id() -> str:
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{secrets.token_hex(3)}"


def recovery_path(session_id: str) -> Path:
    if not session_id or any(sep in session_id for sep in ("/", "\\", "..")):
        raise ValueError(f"invalid session id {session_id!r}")
    return recovery_dir() / f"{session_id}{PROJECT_SUFFIX}"


def write_recovery(session_id: str, project: Project) -> Path:
    """Atomically replace the session's autosave; ProjectSaveError leaves the old one."""
    path = recovery_path(session_id)
    write_project(path, project, compress_level=AUTOSAVE_COMPRESS_LEVEL)
    return path


def list_recoveries() -> list[RecoveryEntry]:
    """Every autosave in the recovery folder, newest first (damaged ones included)."""
    entries = []
    for path in recovery_dir().glob(f"*{PROJECT_SUFFIX}"):
        try:
            saved_at = path.stat().st_mtime
        except OSError:
            continue  # removed meanwhile
        session_id = path.name[: -len(PROJECT_SUFFIX)]
        try:
            manifest = read_manifest(path)
        except ProjectFileError as exc:
            entries.append(RecoveryEntry(session_id, path, saved_at, None, 0, str(exc)))
            continue
        source = manifest.get("source") if isinstance(manifest.get("source"), dict) else {}
        history = manifest.get("history") if isinstance(manifest.get("history"), dict) else {}
        steps = history.get("steps")
        source_path = source.get("path")
        entries.append(
            RecoveryEntry(
                session_id,
                path,
                saved_at,
                source_path if isinstance(source_path, str) else None,
                len(steps) if isinstance(steps, list) else 0,
            )
        )
    return sorted(entries, key=lambda entry: entry.saved_at, reverse=True)


def remove_recovery(session_id: str) -> None:
    """Delete the session's autosave and any temporary file a killed write left."""
    path = recovery_path(session_id)
    leftovers = list(path.parent.glob(f".{path.name}.*.part"))
    for target in [path, *leftovers]:
        try:
            target.unlink(missing_ok=True)
        except OSError:
            pass  # e.g. a read-only folder: the entry is offered again next time
