"""Walk the models folders once: every real folder is read at most once.

People link folders into their models folder (a shared upscalers folder, a disk with
checkpoints), so a symlinked folder is followed. A link back up the tree
(``models/again -> .``) would then loop for ever; remembering each real folder by its
``(st_dev, st_ino)`` stops that, and also lists a folder reached by two links only once.
Hidden entries (names starting with ".") are skipped: they are temporary files of
interrupted copies and exports, or the folders of other tools.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

# A folder with this file is a diffusers pipeline: one model, whose parts are not models.
DIFFUSERS_INDEX = "model_index.json"


def walk_model_folders(folders: Iterable[Path], suffixes: Iterable[str]) -> list[Path]:
    """Files whose suffix is in ``suffixes`` (any case) and diffusers pipeline folders, in
    each folder and below, breadth first, each folder's entries by name."""
    wanted = tuple(suffix.lower() for suffix in suffixes)
    visited: set[tuple[int, int]] = set()
    found: list[Path] = []
    pending = [Path(folder) for folder in folders]
    while pending:
        folder = pending.pop(0)
        try:
            stat = folder.stat()  # follows a symlinked folder to the real one
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name.lower())
        except OSError:
            continue  # gone, unreadable or not a folder: nothing to list there
        identity = (stat.st_dev, stat.st_ino)
        if identity in visited:
            continue
        visited.add(identity)
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows symlinks; a dangling link is neither
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue
            if is_dir:
                if (path / DIFFUSERS_INDEX).is_file():
                    found.append(path)
                else:
                    pending.append(path)
            elif is_file and path.suffix.lower() in wanted:
                found.append(path)
    return found
