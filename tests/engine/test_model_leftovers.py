"""What killed model writes leave in a models folder goes; what a running write or the
person put there stays. Real files, ages set with os.utime."""

from __future__ import annotations

import os
import time
from pathlib import Path

from sdstudio.engine.model_leftovers import remove_stale_model_temporaries
from sdstudio.imaging.image_save import STALE_TEMPORARY_SECONDS


def _file(path: Path, age_seconds: float, data: bytes = b"") -> Path:
    path.write_bytes(data)
    when = time.time() - age_seconds
    os.utime(path, (when, when))
    return path


def test_only_old_temporaries_of_killed_model_writes_are_removed(tmp_path):
    old = STALE_TEMPORARY_SECONDS + 60
    killed_save = _file(tmp_path / ".tiny.safetensors.k2j4x9.tmp", old)  # empty: mkstemp only
    killed_copy = _file(tmp_path / ".upscaler.pth.a1b2c3.part", old, b"half a model")
    running = _file(tmp_path / ".training.safetensors.z9y8x7.tmp", 5, b"being written")
    model = _file(tmp_path / "old.safetensors", old, b"a model")
    users_own = _file(tmp_path / ".notes.tmp", old, b"not ours")
    remove_stale_model_temporaries(tmp_path)
    assert not killed_save.exists() and not killed_copy.exists()
    assert running.exists() and model.exists() and users_own.exists()


def test_the_user_models_folder_is_the_default(isolated_user_data):
    models = isolated_user_data / "models"
    models.mkdir(exist_ok=True)
    killed = _file(models / ".tiny.safetensors.k2j4x9.tmp", STALE_TEMPORARY_SECONDS + 60)
    remove_stale_model_temporaries()
    assert not killed.exists()
