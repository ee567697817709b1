"""The Train menu and the training wizard.

``install_training_menu(window)`` fills ``window.train_menu``: a new run opens the wizard
(non-modal, so editing goes on), a stopped run can be resumed, and closing the main window
while a model trains asks first and leaves a resumable checkpoint.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMainWindow


def resumable_runs() -> list[str]:
    """Names of training runs that stopped before finishing (or can be trained longer)."""
    from sdstudio.training.checkpoints import has_checkpoint
    from sdstudio.training.config import TrainingConfig, runs_dir

    names = []
    for folder in sorted(runs_dir().iterdir()):
        config_path = folder / "config.json"
        if folder.is_dir() and config_path.exists() and has_checkpoint(folder):
            try:
                names.append(TrainingConfig.from_json(config_path.read_text(encoding="utf-8")).name)
            except (ValueError, TypeError):
                continue
    return names


class TrainingMenu(QObject):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.wizard = None
        self.new_action = QAction("&Train a model on your photos…", window)
        self.new_action.setObjectName("train_new")
        self.resume_action = QAction("&Resume a stopped training run…", window)
        self.resume_action.setObjectName("train_resume")
        self.new_action.triggered.connect(lambda: self.open_wizard())
        self.resume_action.triggered.connect(self.resume)
        window.train_menu.addAction(self.new_action)
        window.train_menu.addAction(self.resume_action)
        window.train_menu.aboutToShow.connect(self._update_actions)
        window.installEventFilter(self)

    def _update_actions(self) -> None:
        self.resume_action.setEnabled(bool(resumable_runs()))

    def open_wizard(self, resume_name: str | None = None):
        from sdstudio.app.training_wizard.wizard import TrainingWizard

        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            self.wizard.activateWindow()
            return self.wizard
        self.wizard = TrainingWizard(self.window, resume_name=resume_name)
        self.wizard.destroyed.connect(self._forget_wizard)
        self.wizard.show()
        return self.wizard

    def _forget_wizard(self) -> None:
        self.wizard = None

    def ask_run_to_resume(self, names: list[str]) -> str | None:
        name, ok = QInputDialog.getItem(self.window, "Resume training", "Run:", names, 0, False)
        return name if ok else None

    def resume(self) -> None:
        names = resumable_runs()
        if not names:
            return
        name = self.ask_run_to_resume(names)
        if name:
            self.open_wizard(resume_name=name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Closing the editor while a model trains: ask, then stop with a checkpoint.
        if event.type() == QEvent.Type.Close and watched is self.window and self.wizard is not None:
            if not self.wizard.confirm_close():
                event.ignore()
                return True
            self.wizard.close()  # training has stopped; the wizard goes with the window
        return False


def install_training_menu(window: QMainWindow) -> TrainingMenu:
    """Fills ``window.train_menu``; the menu object is kept as ``window.training_menu``."""
    menu = TrainingMenu(window)
    window.training_menu = menu
    return menu
