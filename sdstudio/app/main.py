"""Starts the GUI: one QApplication, the dark theme, the main window, files to open.

``create_main_window`` is the app's composition root: the window's shell first, then
the services that fill it (``sdstudio.app.services``), each given what it uses.

Kept light on purpose: nothing here imports torch, so the window paints in a fraction of
a second; models load later, on the job worker's thread.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from sdstudio import APP_NAME, __version__
from sdstudio.app.crash_report import install_crash_reporting
from sdstudio.app.fatal_errors import start_session_guard
from sdstudio.app.theme import apply_dark_theme
from sdstudio.engine.memory_release import configure_allocator
from sdstudio.paths import resource_path

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings

    from sdstudio.app.window import MainWindow

log = logging.getLogger(__name__)

ORGANIZATION_NAME = "SD Studio"
APPLICATION_ID = "sdstudio"


def create_application(argv: list[str] | None = None) -> QApplication:
    """The process's QApplication, created once with names, high-DPI policy and theme."""
    existing = QApplication.instance()
    if existing is not None:
        return existing  # type: ignore[return-value]
    configure_allocator()  # before the worker threads: a long session's RSS follows its work
    # Fractional scale factors (125 %, 150 %) render at their true size instead of being
    # rounded, so the canvas's "100 %" is one photo pixel per physical pixel.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    QCoreApplication.setOrganizationName(ORGANIZATION_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication(argv if argv is not None else [sys.argv[0]])
    QGuiApplication.setDesktopFileName(APPLICATION_ID)
    icon_path = resource_path("icons", "sdstudio.png")
    if icon_path.exists():
        app.setWindowIcon(QIcon(str(icon_path)))
    apply_dark_theme(app)
    return app


def warn_about_leaking_bindings(window: QWidget) -> None:
    """A one-line probe (well under a millisecond); a warning instead of a lost session."""
    from sdstudio.app.qt_bindings import binding_problem

    problem = binding_problem()
    if problem:
        log.error("%s", problem)
        QMessageBox.warning(window, f"{APP_NAME}: please reinstall", problem)


def create_main_window(settings: QSettings | None = None) -> MainWindow:
    """The main window with its task panels, menus, projects and autosave wired in.

    ``settings``: where the window and its parts remember things (default: the app's).
    """
    from sdstudio.app.services import build_services
    from sdstudio.app.window import MainWindow

    window = MainWindow(settings)
    window.attach_services(build_services(window))
    return window


def launch(paths: list[str]) -> int:
    """Shows the main window, opens ``paths[0]`` if given, and runs until it closes."""
    app = create_application()
    install_crash_reporting(app)
    # Before the window: what the last session left is reported when the window asks.
    start_session_guard(app)
    window = create_main_window()
    window.show()
    warn_about_leaking_bindings(window)
    if paths:
        # After show(): an error about a bad path appears over the window, not before it.
        window.open_path(Path(paths[0]))
    return app.exec()
