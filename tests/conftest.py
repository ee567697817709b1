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


@pytest.fixture(autouse=True)
def model_loading_not_deferred_after_the_test():
    """A window's Models menu defers model loading on the GUI thread until the window
    closes; a test whose window is never closed must not leave that process-wide switch
    on for the engine tests that follow."""
    yield
    import sys

    checks = sys.modules.get("sdstudio.engine.model_checks")
    if checks is not None:
        checks.defer_loading_on_main_thread(False)
