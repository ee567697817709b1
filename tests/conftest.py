from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_user_data(tmp_path_factory, monkeypatch):
    """Every test gets its own user data folder, settings and models folder."""
    data_dir = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("SDSTUDIO_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SDSTUDIO_SETTINGS_DIR", str(data_dir / "settings"))
    return data_dir
