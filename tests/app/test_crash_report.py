from __future__ import annotations

import logging
import sys
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from sdstudio import paths
from sdstudio.app import crash_report
from sdstudio.app.crash_report import CRASH_LOGS_KEPT, install_crash_reporting


@pytest.fixture
def reporter(qapp):
    installed = []

    def install(show_dialog: bool = False):
        rep = install_crash_reporting(qapp, show_dialog=show_dialog)
        installed.append(rep)
        return rep

    yield install
    for rep in installed:
        rep.uninstall()
        rep.setParent(None)
        rep.deleteLater()
    for handler in list(crash_report.log.handlers):
        crash_report.log.removeHandler(handler)
        handler.close()


def _raise_and_report(message: str) -> None:
    try:
        raise RuntimeError(message)
    except RuntimeError:
        sys.excepthook(*sys.exc_info())


def _crash_logs():
    return sorted(paths.logs_dir().glob("crash-*.log"))


@pytest.mark.qt_no_exception_capture
def test_uncaught_exception_writes_crash_log_in_user_log_folder(reporter):
    rep = reporter()
    _raise_and_report("the canvas exploded")

    logs = _crash_logs()
    assert len(logs) == 1
    assert logs[0] == rep.last_crash_path
    text = logs[0].read_text(encoding="utf-8")
    assert "RuntimeError: the canvas exploded" in text
    assert "_raise_and_report" in text  # the traceback, not only the message
    app_log = (paths.logs_dir() / crash_report.APP_LOG_NAME).read_text(encoding="utf-8")
    assert "started" in app_log and "the canvas exploded" in app_log


@pytest.mark.qt_no_exception_capture
def test_exception_in_python_thread_is_logged_with_thread_name(reporter, qtbot):
    rep = reporter()

    def fail():
        raise ValueError("worker broke")

    thread = threading.Thread(target=fail, name="model-loader")
    thread.start()
    thread.join()

    text = rep.last_crash_path.read_text(encoding="utf-8")
    assert "ValueError: worker broke" in text
    assert "Thread: model-loader" in text


@pytest.mark.qt_no_exception_capture
def test_exception_in_qt_slot_is_reported(reporter, qtbot):
    rep = reporter()

    def slot():
        raise KeyError("missing layer")

    QTimer.singleShot(0, slot)
    qtbot.waitUntil(lambda: rep.last_crash_path is not None, timeout=2000)
    assert "KeyError: 'missing layer'" in rep.last_crash_path.read_text(encoding="utf-8")


@pytest.mark.qt_no_exception_capture
def test_dialog_shows_message_and_log_path_instead_of_vanishing(reporter, qtbot):
    rep = reporter(show_dialog=True)
    seen: dict[str, str] = {}

    def read_and_close_dialog():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, read_and_close_dialog)
            return
        seen["title"] = box.windowTitle()
        seen["text"] = box.text()
        seen["details"] = box.detailedText()
        box.accept()

    QTimer.singleShot(0, read_and_close_dialog)
    _raise_and_report("cannot save")  # blocks in the dialog until the timer closes it

    assert "error" in seen["title"].lower()
    assert "RuntimeError: cannot save" in seen["text"]
    assert str(rep.last_crash_path) in seen["text"]
    assert "Traceback" in seen["details"]


@pytest.mark.qt_no_exception_capture
def test_dialog_for_a_thread_exception_opens_on_the_gui_thread(reporter, qtbot):
    rep = reporter(show_dialog=True)
    shown = []
    rep.build_dialog = lambda message, path: _RecordingBox(shown, message)

    thread = threading.Thread(target=lambda: 1 / 0, name="worker")
    with qtbot.waitSignal(rep.report_ready, timeout=2000):
        thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(shown), timeout=2000)
    assert shown[0][0] is QApplication.instance().thread()
    assert "ZeroDivisionError" in shown[0][1]


class _RecordingBox:
    def __init__(self, shown: list, message: str) -> None:
        self.shown = shown
        self.message = message

    def exec(self) -> int:
        from PySide6.QtCore import QThread

        self.shown.append((QThread.currentThread(), self.message))
        return 0


def test_install_twice_returns_the_same_reporter(reporter, qapp):
    first = reporter()
    assert install_crash_reporting(qapp, show_dialog=False) is first
    handlers = [h for h in crash_report.log.handlers if isinstance(h, logging.FileHandler)]
    assert len(handlers) == 1


def test_uninstall_restores_previous_hooks(reporter):
    before = (sys.excepthook, threading.excepthook)
    rep = reporter()
    assert sys.excepthook == rep.handle_exception
    rep.uninstall()
    assert (sys.excepthook, threading.excepthook) == before


def test_old_crash_logs_are_pruned(reporter):
    for index in range(CRASH_LOGS_KEPT + 5):
        (paths.logs_dir() / f"crash-20000101-000000-{index:06d}.log").write_text("old")
    reporter()
    _raise_and_report("newest")
    logs = _crash_logs()
    assert len(logs) == CRASH_LOGS_KEPT
    assert "newest" in logs[-1].read_text(encoding="utf-8")
