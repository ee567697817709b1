"""Autosave in the background, recovery offered on the next start, and removal once safe."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer

from sdstudio.app.autosave import Autosave
from sdstudio.session import autosave_store, project_file
from sdstudio.session.autosave_store import list_recoveries, recovery_dir, write_recovery
from sdstudio.session.project_file import read_project
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import paint_stroke
from tests.session.project_samples import sample_project

ROOT = Path(__file__).resolve().parents[2]


def _edits(window, count: int) -> None:
    document = window.document
    for value in range(count):
        image = document.image.copy()
        image[10:20, 10 + value : 30 + value] = value * 20
        document.apply_result(f"Edit {value}", image, {"task": "test", "n": value})


def _wait_written(qtbot, window, saves: int = 1) -> Path:
    autosave = window.autosave
    qtbot.waitUntil(lambda: autosave.saves >= saves and not autosave.is_writing(), timeout=10_000)
    return autosave_store.recovery_path(autosave.session_id)


def test_every_few_edits_the_session_is_written_to_the_recovery_folder(qtbot, window, photo_file):
    assert window.open_path(photo_file)
    autosave = window.autosave
    _edits(window, autosave.every_edits - 1)
    qtbot.wait(50)
    assert autosave.saves == 0 and list_recoveries() == []
    paint_stroke(window.canvas, [(30, 30), (60, 50)])  # mask strokes count as edits too
    path = _wait_written(qtbot, window)
    assert path.parent == recovery_dir() and path.parent != photo_file.parent
    assert sorted(p.name for p in photo_file.parent.iterdir()) == ["photo.png"]
    project = read_project(path)
    assert np.array_equal(project.current, window.document.image)
    assert np.array_equal(project.mask, window.document.mask)
    assert [s.title for s in project.steps] == [*(f"Edit {n}" for n in range(4)), "Paint mask"]
    assert "Autosaved" in window.statusBar().currentMessage()


def test_the_timer_saves_pending_edits(qtbot, window, photo_file):
    assert window.open_path(photo_file)
    _edits(window, 1)
    window.autosave.timer.timeout.emit()
    assert _wait_written(qtbot, window).exists()


def test_saving_the_work_removes_the_recovery_file(qtbot, window, photo_file, tmp_path):
    assert window.open_path(photo_file)
    _edits(window, 5)
    path = _wait_written(qtbot, window)
    assert path.exists()
    assert window.files.save()  # Ctrl+S: photo_edited.png
    assert not path.exists()
    _edits(window, 5)
    path = _wait_written(qtbot, window, saves=2)
    assert window.project_actions.save_project_to(tmp_path / "p.sdsproj")
    assert not path.exists()


def test_closing_and_discarding_removes_it(qtbot, window, photo_file):
    assert window.open_path(photo_file)
    _edits(window, 5)
    path = _wait_written(qtbot, window)
    window.close()  # the fixture answers "discard"
    assert not path.exists()
    assert not list(recovery_dir().glob("*.lock"))


def test_autosave_does_not_block_the_ui(qtbot, window, photo_file, monkeypatch):
    release = threading.Event()
    real_write = autosave_store.write_project

    def slow_write(*args, **kwargs):
        release.wait(10)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(autosave_store, "write_project", slow_write)
    assert window.open_path(photo_file)
    _edits(window, 1)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    started = time.perf_counter()
    assert window.autosave.save_now()
    assert time.perf_counter() - started < 0.5
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=2000)  # the event loop keeps running
    _edits(window, 1)
    assert window.autosave.save_now()  # queued behind the running write
    assert window.autosave.is_writing() and window.autosave.saves == 0
    release.set()
    _wait_written(qtbot, window, saves=2)
    timer.stop()
    assert len(read_project(autosave_store.recovery_path(window.autosave.session_id)).steps) == 2


def test_disk_full_shows_a_message_and_keeps_the_last_autosave(
    qtbot, window, photo_file, monkeypatch
):
    assert window.open_path(photo_file)
    _edits(window, 5)
    path = _wait_written(qtbot, window)
    before = path.read_bytes()

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(project_file.os, "replace", full)
    _edits(window, 5)
    qtbot.waitUntil(lambda: window.autosave.last_error != "", timeout=10_000)
    assert "disk is full" in window.autosave.last_error
    assert window.statusBar().currentMessage().startswith("Autosave failed: The disk is full")
    assert path.read_bytes() == before
    assert not [p for p in recovery_dir().iterdir() if p.suffix == ".part"]


def _crashed_session(name: str = "20260101-000000-1-dead") -> Path:
    return write_recovery(name, sample_project(height=24, width=32))


def test_start_offers_a_crashed_session_and_restores_it(qtbot, window, monkeypatch):
    path = _crashed_session()
    asked = []
    monkeypatch.setattr(
        Autosave, "ask_restore", lambda self, entry: asked.append(entry) or "restore"
    )
    assert window.autosave.offer_recovery()
    assert [entry.source_name for entry in asked] == ["cat.jpg"]
    document = window.document
    expected = sample_project(height=24, width=32)
    assert np.array_equal(document.image, expected.current)
    assert np.array_equal(document.mask, expected.mask)
    assert [s["title"] for s in document.history_params()] == [s.title for s in expected.steps]
    assert document.is_modified()  # recovered work still needs saving
    # This window owns the autosave now; saving removes it.
    assert window.autosave.session_id == "20260101-000000-1-dead"
    document.undo_stack.setClean()
    assert not path.exists()


def test_discard_removes_and_later_keeps(window, monkeypatch):
    path = _crashed_session()
    monkeypatch.setattr(Autosave, "ask_restore", lambda self, entry: "later")
    assert not window.autosave.offer_recovery()
    assert path.exists() and not window.document.has_image()
    monkeypatch.setattr(Autosave, "ask_restore", lambda self, entry: "discard")
    assert not window.autosave.offer_recovery()
    assert not path.exists() and list_recoveries() == []


def test_a_running_windows_autosave_is_not_offered(qtbot, window, photo_file, monkeypatch):
    assert window.open_path(photo_file)
    _edits(window, 5)
    _wait_written(qtbot, window)
    from sdstudio.app.main import create_main_window

    asked = []
    monkeypatch.setattr(Autosave, "ask_restore", lambda self, entry: asked.append(entry) or "later")
    second = create_main_window()
    qtbot.addWidget(second)
    assert not second.autosave.offer_recovery()
    assert asked == []
    second.close()


def test_damaged_autosave_can_only_be_discarded(window, monkeypatch):
    broken = recovery_dir() / "20260101-000000-2-dead.sdsproj"
    broken.write_bytes(b"PK\x03\x04 cut short")
    asked = []
    monkeypatch.setattr(
        Autosave, "ask_restore", lambda self, entry: asked.append(entry) or "restore"
    )
    assert not window.autosave.offer_recovery()
    assert asked[0].problem and window.errors[0][0] == "Cannot restore the autosave"
    assert broken.exists()


CHILD = """
import sys, time
from pathlib import Path
from PySide6.QtCore import QTimer
from sdstudio.app.main import create_application
from sdstudio.app.main import create_main_window
from sdstudio.jobs import StyleJob
from tests.app.fake_engine import FakeEngine

app = create_application()
window = create_main_window()
window.show()
window.job_controller.use_engine(FakeEngine(steps=1000, step_seconds=0.05))
assert window.open_path(sys.argv[1])
doc = window.document
for n in range(window.autosave.every_edits):
    image = doc.image.copy()
    image[n * 10:(n + 1) * 10] = 0
    doc.apply_result(f"Edit {n}", image, {"task": "test"})
while window.autosave.saves == 0:
    app.processEvents()
    time.sleep(0.01)
window.job_controller.run("style", lambda: StyleJob(doc.image.copy(), "oil_painting"))
while window.job_controller.current_job_id() is None:
    app.processEvents()
print("job running", flush=True)
while True:
    app.processEvents()
    time.sleep(0.01)
"""


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_killed_during_a_job_the_next_start_offers_the_autosave(
    qtbot, window, photo_file, monkeypatch
):
    window.job_controller.use_engine(FakeEngine())  # no engine pre-warm in this process
    original_bytes = photo_file.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(photo_file)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "job running"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    assert photo_file.read_bytes() == original_bytes  # the original is untouched
    monkeypatch.setattr(Autosave, "ask_restore", lambda self, entry: "restore")
    assert window.autosave.offer_recovery()
    document = window.document
    assert [s["title"] for s in document.history_params()] == [f"Edit {n}" for n in range(5)]
    expected = np.asarray(Image.open(photo_file).convert("RGB")).copy()
    for n in range(5):
        expected[n * 10 : (n + 1) * 10] = 0
    assert np.array_equal(document.image, expected)
