"""Fatal errors land in the log, and the next start knows the last session crashed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sdstudio import paths
from sdstudio.app.autosave import Autosave
from sdstudio.app.fatal_errors import (
    FATAL_LOG_NAME,
    SessionGuard,
    crash_notice,
    start_session_guard,
)
from sdstudio.session.autosave_store import write_recovery
from tests.session.project_samples import sample_project

ENDINGS = {
    # faulthandler's own test hook: a real SIGSEGV in C code, as a Qt crash would be.
    "segfault": "import faulthandler; faulthandler._sigsegv()",
    "killed": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
    "clean": "guard.finish()",
}


def _run_session(folder, ending: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from sdstudio.app.fatal_errors import SessionGuard
        guard = SessionGuard(folder=Path({str(folder)!r}))
        guard.start()
        {ENDINGS[ending]}
        """
    )
    return subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)


def test_a_segfault_is_written_to_the_log_and_reported_once_at_the_next_start(tmp_path):
    ended = _run_session(tmp_path, "segfault")
    assert ended.returncode != 0
    log_text = (tmp_path / FATAL_LOG_NAME).read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in log_text

    next_start = SessionGuard(folder=tmp_path)
    sessions = next_start.start()
    try:
        assert len(sessions) == 1
        assert sessions[0].summary == "Fatal Python error: Segmentation fault"
        notice = crash_notice(sessions)
        assert "ended in a crash" in notice and str(tmp_path / FATAL_LOG_NAME) in notice
        assert next_start.take_ended_sessions() == sessions
        assert next_start.take_ended_sessions() == []  # told once
    finally:
        next_start.finish()
    third_start = SessionGuard(folder=tmp_path)
    assert third_start.start() == []  # neither the crash again nor the clean session
    third_start.finish()


@pytest.mark.parametrize("ending", ["killed", "clean"])
def test_a_kill_is_reported_without_details_and_a_clean_exit_not_at_all(tmp_path, ending):
    _run_session(tmp_path, ending)
    guard = SessionGuard(folder=tmp_path)
    sessions = guard.start()
    guard.finish()
    if ending == "clean":
        assert sessions == []
    else:
        assert len(sessions) == 1 and sessions[0].details == ""
        assert "without an error report" in sessions[0].summary


def test_a_running_session_is_not_reported_as_ended(tmp_path):
    running = SessionGuard(folder=tmp_path)
    running.start()
    try:
        other = SessionGuard(folder=tmp_path)
        other.session_id += "-other"
        # Same process, same lock holder: QLockFile refuses a second lock on a held file.
        assert other.start() == []
        other.finish()
    finally:
        running.finish()


@pytest.fixture
def guarded_app(qapp):
    """This test process as the next start: its app holds the session guard."""
    guards = []

    def start():
        guard = start_session_guard(qapp)
        guards.append(guard)
        return guard

    yield start
    for guard in guards:
        guard.finish()
        guard.setParent(None)  # later tests start without a guard


def test_the_next_start_says_the_app_crashed_and_offers_the_autosave(
    window, guarded_app, monkeypatch
):
    _run_session(paths.logs_dir(), "segfault")
    write_recovery("20260101-000000-1-dead", sample_project(height=24, width=32))
    guarded_app()
    shown = []
    monkeypatch.setattr(
        Autosave, "ask_restore", lambda self, entry: shown.append(self.crash_notice) or "restore"
    )
    assert window.autosave.offer_recovery()
    assert len(shown) == 1 and "ended in a crash" in shown[0]
    assert "Segmentation fault" in shown[0]
    assert window.document.undo_stack.count() == len(sample_project(24, 32).steps)


def test_a_crash_without_an_autosave_is_still_reported(window, guarded_app, monkeypatch):
    _run_session(paths.logs_dir(), "segfault")
    guarded_app()
    notices = []
    monkeypatch.setattr(Autosave, "show_crash_notice", lambda self, text: notices.append(text))
    assert not window.autosave.offer_recovery()
    assert len(notices) == 1 and "Segmentation fault" in notices[0]
    assert not window.autosave.offer_recovery() and len(notices) == 1  # told once
