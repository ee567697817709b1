"""File > Save Project / Open Project, mask files, "reuse last mask", and re-running a
history step on another photo. ``install_project_actions(window)`` adds them (and the
autosave, the History details and the undo memory limit) to a main window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QRect, Qt, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMenu

from sdstudio.app import project_document
from sdstudio.app.autosave import Autosave
from sdstudio.app.history_details import HistoryTooltips, UndoLimit
from sdstudio.app.window_actions import make_action
from sdstudio.engine.model_leftovers import remove_stale_model_temporaries
from sdstudio.errors import UserFacingError
from sdstudio.imaging.image_io import open_dialog_filter
from sdstudio.imaging.masks import load_mask, save_mask
from sdstudio.session.history_limits import MAX_UNDO_MEMORY_MB, MIN_UNDO_MEMORY_MB
from sdstudio.session.project_file import PROJECT_SUFFIX, read_project, write_project
from sdstudio.session.step_replay import describe_step, job_from_params, resize_mask

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

PROJECT_FILTER = f"SD Studio Project (*{PROJECT_SUFFIX})"
KEY_REUSE_MASK = "mask/reuse_last_mask"
KEY_PROJECT_FOLDER = "files/last_project_folder"
JOB_OWNER = "history"


class ProjectActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.settings = window.settings
        self.project_path: Path | None = None
        self.last_mask: np.ndarray | None = None  # the previous photo's mask
        self._mask_ref: np.ndarray | None = None
        self._photo_original: Any = None
        self._new_photo = False
        w = window
        self.open_project = make_action(
            w,
            "Open &Project...",
            self.open_project_dialog,
            "Ctrl+Shift+O",
            "Open a saved SD Studio project",
        )
        self.save_project = make_action(
            w,
            "Save Pro&ject...",
            self.save_project_dialog,
            "Ctrl+Alt+S",
            "Save photo, mask and history (with undo) in one file",
        )
        self.import_mask = make_action(
            w, "&Import Mask...", self.import_mask_dialog, tip="Use an image file as the mask"
        )
        self.export_mask = make_action(
            w, "E&xport Mask...", self.export_mask_dialog, tip="Save the mask as a PNG file"
        )
        self.reuse_mask = make_action(
            w,
            "&Reuse Last Mask on Next Photo",
            self._store_reuse,
            tip="Give the next photo you open the mask of this one",
            checkable=True,
        )
        self.reuse_mask.setChecked(str(self.settings.value(KEY_REUSE_MASK, "false")) == "true")
        self.apply_last_mask_action = make_action(
            w,
            "Use &Previous Photo's Mask",
            self.apply_last_mask,
            tip="Replace the mask with the one of the photo opened before",
        )
        self.apply_step = make_action(
            w,
            "Apply a Step to &Another Photo...",
            self.apply_step_to_another_photo,
            tip="Run an edit from the history again on another photo",
        )
        self.memory_limit = make_action(
            w,
            "History &Memory Limit...",
            self.memory_limit_dialog,
            tip="How much memory undo may use",
        )
        self._add_to_menus()
        document = self.document
        document.mask_changed.connect(self._on_mask_changed)
        document.document_replaced.connect(self._on_document_replaced)
        document.path_changed.connect(self._on_path_changed)
        document.document_replaced.connect(self._update_enabled)
        self._update_enabled()

    def _add_to_menus(self) -> None:
        a = self.window.actions_
        file_menu = _menu_holding(self.window, a.save_as)
        edit_menu = _menu_holding(self.window, a.undo)
        _insert_after(
            file_menu,
            a.save_as,
            [
                None,
                self.open_project,
                self.save_project,
                None,
                self.import_mask,
                self.export_mask,
                self.reuse_mask,
            ],
        )
        edit_menu.addSeparator()
        edit_menu.addAction(self.apply_step)
        edit_menu.addAction(self.memory_limit)
        mask_menu = _menu_holding(self.window, a.invert_mask)
        _insert_after(mask_menu, a.invert_mask, [self.apply_last_mask_action])

    @Slot()
    def _update_enabled(self) -> None:
        has_image = self.document.has_image()
        for action in (self.save_project, self.export_mask, self.import_mask, self.apply_step):
            action.setEnabled(has_image)
        self.apply_last_mask_action.setEnabled(has_image and self.last_mask is not None)

    # -- questions to the person (tests monkeypatch these) ----------------------------------
    def ask_project_save_path(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save Project", str(suggested), PROJECT_FILTER
        )
        return Path(path) if path else None

    def ask_project_open_path(self, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open Project", folder, PROJECT_FILTER)
        return Path(path) if path else None

    def ask_mask_save_path(self, suggested: Path) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Export Mask", str(suggested), "PNG image (*.png)"
        )
        return Path(path) if path else None

    def ask_mask_open_path(self, folder: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import Mask", folder, open_dialog_filter()
        )
        return Path(path) if path else None

    def ask_step(self, steps: list[dict[str, Any]]) -> int | None:
        labels = [
            f"{n}. {describe_step(s).replace(chr(10), ' · ')}" for n, s in enumerate(steps, 1)
        ]
        choice, ok = QInputDialog.getItem(
            self.window,
            "Apply a Step to Another Photo",
            "Step to run on the next photo:",
            labels,
            len(labels) - 1,
            False,
        )
        return labels.index(choice) if ok and choice in labels else None

    def ask_memory_mb(self, current: int) -> int | None:
        value, ok = QInputDialog.getInt(
            self.window,
            "History Memory Limit",
            "Memory for undo (MB). Oldest steps are dropped beyond it; a new limit applies "
            "from the next photo you open:",
            current,
            MIN_UNDO_MEMORY_MB,
            MAX_UNDO_MEMORY_MB,
            64,
        )
        return value if ok else None

    def _status(self, text: str, ms: int = 8000) -> None:
        self.window.statusBar().showMessage(text, ms)

    def _folder(self) -> str:
        return str(self.settings.value(KEY_PROJECT_FOLDER, self.window.files.last_folder()))

    # -- projects ----------------------------------------------------------------------------
    def suggested_project_path(self) -> Path:
        if self.project_path is not None:
            return self.project_path
        source = self.document.source
        if source is not None and source.path is not None:
            return Path(source.path).with_suffix(PROJECT_SUFFIX)
        return Path(self._folder()) / f"untitled{PROJECT_SUFFIX}"

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
        path = self.ask_project_open_path(self._folder())
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

    # -- masks -------------------------------------------------------------------------------
    def export_mask_dialog(self) -> bool:
        if not self.document.has_image():
            return False
        source = self.document.source
        stem = Path(source.path).stem if source is not None and source.path else "mask"
        folder = (
            Path(source.path).parent if source is not None and source.path else Path(self._folder())
        )
        path = self.ask_mask_save_path(folder / f"{stem}_mask.png")
        if path is None:
            return False
        if not path.suffix:
            path = path.with_suffix(".png")
        try:
            save_mask(self.document.mask, path)
        except UserFacingError as exc:
            self.window.show_error("Cannot export the mask", str(exc))
            return False
        self._status(f"Exported the mask to {path}")
        return True

    def import_mask_dialog(self) -> bool:
        if not self.document.has_image():
            return False
        path = self.ask_mask_open_path(self.window.files.last_folder())
        return self.import_mask_file(path) if path else False

    def import_mask_file(self, path: Path) -> bool:
        try:
            mask, notes = load_mask(path, self.document.size(), resize=True)
            self.document.set_mask(mask, "Import mask")
        except UserFacingError as exc:
            self.window.show_error("Cannot import the mask", str(exc))
            return False
        if notes:
            self.window.show_error("Mask resized", " ".join(notes))
        self._status(f"Imported the mask from {Path(path).name}. {' '.join(notes)}".strip())
        return True

    def _store_reuse(self, checked: bool) -> None:
        self.settings.setValue(KEY_REUSE_MASK, "true" if checked else "false")

    @Slot(QRect)
    def _on_mask_changed(self, _rect: QRect) -> None:
        self._mask_ref = self.document.mask  # a reference only: kept cheap per stroke

    @Slot()
    def _on_document_replaced(self) -> None:
        previous, self._mask_ref = self._mask_ref, self.document.mask
        if self.document.original is self._photo_original:
            return  # a size change of the same photo
        self._photo_original = self.document.original
        self.project_path = None  # another photo (Open Project sets it again after this)
        if previous is not None and previous.size and previous.any():
            self.last_mask = previous.copy()
        self._new_photo = not project_document.is_restoring()

    @Slot()
    def _on_path_changed(self) -> None:
        if self._new_photo:
            self._new_photo = False
            if self.reuse_mask.isChecked() and self.last_mask is not None:
                self.apply_last_mask()
        self._update_enabled()

    def apply_last_mask(self) -> bool:
        if self.last_mask is None or not self.document.has_image():
            return False
        width, height = self.document.size()
        resized = self.last_mask.shape != (height, width)
        self.document.set_mask(resize_mask(self.last_mask, width, height), "Reuse last mask")
        note = " (resized to fit this photo)" if resized else ""
        self._status(f"Used the previous photo's mask{note}.")
        return True

    # -- history -----------------------------------------------------------------------------
    def apply_step_to_another_photo(self) -> bool:
        steps = self.document.history_params()
        if not steps:
            self.window.show_error("Nothing to apply", "The history has no edits yet.")
            return False
        index = self.ask_step(steps)
        if index is None:
            return False
        step = steps[index]
        previous_mask = None if self.document.mask_is_empty() else self.document.mask.copy()
        path = self.window.ask_open_path(self.window.files.last_folder())
        if not path or not self.window.open_path(path):
            return False
        document = self.document
        if step.get("task") == "repair" and document.mask_is_empty() and previous_mask is not None:
            width, height = document.size()
            document.set_mask(resize_mask(previous_mask, width, height), "Mask from previous photo")

        def make_job():
            assert document.image is not None
            mask = None if document.mask_is_empty() else document.mask.copy()
            return job_from_params(step, document.image.copy(), mask)

        self.window.job_controller.run(JOB_OWNER, make_job)
        return True

    def memory_limit_dialog(self) -> bool:
        limit = self.window.undo_limit
        value = self.ask_memory_mb(limit.memory_mb())
        if value is None:
            return False
        limit.set_memory_mb(value)
        self._status(
            f"Undo may use up to {limit.memory_mb()} MB ({limit.steps()} steps for "
            "this photo size)."
        )
        return True


def _menu_holding(window: MainWindow, action: QAction) -> QMenu:
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is not None and action in menu.actions():
            return menu
    raise LookupError(f"no menu holds {action.text()!r}")


def _insert_after(menu: QMenu, anchor: QAction, items: list[QAction | None]) -> None:
    actions = menu.actions()
    position = actions.index(anchor) + 1
    before = actions[position] if position < len(actions) else None
    for item in items:
        if item is None:
            menu.insertSeparator(before) if before is not None else menu.addSeparator()
        elif before is not None:
            menu.insertAction(before, item)
        else:
            menu.addAction(item)


def install_project_actions(window: MainWindow) -> None:
    """Adds projects, mask files, autosave, History details and the undo limit.

    Sets ``window.project_actions``, ``window.autosave`` and ``window.undo_limit``; the
    offer to restore a crashed session, and removing what killed model writes left, come
    once the event loop runs.
    """
    window.undo_limit = UndoLimit(window.document, window.settings)
    window.undo_limit.apply()
    window.history_tooltips = HistoryTooltips(window.history_view)
    window.project_actions = ProjectActions(window)
    window.autosave = Autosave(window)
    QTimer.singleShot(0, window.autosave.offer_recovery)
    # Like the autosave offer, clearing up after a crash: a kill during a model save or
    # copy leaves a hidden temporary file in the user models folder for good.
    QTimer.singleShot(0, remove_stale_model_temporaries)
