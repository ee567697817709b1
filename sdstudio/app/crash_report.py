"""Crash reporting for people who start SD Studio by double-clicking it.

A frozen app has no terminal, so an uncaught exception would otherwise make the window
vanish without a word. :func:`install_crash_reporting` routes uncaught exceptions (main
thread, Python threads and Qt slots, which PySide6 sends through ``sys.excepthook``)
to a crash log in the user's log folder and shows a dialog naming that file. It also
starts a rotating app log there, so the crash log's context is on disk too.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from sdstudio import APP_NAME, __version__, paths

APP_LOG_NAME = "sdstudio.log"
APP_LOG_MAX_BYTES = 1_000_000
APP_LOG_BACKUPS = 3
CRASH_LOGS_KEPT = 20

log = logging.getLogger("sdstudio")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def install_app_log(level: int = logging.INFO) -> Path:
    """Log the ``sdstudio`` logger to a rotating file in the user's log folder."""
    log_path = paths.logs_dir() / APP_LOG_NAME
    for handler in log.handlers:
        if getattr(handler, "baseFilename", None) == str(log_path):
            return log_path
    handler = logging.handlers.RotatingFileHandler(
        log_path, maxBytes=APP_LOG_MAX_BYTES, backupCount=APP_LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    )
    log.addHandler(handler)
    log.setLevel(min(log.level or level, level))
    return log_path


def write_crash_log(exc_info: ExcInfo, thread_name: str | None = None) -> Path:
    """Write one crash's traceback and context to a new file; returns its path."""
    exc_type, exc_value, exc_tb = exc_info
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    crash_path = paths.logs_dir() / f"crash-{stamp}.log"
    frozen = getattr(sys, "frozen", False)
    header = [
        f"{APP_NAME} {__version__} crashed at {datetime.now().isoformat(timespec='seconds')}",
        f"Python {sys.version.split()[0]} on {sys.platform}, frozen: {frozen}",
        f"Thread: {thread_name or threading.current_thread().name}",
        "",
    ]
    body = "".join(traceback.format_exception(exc_type, exc_value, exc_tb))
    crash_path.write_text("\n".join(header) + body, encoding="utf-8")
    _remove_old_crash_logs()
    return crash_path


def _remove_old_crash_logs() -> None:
    crash_logs = sorted(paths.logs_dir().glob("crash-*.log"))
    for old in crash_logs[:-CRASH_LOGS_KEPT]:
        old.unlink(missing_ok=True)


def crash_message(exc_value: BaseException, crash_path: Path) -> str:
    summary = f"{type(exc_value).__name__}: {exc_value}".strip().rstrip(":")
    return (
        f"{APP_NAME} hit an unexpected error.\n\n{summary}\n\n"
        f"The details were saved to:\n{crash_path}\n\n"
        "Please include that file when you report the problem. Save your work "
        "under a new name if you can; the app may be unstable now."
    )


class CrashReporter(QObject):
    """Receives uncaught exceptions from any thread and reports them on the GUI thread."""

    # Dialogs must be shown on the GUI thread; a queued signal carries reports there.
    report_ready = Signal(str, str)

    def __init__(self, app: QCoreApplication, show_dialog: bool = True) -> None:
        super().__init__(app)
        self.show_dialog = show_dialog
        self.last_crash_path: Path | None = None
        self._previous_excepthook: Callable[..., object] = sys.excepthook
        self._previous_thread_hook: Callable[..., object] = threading.excepthook
        self._reporting = False
        self.report_ready.connect(self._show_report)

    def install(self) -> None:
        sys.excepthook = self.handle_exception
        threading.excepthook = self._handle_thread_exception

    def uninstall(self) -> None:
        if sys.excepthook == self.handle_exception:
            sys.excepthook = self._previous_excepthook
        if threading.excepthook == self._handle_thread_exception:
            threading.excepthook = self._previous_thread_hook

    def handle_exception(
        self,
        exc_type: type[BaseException],
        exc_value: BaseException,
        exc_tb: TracebackType | None,
        thread_name: str | None = None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_excepthook(exc_type, exc_value, exc_tb)
            return
        try:
            crash_path = write_crash_log((exc_type, exc_value, exc_tb), thread_name)
        except OSError as error:  # disk full or read-only: still tell the person
            crash_path = Path(f"(could not write the log: {error})")
        self.last_crash_path = crash_path
        log.error("Uncaught exception, crash log %s", crash_path, exc_info=exc_value)
        # Still print to stderr: people running from a terminal see it there as well
        # (a windowed Windows build has no stderr at all).
        if sys.stderr is not None:
            traceback.print_exception(exc_type, exc_value, exc_tb, file=sys.stderr)
        try:
            self.report_ready.emit(crash_message(exc_value, crash_path), str(crash_path))
        except RuntimeError:  # the app is shutting down: the log file is all we can do
            pass

    def _handle_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else None
        self.handle_exception(args.exc_type, args.exc_value, args.exc_traceback, name)

    def _show_report(self, message: str, crash_path: str) -> None:
        if not self.show_dialog or self._reporting:
            return
        app = QCoreApplication.instance()
        if not isinstance(app, QApplication) or QThread.currentThread() is not app.thread():
            return
        # An error raised while the dialog is open must not stack a second dialog.
        self._reporting = True
        try:
            self.build_dialog(message, crash_path).exec()
        finally:
            self._reporting = False

    def build_dialog(self, message: str, crash_path: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME} error", message)
        box.setObjectName("crashDialog")
        # The person may want to copy the log path into a file manager or a bug report.
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        log_file = Path(crash_path)
        if log_file.is_file():
            box.setDetailedText(log_file.read_text(encoding="utf-8", errors="replace"))
        return box


def install_crash_reporting(app: QCoreApplication, show_dialog: bool = True) -> CrashReporter:
    """Start the rotating app log and report uncaught exceptions with a dialog and a log.

    Call once, right after the ``QApplication`` exists. Returns the reporter so tests (and
    a clean shutdown) can uninstall it.
    """
    existing = app.findChild(CrashReporter)
    if existing is not None:
        return existing
    log_path = install_app_log()
    reporter = CrashReporter(app, show_dialog=show_dialog)
    reporter.install()
    log.info("%s %s started (log %s)", APP_NAME, __version__, log_path)
    return reporter
