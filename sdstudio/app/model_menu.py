"""The Models menu: add a model file to the user's models folder, or open that folder.

"Add model file..." checks the file first (on a background thread: reading a large
``.pth`` takes seconds), so a damaged, malicious or unknown file is refused with the
reason and never lands in the models folder. An accepted file is copied (never moved,
never over an existing file) and every panel re-reads its list of methods
(``models_changed``).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox, QProgressDialog

from sdstudio import paths
from sdstudio.errors import UserFacingError

log = logging.getLogger(__name__)

MODEL_FILE_FILTER = "Model files (*.safetensors *.pth *.pt *.ckpt);;All files (*)"
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt", ".ckpt")


def unique_destination(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2)``, ``name (3)``... when that is taken."""
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 2
    while target.exists():
        target = folder / f"{stem} ({number}){suffix}"
        number += 1
    return target


def check_model_file(path: Path) -> tuple[Any, str]:
    """What the file is, and a sentence for the person; raises UserFacingError if unusable.

    The checks are the catalog's own (``model_index.inspect_safely`` for community files,
    ``model_checks.check_own_model`` for SD Studio's), so a file accepted here is offered
    in the panels. Runs torch/spandrel: call it off the GUI thread.
    """
    from sdstudio.engine.backends.diffusion_files import ENABLE_HINT, diffusers_available
    from sdstudio.engine.backends.model_index import inspect_safely
    from sdstudio.engine.model_checks import check_own_model

    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise UserFacingError(
            f"{path.name} is not a model file SD Studio reads ({', '.join(MODEL_SUFFIXES)})."
        )
    item = inspect_safely(path)
    if item is None:
        # Our own format (or an unreadable .safetensors, which this reports). Not "shipped",
        # even when picked from the bundled folder: the copy is a user file.
        info = check_own_model(path, shipped=False)
        return None, f"{info.name}: an SD Studio {info.task} model."
    if item.kind == "unusable":
        raise UserFacingError(item.error or f"{path.name} cannot be used.")
    if item.kind == "diffusion":
        summary = f"{path.name}: a Stable Diffusion model for Repair."
        if not diffusers_available():
            summary += " " + ENABLE_HINT
        return item, summary
    assert item.spandrel is not None
    panel = "Repair" if item.spandrel.task == "repair" else "Enhance"
    return item, f"{path.name}: {item.spandrel.describe()} ({panel} panel)."


def copy_into_models_folder(source: Path, item: Any) -> Path:
    """Copy ``source`` into the user models folder atomically; returns the new path.

    ``item`` is what :func:`check_model_file` found (None: an SD Studio model file); it is
    remembered for the copy, so listing the models does not check the file again.
    """
    from sdstudio.engine.backends.model_index import remember
    from sdstudio.engine.model_checks import remember_checked_copy

    folder = paths.user_models_dir()
    target = unique_destination(folder, source.name)
    handle, temp_name = tempfile.mkstemp(prefix=f".{source.name}.", suffix=".part", dir=folder)
    os.close(handle)
    try:
        shutil.copyfile(source, temp_name)
        os.replace(temp_name, target)
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        raise UserFacingError(f"Could not copy {source.name} into {folder}: {error}") from None
    remember(item, target)
    if item is None:
        remember_checked_copy(target)
    return target


def _emit_if_alive(signal: Any, *values: Any) -> None:
    """Emit from a plain thread; the window (and this object) may have closed meanwhile."""
    try:
        signal.emit(*values)
    except RuntimeError:
        log.info("a model check finished after its window closed")


class _NewFileScan(QObject):
    """Loads model files dropped into the folders since the last look, off the GUI thread."""

    finished = Signal(int)  # how many new files were checked

    def start(self) -> None:
        from sdstudio.engine.catalog import model_folders

        def work() -> None:
            from sdstudio.engine.catalog import check_new_files

            try:
                checked = len(check_new_files(model_folders()))
            except Exception:  # noqa: BLE001 - the panels still list what they can
                log.exception("checking new model files failed")
                checked = 0
            _emit_if_alive(self.finished, checked)

        threading.Thread(target=work, name="check-new-models", daemon=True).start()


class _Checker(QObject):
    """Checks a file on a plain thread and reports back on the GUI thread."""

    finished = Signal(object, str, str)  # item, summary, error message ("" when fine)

    def start(self, path: Path) -> None:
        def work() -> None:
            try:
                item, summary = check_model_file(path)
            except UserFacingError as error:
                _emit_if_alive(self.finished, None, "", str(error))
            except Exception as error:  # noqa: BLE001 - any failure: refuse, with the reason
                _emit_if_alive(
                    self.finished, None, "", f"{path.name} could not be checked: {error}"
                )
            else:
                _emit_if_alive(self.finished, item, summary, "")

        threading.Thread(target=work, name="check-model-file", daemon=True).start()


class ModelMenu(QObject):
    """Fills the Models menu; from its creation on, model listings on the GUI thread never
    load new files: ``check_new_files`` checks those on a background thread.

    A closing part of the window: listings go back to loading new files at once when the
    window closes (the CLI, tests and other windows after it must not see "being
    checked" entries).
    """

    models_changed = Signal()  # a model was added or newly checked: lists are out of date

    def __init__(self, window: QMainWindow, menu: QMenu) -> None:
        from sdstudio.engine.model_checks import defer_loading_on_main_thread

        super().__init__(window)
        defer_loading_on_main_thread(True)
        self.window = window
        self.add_action = QAction("&Add model file...", window)
        self.add_action.setStatusTip(
            "Copy a model file (.safetensors, .pth, .pt, .ckpt) into your models folder"
        )
        self.open_action = QAction("&Open models folder", window)
        self.open_action.setStatusTip(f"Show {paths.user_models_dir()} in the file manager")
        self.problems_action = QAction("Model &problems...", window)
        self.problems_action.setStatusTip("Which model files are not offered, and why")
        self.add_action.triggered.connect(self.add_model_file)
        self.open_action.triggered.connect(self.open_models_folder)
        self.problems_action.triggered.connect(self.show_problems)
        menu.addAction(self.add_action)
        menu.addAction(self.open_action)
        menu.addAction(self.problems_action)
        from sdstudio.engine.backends.diffusion_files import ENABLE_HINT, diffusers_available

        self.diffusion_action: QAction | None = None
        if not diffusers_available():
            menu.addSeparator()
            self.diffusion_action = QAction("Stable Diffusion: not installed", window)
            self.diffusion_action.setEnabled(False)
            self.diffusion_action.setToolTip(ENABLE_HINT)
            self.diffusion_action.setStatusTip(ENABLE_HINT)
            menu.addAction(self.diffusion_action)
            menu.setToolTipsVisible(True)
        self._checker: _Checker | None = None
        self._progress: QProgressDialog | None = None
        self._pending = Path()
        self._scan: _NewFileScan | None = None
        self.new_files_checked = 0
        self.scans_done = 0
        self.last_added: Path | None = None

    def add_model_file(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self.window, "Add Model File", str(Path.home()), MODEL_FILE_FILTER
        )
        if not chosen:
            return
        source = Path(chosen)
        self._progress = QProgressDialog(f"Checking {source.name}...", "", 0, 0, self.window)
        self._progress.setCancelButton(None)
        self._progress.setWindowModality(Qt.WindowModality.WindowModal)
        self._progress.setMinimumDuration(300)
        self._pending = source
        self._checker = _Checker(self)
        # A bound slot of this GUI-thread object: the result arrives queued on the GUI thread.
        self._checker.finished.connect(self._checked)
        self.add_action.setEnabled(False)
        self._checker.start(source)

    @Slot(object, str, str)
    def _checked(self, item: Any, summary: str, error: str) -> None:
        source = self._pending
        self.add_action.setEnabled(True)
        if self._progress is not None:
            self._progress.close()
            self._progress = None
        if error:
            QMessageBox.warning(self.window, "Model not added", error)
            return
        try:
            target = copy_into_models_folder(source, item)
        except UserFacingError as copy_error:
            QMessageBox.warning(self.window, "Model not added", str(copy_error))
            return
        self.last_added = target
        self.models_changed.emit()
        renamed = f" (saved as {target.name})" if target.name != source.name else ""
        self.window.statusBar().showMessage(f"Added {summary}{renamed}", 8000)

    def can_close(self) -> bool:
        return True  # nothing to ask: adding a model file is never left half done

    def shut_down(self) -> None:
        from sdstudio.engine.model_checks import defer_loading_on_main_thread

        defer_loading_on_main_thread(False)

    def check_new_files(self) -> None:
        """Check files added to the models folders by hand; refresh the panels if any."""
        self._scan = _NewFileScan(self)
        self._scan.finished.connect(self._new_files_checked)
        self._scan.start()

    @Slot(int)
    def _new_files_checked(self, count: int) -> None:
        self.new_files_checked += count
        self.scans_done += 1
        if count:
            self.models_changed.emit()

    def problems_text(self) -> str:
        from sdstudio.engine.catalog import model_problems

        problems = model_problems()
        if not problems:
            return "Every model file in the models folders is offered in the panels."
        return "\n\n".join(f"{p.path.name}: {p.message}" for p in problems)

    def show_problems(self) -> None:
        QMessageBox.information(self.window, "Model problems", self.problems_text())

    def open_models_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.user_models_dir())))
