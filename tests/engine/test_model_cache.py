"""The one model cache: reuse by file stamp, one memory budget, the newest always kept."""

from __future__ import annotations

import os

import pytest

from sdstudio.engine.model_cache import ModelCache
from sdstudio.errors import ModelLoadError


def _file(folder, name: str, size: int):
    path = folder / name
    path.write_bytes(b"x" * size)
    return path


def test_a_file_is_loaded_once_until_it_changes(tmp_path):
    cache = ModelCache(budget_bytes=1000)
    path = _file(tmp_path, "a.bin", 10)
    first = cache.get(path, object)
    assert cache.get(path, object) is first and cache.loads == 1
    path.write_bytes(b"y" * 11)  # re-exported: another size (and mtime)
    assert cache.get(path, object) is not first and cache.loads == 2


def test_variants_of_one_file_are_kept_apart_and_forgotten_together(tmp_path):
    cache = ModelCache(budget_bytes=1000)
    path = _file(tmp_path, "a.bin", 10)
    on_cpu, on_gpu = cache.get(path, object, "cpu"), cache.get(path, object, "cuda")
    assert on_cpu is not on_gpu
    cache.forget(path)
    assert cache.used_bytes() == 0


def test_models_used_longest_ago_make_room_within_the_budget(tmp_path):
    cache = ModelCache(budget_bytes=100)
    first, second = _file(tmp_path, "a.bin", 40), _file(tmp_path, "b.bin", 40)
    kept = cache.get(first, object)
    cache.get(second, object)
    assert cache.get(first, object) is kept  # both fit; "a" is now the newest
    cache.get(_file(tmp_path, "c.bin", 40), object)  # "b" goes, not the newer "a"
    assert cache.get(first, object) is kept and cache.used_bytes() == 80
    huge = cache.get(_file(tmp_path, "huge.bin", 500), object)  # alone over budget: kept
    assert cache.get(tmp_path / "huge.bin", object) is huge and cache.used_bytes() == 500


def test_a_vanished_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no longer there"):
        ModelCache().get(tmp_path / "gone.pth", object)


def test_the_budget_can_be_set_from_the_environment(monkeypatch):
    monkeypatch.setitem(os.environ, "SDSTUDIO_MODEL_CACHE_MB", "3")
    assert ModelCache().budget_bytes == 3 * 1024**2
