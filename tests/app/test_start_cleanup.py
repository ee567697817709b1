"""Starting the app clears what a kill during a model save or copy left in the user
models folder, and keeps a temporary file a running write is still filling."""

from __future__ import annotations

import os
import time

from sdstudio.imaging.image_save import STALE_TEMPORARY_SECONDS


def test_a_start_removes_old_model_temporaries_only(qtbot, window, isolated_user_data):
    models = isolated_user_data / "models"
    models.mkdir(exist_ok=True)
    killed = models / ".style.safetensors.q1w2e3.tmp"
    killed.write_bytes(b"")
    hour_ago = time.time() - STALE_TEMPORARY_SECONDS - 3600
    os.utime(killed, (hour_ago, hour_ago))
    running = models / ".style.safetensors.r4t5y6.tmp"
    running.write_bytes(b"still being written")
    from sdstudio.app.main import create_main_window

    started = create_main_window()  # a second start, now that the leftovers are there
    qtbot.addWidget(started)
    qtbot.waitUntil(lambda: not killed.exists(), timeout=5000)
    assert running.exists()
    started.close()
