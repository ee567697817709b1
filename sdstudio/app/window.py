"""The main window: canvas in the middle, task panels and history docked on the right.

The window builds its own shell (document, canvas, actions, menus, docks); the parts that
fill it (task panels, Train and Models menus, projects, autosave) are built and wired by
``sdstudio.app.services.build_services`` and handed over with ``attach_services``.

Every question the window asks the person (file dialogs, confirmations, errors) goes
through one ``ask_*`` / ``show_*`` method, so tests can answer them by monkeypatching.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QIcon
from PySide6.QtWidgets import (
    QColorDialog,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTabWidget,
    QUndoView,
    QWidget,
)

from sdstudio import APP_NAME, __version__
from sdstudio.app import settings as keys
from sdstudio.app.brush_toolbar import BrushToolbar
from sdstudio.app.canvas import Canvas
from sdstudio.app.document import Document
from sdstudio.app.file_dialogs import OpenPhotoDialog, QualityDialog
from sdstudio.app.file_ops import DocumentFiles
from sdstudio.app.help_dialogs import GettingStartedDialog, KeyboardShortcutsDialog
from sdstudio.app.start_page import StartPage
from sdstudio.app.window_actions import build_actions, build_menus, build_toolbar
from sdstudio.app.window_state import WindowState
from sdstudio.imaging.image_io import (
    format_for_dialog_filter,
    open_dialog_filter,
    save_dialog_filters,
)
from sdstudio.paths import resource_path
from sdstudio.session.project_file import PROJECT_SUFFIX

if TYPE_CHECKING:
    from sdstudio.app.autosave import Autosave
    from sdstudio.app.history_details import UndoLimit
    from sdstudio.app.job_controller import JobController
    from sdstudio.app.panels import TaskPanels
    from sdstudio.app.project_actions import ProjectActions
    from sdstudio.app.services import AppServices

OPEN_HINT = "Open a photo: File > Open (Ctrl+O) or drop it here."


class ClosingPart(Protocol):
    """A part of the window with work to finish when the window closes.

    Closing asks every part first (``can_close`` may ask the person, and changes
    nothing); only when all agree, and the unsaved changes are saved or discarded, does
    each part ``shut_down``. So a Cancel anywhere leaves everything running as it was.
    """

    def can_close(self) -> bool: ...

    def shut_down(self) -> None: ...


class MainWindow(QMainWindow):
    # The parts filling the window, from ``attach_services``.
    services: AppServices
    job_controller: JobController
    task_panels: TaskPanels
    project_actions: ProjectActions
    autosave: Autosave
    undo_limit: UndoLimit

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else keys.app_settings()
        self.closing_parts: list[ClosingPart] = []
        self.document = Document(self)
        # Connected before the canvas exists, so the canvas is on screen, at its real
        # size, when it fits a newly opened photo to the view.
        self.document.document_replaced.connect(self._show_canvas_page)
        self.canvas = Canvas(self.document, self)
        self.files = DocumentFiles(self)
        # The start page until a photo opens, then the canvas (the same object throughout).
        self.start_page = StartPage(self)
        self.central_pages = QStackedWidget(self)
        self.central_pages.addWidget(self.start_page)
        self.central_pages.addWidget(self.canvas)
        self.setCentralWidget(self.central_pages)
        self._help_dialogs: dict[type, QDialog] = {}
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks)
        app_icon = resource_path("icons", "sdstudio.png")
        if app_icon.exists():
            self.setWindowIcon(QIcon(str(app_icon)))

        self.actions_ = build_actions(self)
        menus = build_menus(self, self.actions_)
        self.recent_menu, self.view_menu = menus.recent, menus.view
        self.train_menu, self.models_menu = menus.train, menus.models  # filled by services
        self.image_tools = menus.image_tools
        self.addToolBar(build_toolbar(self, self.actions_))
        self.brush_toolbar = BrushToolbar(self.canvas, self)
        # Its own row: seven tools plus size, hardness and opacity overflow one row
        # beside the main toolbar below about 1500 px.
        self.addToolBarBreak()
        self.addToolBar(self.brush_toolbar)

        self.panel_tabs = QTabWidget(self)
        self.panel_tabs.setDocumentMode(True)
        self.tasks_dock = self._dock("Tasks", "tasks_dock", self.panel_tabs)
        self.history_view = QUndoView(self.document.undo_stack, self)
        # No "Opened photo" row (nor an empty one) until a photo is open.
        self.history_view.setEmptyLabel("")
        self.history_view.setStack(None)  # no rows at all until a photo opens
        self.history_dock = self._dock("History", "history_dock", self.history_view)
        self.view_menu.addAction(self.tasks_dock.toggleViewAction())
        self.view_menu.addAction(self.history_dock.toggleViewAction())

        self.zoom_label = QLabel("", self)
        self.size_label = QLabel("", self)
        for label in (self.size_label, self.zoom_label):
            label.setMinimumWidth(70)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.statusBar().addPermanentWidget(label)
        self.statusBar().showMessage(OPEN_HINT)

        self.canvas.zoom_changed.connect(self._show_zoom)
        self.document.modified_changed.connect(self._update_title)
        self.document.path_changed.connect(self._update_title)
        self.document.document_replaced.connect(self._on_document_replaced)
        self.document.undo_stack.indexChanged.connect(self._update_enabled)
        self.remembered_state = WindowState(self, self.settings)
        self.remembered_state.restore()
        self.add_closing_part(self.remembered_state)
        self._update_title()
        self._update_enabled()

    def attach_services(self, services: AppServices) -> None:
        """Keeps the parts ``build_services`` built for this window (once, after it)."""
        self.services = services
        # Shortcuts for the tests, benchmarks and self-test that drive the window.
        self.job_controller, self.task_panels = services.jobs, services.panels
        self.project_actions, self.autosave = services.projects, services.autosave
        self.undo_limit = services.undo_limit

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    # -- public API ---------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Opens a photo or, by its suffix, a project (command line, drops, recent files)."""
        if Path(path).suffix.lower() == PROJECT_SUFFIX:
            return self.services.projects.open_project_file(Path(path))
        return self.files.open_path(path)

    def window_title(self) -> str:
        if self.document.path is None:
            return APP_NAME
        mark = "*" if self.document.is_modified() else ""
        return f"{self.document.path.name}{mark} — {APP_NAME}"

    # -- questions to the person (tests monkeypatch these) ------------------------------
    def show_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def make_open_dialog(self, folder: str) -> OpenPhotoDialog:
        return OpenPhotoDialog(self, folder, open_dialog_filter())

    def ask_open_path(self, folder: str) -> str | None:
        dialog = self.make_open_dialog(folder)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            chosen = dialog.selectedFiles()
            return chosen[0] if chosen else None
        finally:
            dialog.deleteLater()

    def ask_save_path(self, suggested: Path) -> tuple[Path, str | None] | None:
        """The chosen file and the format picked in the dialog (None: from the extension)."""
        path, chosen_filter = QFileDialog.getSaveFileName(
            self, "Save Photo As", str(suggested), save_dialog_filters()
        )
        if not path:
            return None
        target = Path(path)
        picked = format_for_dialog_filter(chosen_filter)
        # An extension the user typed wins over the filter left at its default.
        return target, (None if target.suffix else picked)

    def make_quality_dialog(self, format_name: str, current: int) -> QualityDialog:
        return QualityDialog(self, format_name, current, self.files.original_quality())

    def ask_quality(self, format_name: str, current: int) -> int | None:
        dialog = self.make_quality_dialog(format_name, current)
        try:
            accepted = dialog.exec() == QDialog.DialogCode.Accepted
            return dialog.quality() if accepted else None
        finally:
            dialog.deleteLater()

    def confirm_overwrite_original(self, path: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace the original?",
            f"'{path.name}' is the original photo. Replace it with the edited version?\n"
            "The original cannot be recovered afterwards.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_save_changes(self) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"``."""
        name = self.document.path.name if self.document.path else "the photo"
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to '{name}' before closing it?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(answer, "cancel")

    def choose_overlay_color(self) -> None:
        color = QColorDialog.getColor(self.canvas.overlay.color, self, "Mask Colour")
        if color.isValid():
            self.canvas.overlay.set_color(color)

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            f"About {APP_NAME}",
            f"<b>{APP_NAME}</b> {__version__}<br>Repair, restyle and enhance photos on your "
            "own computer, offline.",
        )

    def show_getting_started(self) -> None:
        self._show_help(GettingStartedDialog)

    def show_keyboard_shortcuts(self) -> None:
        dialog = self._show_help(KeyboardShortcutsDialog)
        dialog.refresh(self)  # actions added since it was first shown are listed too

    def _show_help(self, kind: type) -> QDialog:
        """Help stays open beside the photo (not modal): one window of each kind."""
        dialog = self._help_dialogs.get(kind)
        if dialog is None:
            dialog = self._help_dialogs[kind] = kind(self)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    # -- window state -------------------------------------------------------------------
    def _update_title(self, *_args) -> None:
        self.setWindowTitle(self.window_title())
        self._update_enabled()

    def _update_enabled(self, *_args) -> None:
        has_image = self.document.has_image()
        a = self.actions_
        for action in (
            a.save,
            a.save_as,
            a.clear_mask,
            a.invert_mask,
            a.zoom_in,
            a.zoom_out,
            a.fit,
            a.actual,
            a.split,
            a.show_original,
        ):
            action.setEnabled(has_image)

    def _show_canvas_page(self) -> None:
        # The stack sizes only its current page, and does so as it switches: done first,
        # the canvas fits the new photo to its real view, not to a hidden page's size.
        self.central_pages.setCurrentWidget(self.canvas)

    def _on_document_replaced(self) -> None:
        width, height = self.document.size()
        self.size_label.setText(f"{width} × {height}" if width else "")
        self.history_view.setEmptyLabel("Opened photo" if width else "")
        self.history_view.setStack(self.document.undo_stack if width else None)
        if width and self.statusBar().currentMessage() == OPEN_HINT:
            self.statusBar().clearMessage()  # said while no photo was open
        self.canvas.setFocus()
        self._update_enabled()

    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %" if zoom >= 0.1 else f"{zoom * 100:.1f} %")

    def add_closing_part(self, part: ClosingPart) -> None:
        self.closing_parts.append(part)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # Every question first, then every shutdown: nothing stops before all agree.
        if not all(part.can_close() for part in self.closing_parts):
            event.ignore()
            return
        if not self.files.maybe_save_changes():
            event.ignore()
            return
        for part in self.closing_parts:
            part.shut_down()
        event.accept()

    # -- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if _dropped_file(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = _dropped_file(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(path)


def _dropped_file(event) -> Path | None:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            return Path(url.toLocalFile())
    return None
