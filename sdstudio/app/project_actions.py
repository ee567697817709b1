"""File > Save Project / Open Project: photo, mask and history (with undo) in one file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QFileDialog

from sdstudio.app import project_document
from sdstudio.app.menu_items import insert_after, make_action, menu_holding
from sdstudio.errors import UserFacingError
from sdstudio.session.project_file import PROJECT_SUFFIX, read_project, write_project

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

PROJECT_FILTER = f"SD Studio Project (*{PROJECT_SUFFIX})"
KEY_PROJECT_FOLDER = "files/last_project_folder"


def project_folder(window: MainWindow) -> str:
    """Where the last project was saved or opened; else the last photo's folder."""
    return str(window.settings.value(KEY_PROJECT_FOLDER, window.files.last_folder()))


class ProjectActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        """Adds Open Project and Save Project to the File menu below Save As."""
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.settings = window.settings
        self.project_path: Path | None = None
        self._photo_original: Any = None
        self.open_project = make_action(
            window,
            "Open &Project...",
            self.open_project_dialog,
            "Ctrl+Shift+O",
            "Open a saved SD Studio project",
        )
        self.save_project = make_action(
            window,
            "Save Pro&ject...",
            self.save_project_dialog,
            "Ctrl+Alt+S",
            "Save photo, mask and history (with undo) in one file",
        )
        save_as = window.actions_.save_as
        insert_after(
            menu_holding(window, save_as), save_as, [None, self.open_project, self.save_project]
        )
        self.document.document_replaced.connect(self._on_document_replaced)
        self.document.path_changed.connect(self._update_enabled)
        self._update_enabled()

    @Slot()
    def _update_enabled(self) -> None:
        self.save_project.setEnabled(self.document.has_image())

    @Slot()
    def _on_document_replaced(self) -> None:
        if self.document.original is not self._photo_original:  # not a size change
            self._photo_original = self.document.original
            self.project_path = None  # another photo (Open Project sets it again after this)
        self._update_enabled()

    # -- questions to the person (tests monkeypatch these) ----------------------------------
    def ask_project_save_path(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save Project", str(suggested), PROJECT_FILTER
        )
        return Path(path) if path else None

    def ask_project_open_path(self, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open Project", folder, PROJECT_FILTER)
        return Path(path) if path else None

    def _status(self, text: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(text, ms)

    # -- projects ----------------------------------------------------------------------------
    def suggested_project_path(self) -> Path:
        if self.project_path is not None:
            return self.project_path
        source = self.document.source
        if source is not None and source.path is not None:
            return Path(source.path).with_suffix(PROJECT_SUFFIX)
        return Path(project_folder(self.window)) / f"untitled{PROJECT_SUFFIX}"

    def save_project_dialog(self) -> bool:
        if not self.document.has_image():
            return False
        path = self.ask_project_save_path(self.suggested_project_path())
        return self.save_project_to(path) if path else False

    def save_project_to(self, path: Path) -> bool:
        path = Path(path)
        if path.suffix.lower() != PROJECT_SUFFIX:
            path = path.with_name(path.name + PROJECT_SUFFIX)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            project = project_document.capture(self.document).to_project()
            write_project(path, project)
        except UserFacingError as exc:
            self.window.show_error("Cannot save the project", str(exc))
            return False
        finally:
            QApplication.restoreOverrideCursor()
        self.project_path = path
        self.window.files.remember_project_file(path)
        self.settings.setValue(KEY_PROJECT_FOLDER, str(path.resolve().parent))
        self.document.undo_stack.setClean()  # the work is safe; autosave removes its copy
        self._status(f"Saved project {path.name} ({len(project.steps)} history steps)")
        return True

    def open_project_dialog(self) -> bool:
        path = self.ask_project_open_path(project_folder(self.window))
        return self.open_project_file(path) if path else False

    def open_project_file(self, path: Path) -> bool:
        if not self.window.files.maybe_save_changes():
            return False
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            project = read_project(path)
            project_document.restore(self.document, project, clean=True)
        except UserFacingError as exc:
            QApplication.restoreOverrideCursor()
            self.window.show_error("Cannot open the project", str(exc))
            return False
        QApplication.restoreOverrideCursor()
        self.project_path = Path(path)
        # The manifest's source path is only what the file says; Save asks, beside it.
        self.window.files.remember_project_file(Path(path))
        self.settings.setValue(KEY_PROJECT_FOLDER, str(Path(path).resolve().parent))
        notes = " ".join(project.notes)
        self._status(f"Opened project {Path(path).name}. {notes}".strip(), 10_000)
        return True
