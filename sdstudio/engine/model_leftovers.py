"""Removing what killed model writes left in a models folder.

Saving a model (``model_file.save_model``, a rename) writes a hidden
``.NAME.safetensors.<random>.tmp`` beside it and renames it over the model; the Models
menu copies a file in as ``.NAME.<random>.part``. A kill between the two leaves that
temporary file (empty, or as big as the model), and no later write reuses its random
name, so nothing else would ever remove it. Needs neither torch nor Qt.
"""

from __future__ import annotations

from pathlib import Path

from sdstudio.imaging.image_save import remove_stale_files
from sdstudio.paths import user_models_dir

MODEL_TEMPORARY_PATTERNS = (".?*.safetensors.*.tmp", ".?*.*.part")


def remove_stale_model_temporaries(folder: Path | None = None) -> None:
    """Delete the temporary files in ``folder`` (the user models folder by default) that
    no write has touched for minutes (``image_save.STALE_TEMPORARY_SECONDS``): one still
    being written, by this process or another, is kept."""
    try:
        folder = user_models_dir() if folder is None else Path(folder)
    except OSError:
        return  # no models folder can be made: there is nothing in it to clear
    for pattern in MODEL_TEMPORARY_PATTERNS:
        remove_stale_files(folder, pattern)
