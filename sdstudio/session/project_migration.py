"""Project manifests from older SD Studio versions, brought up to the current format.

Each step ``_from_vN`` turns a version-N manifest into version N+1, so a file of any age
goes through every step in order. Version 0 (the first preview) stored the images and a
list of each step's settings, but no pixels to undo them: those steps are kept for
reference (``legacy_history``) and the session starts from the current image. Version 1
kept undo pixels for image steps (job results) only: mask edits were not undo steps in
the file, just the mask at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sdstudio.session.project_errors import ProjectFileError

FORMAT_NAME = "sdstudio-project"
FORMAT_VERSION = 2


def _from_v0(manifest: dict[str, Any]) -> dict[str, Any]:
    size = manifest.get("image_size")
    files = manifest.get("files")
    if not (isinstance(size, list) and len(size) == 2 and isinstance(files, dict)):
        raise ProjectFileError("its old-format manifest has no image size or file list.")
    width, height = size
    channels = manifest.get("channels", 3)

    def image(name: str, count: int) -> dict[str, Any]:
        return {"entry": files.get(name), "width": width, "height": height, "channels": count}

    current = image("current", channels)
    legacy = [step for step in manifest.get("history") or [] if isinstance(step, dict)]
    notes = []
    if legacy:
        notes.append(
            f"This project comes from an older SD Studio: its {len(legacy)} earlier step(s) "
            "are listed for reference but cannot be undone."
        )
    return {
        "format": FORMAT_NAME,
        "format_version": 1,
        "app_version": manifest.get("app_version", ""),
        "created": manifest.get("created", ""),
        "modified": manifest.get("modified", ""),
        "image": {"width": width, "height": height, "channels": channels},
        "original": image("original", channels),
        "current": current,
        "mask": image("mask", 1),
        "source": {"path": manifest.get("source_path"), "format": None, "dpi": None},
        "history": {"base": dict(current), "steps": []},
        "legacy_history": legacy,
        "_migration_notes": notes,
    }


def _size(record: Any) -> tuple[Any, Any] | None:
    return (record.get("width"), record.get("height")) if isinstance(record, dict) else None


def _from_v1(manifest: dict[str, Any]) -> dict[str, Any]:
    """Every step becomes an image step; the saved mask is placed where it was last true.

    A version-1 file has no mask history, only the mask at the end. The app clears the
    mask when a step changes the image's size, so the mask is empty before the first
    size change and after each one but the last; from the last size change on (or from
    the start, when the size never changed) the saved mask holds at every step: undo
    then keeps the mask the person saw, as far as the file can tell. Damaged records are
    passed on unchanged for the reader to refuse.
    """
    upgraded = {**manifest, "format_version": 2}
    history = manifest.get("history")
    if not isinstance(history, dict) or not isinstance(history.get("steps"), list):
        return upgraded
    size = _size(history.get("base"))
    steps: list[Any] = []
    resized: list[int] = []
    for record in history["steps"]:
        if isinstance(record, dict):
            record = {**record, "target": "image"}
            if record.get("change") == "replace":
                new_size = _size(record.get("pixels"))
                if new_size != size:
                    resized.append(len(steps))
                size = new_size
        steps.append(record)
    saved_mask = manifest.get("mask")
    base_mask: Any = saved_mask
    if resized:
        base_mask = "empty"
        for index in resized:
            steps[index]["mask"] = "empty"
        steps[resized[-1]]["mask"] = saved_mask
    upgraded["history"] = {**history, "base_mask": base_mask, "steps": steps}
    return upgraded


_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _from_v0, 1: _from_v1}


def manifest_version(manifest: dict[str, Any]) -> int:
    # Version 0 wrote "version" and no format name; later ones write both fields below.
    if "format_version" in manifest:
        if manifest.get("format") != FORMAT_NAME:
            raise ProjectFileError("it is not an SD Studio project.")
        version = manifest["format_version"]
    else:
        version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise ProjectFileError("its manifest has no valid format version.")
    return version


def migrate(manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` in the current format; notes for the person in ``_migration_notes``."""
    version = manifest_version(manifest)
    if version > FORMAT_VERSION:
        raise ProjectFileError(
            f"it was made by a newer SD Studio (project format {version}; this version reads "
            f"up to {FORMAT_VERSION}). Update SD Studio to open it."
        )
    notes: list[str] = []
    while version < FORMAT_VERSION:
        manifest = _MIGRATIONS[version](manifest)
        notes += manifest.pop("_migration_notes", [])
        version = manifest_version(manifest)
    manifest["_migration_notes"] = notes
    return manifest
