from __future__ import annotations

import pytest

from sdstudio import paths


@pytest.fixture(autouse=True)
def no_bundled_models(tmp_path_factory, monkeypatch):
    """Engine tests see only the models they make; tests/test_shipped_models.py covers ours."""
    empty = tmp_path_factory.mktemp("bundled-models")
    monkeypatch.setattr(paths, "bundled_models_dir", lambda: empty)
    return empty
