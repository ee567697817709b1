"""A fixture that fails any test leaving a QThread running (after napari's conftest).

A QThread still running when its QObject is destroyed aborts the whole process, and a
thread left behind by one test can change the next one, so every app test checks.
"""

from __future__ import annotations

import traceback
import weakref

import pytest
from PySide6.QtCore import QThread


@pytest.fixture(autouse=True)
def no_dangling_qthreads(monkeypatch, qtbot):
    started_at: weakref.WeakKeyDictionary[QThread, str] = weakref.WeakKeyDictionary()
    original_start = QThread.start

    def start_and_remember(self, *args):
        started_at[self] = "".join(traceback.format_stack(limit=6)[:-1])
        return original_start(self, *args)

    monkeypatch.setattr(QThread, "start", start_and_remember)
    yield
    dangling = []
    for thread, where in list(started_at.items()):
        try:
            if thread.isRunning():
                dangling.append(where)
        except RuntimeError:  # the C++ object is gone, so the thread is too
            continue
    if dangling:
        pytest.fail("QThreads still running after the test, started at:\n" + "\n".join(dangling))
