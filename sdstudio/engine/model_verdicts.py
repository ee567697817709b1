"""The kept verdicts of the weight check: does a model file's weights fit its metadata?

Comparing needs torch, so each verdict is kept in ``<user data>/cache/model-checks.json``,
keyed by the file's resolved path, modification time and size: listing models again reads
the verdict, not torch. Both the check (``sdstudio.engine.model_checks``) and the writer of
model files (``sdstudio.engine.model_file.save_model``, which records its verdict as it
saves) use it, so it sits below both.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sdstudio.engine.json_cache import cache_file, read_entries, write_entries

VERDICT_FILE_NAME = "model-checks.json"
# Bump when the checks change, so verdicts reached by older checks are made again.
VERDICT_VERSION = 1


class VerdictCache:
    """``{resolved path: {"stamp": {mtime_ns, size}, "problem": message or None}}``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @staticmethod
    def _file() -> Path:
        return cache_file(VERDICT_FILE_NAME)

    @staticmethod
    def _key(path: Path) -> tuple[str, dict[str, int]]:
        stat = path.stat()
        return str(path.resolve()), {"mtime_ns": stat.st_mtime_ns, "size": stat.st_size}

    def _read(self) -> dict[str, Any]:
        return read_entries(self._file(), VERDICT_VERSION)

    def lookup(self, path: Path) -> tuple[bool, str | None]:
        """``(known, problem)``: ``known`` is False when the file was never checked as it is."""
        try:
            key, stamp = self._key(path)
        except OSError:
            return False, None
        with self._lock:
            entry = self._read().get(key)
        if not isinstance(entry, dict) or entry.get("stamp") != stamp:
            return False, None
        problem = entry.get("problem")
        return True, problem if isinstance(problem, str) else None

    def store(self, path: Path, problem: str | None) -> None:
        try:
            key, stamp = self._key(path)
        except OSError:
            return  # gone meanwhile: nothing to remember
        with self._lock:
            entries = self._read()
            # Forget files that are gone, so the cache does not grow with every old export.
            entries = {k: v for k, v in entries.items() if os.path.exists(k)}
            entries[key] = {"stamp": stamp, "problem": problem}
            write_entries(self._file(), VERDICT_VERSION, entries)


verdicts = VerdictCache()
