"""The Train menu and the training wizard.

``TrainingMenu`` fills the window's Train menu: a new run opens the wizard (non-modal, so
editing goes on), a stopped run can be resumed, and, as one of the window's closing parts,
closing the main window while a model trains asks first and leaves a resumable checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from sdstudio.training.runs import RunSummary, unfinished_runs

if TYPE_CHECKING:
    from sdstudio.app.panels import TaskPanels
    from sdstudio.app.window import MainWindow


def resumable_runs() -> list[RunSummary]:
    """Training runs that stopped before finishing, each in its own folder; runs whose
    settings are damaged are listed too (``problem`` says why), so the list can tell."""
    return unfinished_runs()


def run_labels(runs: list[RunSummary]) -> list[str]:
    """One line per run for the Resume list; a name two folders share gets its folder."""
    names = [run.name for run in runs]
    labels = []
    for run in runs:
        if run.damaged:
            labels.append(f"{run.folder.name} (damaged: its settings cannot be read)")
            continue
        label = run.name if names.count(run.name) == 1 else f"{run.name} (folder {run.folder.name})"
        if run.step is not None and run.total_steps:
            label += f" (step {run.step} of {run.total_steps})"
        labels.append(label)
    return labels


class TrainingMenu(QObject):
    def __init__(self, window: MainWindow, menu: QMenu, panels: TaskPanels) -> None:
        """``panels``: refreshed when a model is trained, and shown with it selected."""
        super().__init__(window)
        self.window = window
        self.panels = panels
        self.wizard = None
        self.new_action = QAction("&Train a model on your photos…", window)
        self.new_action.setObjectName("train_new")
        self.resume_action = QAction("&Resume a stopped training run…", window)
        self.resume_action.setObjectName("train_resume")
        self.new_action.triggered.connect(lambda: self.open_wizard())
        self.resume_action.triggered.connect(self.resume)
        menu.addAction(self.new_action)
        menu.addAction(self.resume_action)
        menu.aboutToShow.connect(self._update_actions)

    def _update_actions(self) -> None:
        self.resume_action.setEnabled(bool(resumable_runs()))

    def open_wizard(self, resume_dir: Path | None = None):
        from sdstudio.app.training_wizard.wizard import TrainingWizard

        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            self.wizard.activateWindow()
            return self.wizard
        self.wizard = TrainingWizard(self.window, panels=self.panels, resume_dir=resume_dir)
        self.wizard.destroyed.connect(self._forget_wizard)
        self.wizard.show()
        return self.wizard

    def _forget_wizard(self) -> None:
        self.wizard = None

    def ask_run_to_resume(self, labels: list[str]) -> str | None:
        label, ok = QInputDialog.getItem(self.window, "Resume training", "Run:", labels, 0, False)
        return label if ok else None

    def show_resume_error(self, message: str) -> None:
        self.window.show_error("Resume training", message)

    def resume(self) -> None:
        from sdstudio.errors import UserFacingError

        runs = resumable_runs()
        if not runs:
            return
        labels = run_labels(runs)
        label = self.ask_run_to_resume(labels)
        if label not in labels:
            return
        run = runs[labels.index(label)]
        if run.damaged:
            self.show_resume_error(run.problem)
            return
        try:
            self.open_wizard(resume_dir=run.folder)
        except UserFacingError as error:  # damaged since the list was made
            self.show_resume_error(str(error))

    # -- closing the editor while a model trains: ask first, stop only when it closes ------
    def can_close(self) -> bool:
        wizard = self.wizard
        if wizard is None or not wizard.live_page.running():
            return True
        return wizard.ask_stop_training()

    def shut_down(self) -> None:
        wizard = self.wizard
        if wizard is None:
            return
        if wizard.live_page.running():
            wizard.live_page.stop_and_wait()  # leaves a resumable checkpoint
        wizard.close()  # the wizard goes with the window
