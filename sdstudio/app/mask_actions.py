"""Mask files and "reuse last mask": File > Import / Export Mask, File > Reuse Last Mask on
Next Photo, and Mask > Use Previous Photo's Mask."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QRect, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog

from sdstudio.app import project_document
from sdstudio.app.menu_items import insert_after, make_action, menu_holding
from sdstudio.app.project_actions import project_folder
from sdstudio.errors import UserFacingError
from sdstudio.imaging.image_io import open_dialog_filter
from sdstudio.imaging.masks import load_mask, save_mask
from sdstudio.session.step_replay import resize_mask

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

KEY_REUSE_MASK = "mask/reuse_last_mask"


class MaskActions(QObject):
    def __init__(self, window: MainWindow, *, after: QAction) -> None:
        """Adds the mask file actions to the File menu below ``after``."""
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.settings = window.settings
        self.last_mask: np.ndarray | None = None  # the previous photo's mask
        self._mask_ref: np.ndarray | None = None
        self._photo_original: Any = None
        self._new_photo = False
        self.import_mask = make_action(
            window, "&Import Mask...", self.import_mask_dialog, tip="Use an image file as the mask"
        )
        self.export_mask = make_action(
            window, "E&xport Mask...", self.export_mask_dialog, tip="Save the mask as a PNG file"
        )
        self.reuse_mask = make_action(
            window,
            "&Reuse Last Mask on Next Photo",
            self._store_reuse,
            tip="Give the next photo you open the mask of this one",
            checkable=True,
        )
        self.reuse_mask.setChecked(str(self.settings.value(KEY_REUSE_MASK, "false")) == "true")
        self.apply_last_mask_action = make_action(
            window,
            "Use &Previous Photo's Mask",
            self.apply_last_mask,
            tip="Replace the mask with the one of the photo opened before",
        )
        file_menu = menu_holding(window, after)
        insert_after(file_menu, after, [None, self.import_mask, self.export_mask, self.reuse_mask])
        invert = window.actions_.invert_mask
        insert_after(menu_holding(window, invert), invert, [self.apply_last_mask_action])
        document = self.document
        document.mask_changed.connect(self._on_mask_changed)
        document.document_replaced.connect(self._on_document_replaced)
        document.path_changed.connect(self._on_path_changed)
        self._update_enabled()

    @Slot()
    def _update_enabled(self) -> None:
        has_image = self.document.has_image()
        self.export_mask.setEnabled(has_image)
        self.import_mask.setEnabled(has_image)
        self.apply_last_mask_action.setEnabled(has_image and self.last_mask is not None)

    # -- questions to the person (tests monkeypatch these) ----------------------------------
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

    def _status(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    # -- mask files --------------------------------------------------------------------------
    def export_mask_dialog(self) -> bool:
        if not self.document.has_image():
            return False
        source = self.document.source
        if source is not None and source.path:
            stem, folder = Path(source.path).stem, Path(source.path).parent
        else:
            stem, folder = "mask", Path(project_folder(self.window))
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

    # -- the previous photo's mask ------------------------------------------------------------
    def _store_reuse(self, checked: bool) -> None:
        self.settings.setValue(KEY_REUSE_MASK, "true" if checked else "false")

    @Slot(QRect)
    def _on_mask_changed(self, _rect: QRect) -> None:
        self._mask_ref = self.document.mask  # a reference only: kept cheap per stroke

    @Slot()
    def _on_document_replaced(self) -> None:
        previous, self._mask_ref = self._mask_ref, self.document.mask
        if self.document.original is not self._photo_original:  # not a size change
            self._photo_original = self.document.original
            if previous is not None and previous.size and previous.any():
                self.last_mask = previous.copy()
            self._new_photo = not project_document.is_restoring()
        self._update_enabled()

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
