"""Small JSON caches in the user data folder: read whole, replaced atomically.

The model-check verdicts and the community models' metadata are both kept this way:
``{"version": N, "entries": {...}}``. A file of another version, or one that cannot be
read, counts as empty (its entries are made again), and a failed write leaves the old
file, so a cache can cost time but never a wrong answer.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from sdstudio import paths

log = logging.getLogger(__name__)


def cache_file(name: str) -> Path:
    """Where cache ``name`` lives; reading or writing it reports a folder that can't be made."""
    folder = paths.user_data_dir() / "cache"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # a read-only data folder: reads find nothing, writes are logged
    return folder / name


def read_entries(path: Path, version: int) -> dict[str, Any]:
    """The cache's entries, or ``{}`` when it is missing, damaged or of another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != version:
        return {}
    entries = data.get("entries")
    return entries if isinstance(entries, dict) else {}


def write_entries(path: Path, version: int, entries: dict[str, Any]) -> None:
    """Replaces the cache atomically; a folder that cannot be written is logged, not raised."""
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", dir=path.parent)
    except OSError:
        log.warning("could not write the cache %s", path, exc_info=True)
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump({"version": version, "entries": entries}, stream)
        os.replace(temp_name, path)
    except OSError:
        Path(temp_name).unlink(missing_ok=True)
        log.warning("could not write the cache %s", path)
