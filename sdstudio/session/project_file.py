"""``.sdsproj`` files: one zip holding a session, written atomically, read defensively.

Layout (format version 2)::

    manifest.json          format, versions, dates, image sizes, source, history
    original.png           the photo as opened
    current.png            the image after the last step
    mask.png               the mask (greyscale, at the current image's size)
    history/base.png       the image before the first step (absent when it is the original)
    history/base-mask.png  the mask before the first step (absent when it is empty or
                           the same as mask.png)
    history/step-NNNN.png  what each step changed: a rectangle of the image or the mask,
                           or a whole new image
    history/step-NNNN-mask.png  the mask an image step left when it changed the size
                           (absent when that mask is empty, the usual case)
    source/exif.bin        the source photo's EXIF, kept for saving (optional)
    source/icc.icc         its ICC colour profile (optional)

Each history step names its ``target`` ("image": a job result, "mask": a brush stroke,
clear, set or invert) and its ``change`` ("patch", "replace", "none"; "patch", "invert").
An image step that changed the size says what mask it left, and ``history.base_mask``
the mask before the first step: ``"empty"`` or an image record. Format 1 had image
steps only and no base mask (``project_migration`` reads it).

``history.steps`` is the project's :class:`~sdstudio.session.history.History`, one record
per edit. Reading (``project_reader``) trusts nothing and turns every problem into a
:class:`ProjectFileError`; ``read_project`` is re-exported here.
"""

from __future__ import annotations

import errno
import io
import json
import os
import secrets
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sdstudio import __version__
from sdstudio.imaging.image_save import remove_stale_temporaries, sync_folder
from sdstudio.session.project_errors import ProjectFileError, ProjectSaveError
from sdstudio.session.project_migration import FORMAT_NAME, FORMAT_VERSION
from sdstudio.session.project_model import Project

PROJECT_SUFFIX = ".sdsproj"


__all__ = [
    "ProjectFileError",
    "ProjectSaveError",
    "project_entries",
    "read_manifest",
    "read_project",
    "write_project",
]

# -- writing ------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _png_bytes(pixels: np.ndarray, compress_level: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, "PNG", compress_level=compress_level)
    return buffer.getvalue()


def _describe(entry: str, pixels: np.ndarray) -> dict[str, Any]:
    channels = 1 if pixels.ndim == 2 else int(pixels.shape[2])
    return {
        "entry": entry,
        "width": int(pixels.shape[1]),
        "height": int(pixels.shape[0]),
        "channels": channels,
    }


def _jsonable(value: Any) -> Any:
    """Params as JSON: numpy scalars become numbers, paths and other objects strings."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def project_entries(project: Project, compress_level: int = 6) -> dict[str, bytes]:
    """Every zip entry of ``project``: the manifest and the encoded images."""
    if not project.created:
        project.created = _now()
    project.modified = _now()
    entries: dict[str, bytes] = {}
    images: dict[str, Any] = {}
    for name, pixels in (
        ("original", project.original),
        ("current", project.current),
        ("mask", project.mask),
    ):
        entries[f"{name}.png"] = _png_bytes(pixels, compress_level)
        images[name] = _describe(f"{name}.png", pixels)
    same_as_original = project.base.shape == project.original.shape and np.array_equal(
        project.base, project.original
    )
    if same_as_original:
        base = {**images["original"]}
    else:
        entries["history/base.png"] = _png_bytes(project.base, compress_level)
        base = _describe("history/base.png", project.base)
    assert project.base_mask is not None  # Project fills it in
    if not project.base_mask.any():
        base_mask: Any = "empty"
    elif project.base_mask.shape == project.mask.shape and np.array_equal(
        project.base_mask, project.mask
    ):
        base_mask = {**images["mask"]}
    else:
        entries["history/base-mask.png"] = _png_bytes(project.base_mask, compress_level)
        base_mask = _describe("history/base-mask.png", project.base_mask)
    steps = []
    for number, step in enumerate(project.steps, 1):
        record: dict[str, Any] = {
            "title": step.title,
            "params": _jsonable(step.params),
            "target": step.target,
            "change": step.kind,
            "rect": list(step.rect) if step.rect is not None else None,
            "pixels": None,
        }
        if step.after is not None and step.kind in ("patch", "replace"):
            # Only what the step left: reading rebuilds what it undoes by replaying.
            entry = f"history/step-{number:04d}.png"
            entries[entry] = _png_bytes(step.after, compress_level)
            record["pixels"] = _describe(entry, step.after)
        if step.mask_after is not None:
            record["mask"] = "empty"
            if step.mask_after.any():
                entry = f"history/step-{number:04d}-mask.png"
                entries[entry] = _png_bytes(step.mask_after, compress_level)
                record["mask"] = _describe(entry, step.mask_after)
        steps.append(record)
    source = project.source
    source_record: dict[str, Any] = {
        "path": source.path,
        "format": source.format,
        "dpi": list(source.dpi) if source.dpi else None,
        "exif": None,
        "icc": None,
    }
    if source.exif:
        entries["source/exif.bin"] = bytes(source.exif)
        source_record["exif"] = "source/exif.bin"
    if source.icc_profile:
        entries["source/icc.icc"] = bytes(source.icc_profile)
        source_record["icc"] = "source/icc.icc"
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "app_version": __version__,
        "created": project.created,
        "modified": project.modified,
        "image": {k: images["current"][k] for k in ("width", "height", "channels")},
        "original": images["original"],
        "current": images["current"],
        "mask": images["mask"],
        "source": source_record,
        "history": {"base": base, "base_mask": base_mask, "steps": steps},
        "legacy_history": _jsonable(project.legacy_history),
    }
    entries = {"manifest.json": json.dumps(manifest, indent=1).encode("utf-8"), **entries}
    return entries


def write_project(path: Path | str, project: Project, *, compress_level: int = 6) -> None:
    """Write ``project`` to ``path`` atomically; ProjectSaveError if it cannot be written.

    The zip goes to a temporary file beside ``path`` that is synced and renamed over it,
    so a crash, a kill or a full disk leaves the previous file as it was.
    """
    path = Path(path)
    entries = project_entries(project, compress_level)
    folder = path.parent
    if not folder.is_dir():
        raise ProjectSaveError(f"The folder '{folder}' does not exist, so nothing was saved.")
    temp = folder / f".{path.name}.{secrets.token_hex(4)}.part"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        descriptor = os.open(temp, flags, 0o666)
        with os.fdopen(descriptor, "wb") as handle:
            with zipfile.ZipFile(handle, "w") as archive:
                for name, data in entries.items():
                    # PNGs are compressed already; deflating them again only costs time.
                    method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
                    archive.writestr(name, data, compress_type=method)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        try:
            temp.unlink(missing_ok=True)
        except OSError:
            pass
        raise ProjectSaveError(save_error_message(exc, path)) from exc
    sync_folder(folder)
    remove_stale_temporaries(path)


def save_error_message(exc: OSError, path: Path) -> str:
    kept = "The previous file (if any) is unchanged."
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return f"The disk is full, so '{path.name}' was not saved. Free some space. {kept}"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return (
            f"SD Studio may not write to '{path.parent}' (read-only or no permission), "
            f"so '{path.name}' was not saved. {kept}"
        )
    return f"'{path.name}' was not saved: {exc.strerror or exc}. {kept}"


# Re-exported so callers import reading and writing from one place; at the end because
# the reader uses this module's constants.
from sdstudio.session.project_reader import read_manifest, read_project  # noqa: E402
