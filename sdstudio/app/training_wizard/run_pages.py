"""The live training page and the finish page."""

from __future__ import annotations

import time

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from sdstudio.app.training_wizard.loss_plot import LossPlot
from sdstudio.tasks import Task
from sdstudio.training import events as ev
from sdstudio.training.config import format_duration
from sdstudio.training.keep_best import BETTER, NO_BETTER

POLL_MS = 100
STOP_TIMEOUT_S = 60.0  # a step on a slow CPU can take a while; then the process is ended
METRIC_NAMES = {
    "psnr_hole": "PSNR in the repaired area (dB, higher is better)",
    "psnr": "PSNR (dB, higher is better)",
    "ssim": "SSIM (1 = identical)",
    "structure_ssim": "Structure kept from the photo (SSIM)",
    "change_psnr": "Similarity to the photo (PSNR, lower = stronger style)",
    "f1": "Damage found (pixel F1, 1 = all of it, nothing else)",
    "precision": "Marks that are damage (precision)",
    "recall": "Damage that is marked (recall)",
    "false_marked_percent": "Undamaged pixels marked (%)",
    "operating_threshold": "Probability threshold chosen",
}


class LivePage(QWizardPage):
    def __init__(self, wizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Training")
        # Once trained, there is no way back: going back and forth would start a new run.
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Next >")
        self.process = None
        self.finished_event: ev.RunFinished | None = None
        self.stopped = False
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.eta = QLabel()
        self.plot = LossPlot()
        self.samples = QLabel("The first samples appear after the first step.")
        self.samples.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.samples.setMinimumSize(240, 160)
        self.samples.setToolTip("Rows: input, model output, original")
        self.guard_list = QListWidget()
        self.guard_list.setMaximumHeight(70)
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop (keep progress)")
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        grid = QGridLayout()
        grid.addWidget(self.plot, 0, 0)
        grid.addWidget(self.samples, 0, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta)
        layout.addLayout(grid, 1)
        layout.addWidget(QLabel("Stability guard:"))
        layout.addWidget(self.guard_list)
        layout.addLayout(buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.stop)
        self._sample_pixmap: QPixmap | None = None

    # -- state --------------------------------------------------------------------------
    def running(self) -> bool:
        return self.process is not None and not self.process.finished

    def isComplete(self) -> bool:  # noqa: N802
        return self.finished_event is not None

    def initializePage(self) -> None:  # noqa: N802
        self.status.setText("Starting: loading PyTorch and your photos…")
        self.process = self._wizard.start_process()
        self.timer.start()

    # -- controls -------------------------------------------------------------------------
    def toggle_pause(self) -> None:
        if not self.running():
            return
        if self.process.paused:
            self.process.resume()
            self.pause_button.setText("Pause")
        else:
            self.process.pause()
            self.pause_button.setText("Resume")

    def stop(self) -> None:
        if self.running():
            if self.process.paused:
                self.process.resume()
            self.process.cancel()
            self.stop_button.setEnabled(False)
            self.pause_button.setEnabled(False)
            self.status.setText("Stopping after the current step and saving a checkpoint…")

    def stop_and_wait(self) -> None:
        """Stops the run and waits (events keep flowing) until its checkpoint is written."""
        self.stop()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while self.running() and time.monotonic() < deadline:
            self.poll()
            QEventLoop().processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.02)
        if self.running():
            self.process.kill()  # the last periodic checkpoint is still there to resume
        self.timer.stop()

    # -- events -----------------------------------------------------------------------------
    def poll(self) -> None:
        if self.process is None:
            return
        for event in self.process.poll():
            self.handle(event)
        if self.process.finished:
            self.timer.stop()
            self.pause_button.setEnabled(False)
            self.stop_button.setEnabled(False)

    def handle(self, event) -> None:
        if isinstance(event, ev.RunStarted):
            self.plot.clear()
            for step, g_loss, d_loss in event.loss_history:  # a resumed run's earlier steps
                self.plot.add(step, {"g_total": g_loss, "d_total": d_loss})
            self.progress.setRange(0, event.total_steps)
            self.progress.setValue(event.start_step)
            resumed = f", resuming at step {event.start_step}" if event.start_step else ""
            notes = "".join(f"\n{note}" for note in event.notes)
            self.status.setText(
                f"Training on {event.image_count} image(s) on {event.device}{resumed}.{notes}"
            )
        elif isinstance(event, ev.StepDone):
            self.progress.setMaximum(event.total_steps)
            self.progress.setValue(event.step)
            self.eta.setText(
                f"Step {event.step} of {event.total_steps} · "
                f"{event.images_per_second:.1f} images/s · "
                f"about {format_duration(event.eta_seconds)} left"
            )
            self.plot.add(event.step, event.losses)
        elif isinstance(event, ev.SampleGridSaved):
            self._show_samples(event.path)
        elif isinstance(event, ev.GuardTriggered):
            self.guard_list.addItem(
                f"Step {event.step}: {event.message} Rolled back to step {event.rolled_back_to}; "
                f"learning rate now {event.new_learning_rate:.2g}."
            )
        elif isinstance(event, ev.RunPaused):
            self.eta.setText(f"Paused at step {event.step}.")
        elif isinstance(event, ev.RunFinished):
            self.finished_event = event
            outcome = self._wizard.outcome
            outcome.model_path, outcome.scores = event.model_path, event.scores
            outcome.outcome, outcome.gain_db = event.outcome, event.gain_db
            outcome.comparison_path = event.comparison_path
            outcome.held_out_count = event.held_out_count
            if event.outcome == NO_BETTER:
                self.status.setText(
                    "Done, but the new model is no better than the one you started from."
                )
            else:
                self.status.setText("Done. The model is in your models folder and in the panels.")
            self._wizard.refresh_panels()
            self.completeChanged.emit()
        elif isinstance(event, ev.RunCancelled):
            self.stopped = True
            self.status.setText(
                f"Stopped at step {event.step}. The progress is kept: Train > Resume a stopped "
                "training run continues it."
            )
        elif isinstance(event, ev.RunFailed):
            self.status.setStyleSheet("color: #c0392b")
            self.status.setText(event.message)

    def _show_samples(self, path: str) -> None:
        pixmap = QPixmap(path)
        if pixmap.isNull():
            return
        self._sample_pixmap = pixmap
        self.samples.setPixmap(
            pixmap.scaled(
                self.samples.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )


# What "better" means on the finish page, per task, in the person's words.
GAIN_WORDS = {
    "enhance": "Sharper on your photos",
    "repair": "Better repairs on your photos",
    Task.DAMAGE: "Finds the damage on your photos better",
}
PRIMARY_METRIC = {"enhance": "psnr", "repair": "psnr_hole", Task.DAMAGE: "f1"}


def gain_text(task: str, gain: float) -> str:
    """A keep-best gain in its score's unit: pixel F1 for the damage finder, else dB."""
    return f"{gain:+.2f} pixel F1" if task == Task.DAMAGE else f"{gain:+.1f} dB"


DAMAGE_USE_TEXT = {
    True: "Find damage in the Repair panel now uses this model: on your held-out photos it "
    "found the damage better than the model it started from and the classical finder.",
    False: "Find damage keeps its detector: this model was not validated better on your "
    "held-out photos. It is kept in your models folder.",
}
COMPARISON_CAPTION = "Your held-out photos: the model you started from | your new model | original"


def outcome_sentences(task: str, outcome, base_name: str) -> tuple[str, str]:
    """(headline, second line) of the finish page: words first, the number after."""
    photos = f"{outcome.held_out_count} held-out image(s)"
    gain = outcome.gain_db
    if outcome.outcome == BETTER and gain is not None:
        return GAIN_WORDS.get(task, "Better on your photos"), f"{gain_text(task, gain)} on {photos}"
    if outcome.outcome == NO_BETTER:
        number = f"{gain_text(task, gain)} at best on {photos}" if gain is not None else photos
        return (
            "No better than the model you started from; it was not made the default",
            f"{number}. The saved file holds {base_name or 'the starting model'} unchanged.",
        )
    return "Your model is ready", "Scores on photos held out from training are below."


class FinishPage(QWizardPage):
    def __init__(self, wizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Training finished")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("model_name")
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.headline.setStyleSheet("font-size: 15pt; font-weight: bold")
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.comparison = QLabel()
        self.comparison.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.comparison.setMinimumSize(240, 120)
        self.comparison_caption = QLabel(COMPARISON_CAPTION)
        self.comparison_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Classical method", "Starting model", "Your model"])
        self.table.setMaximumHeight(110)
        self.use_button = QPushButton("Use this model")
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.detail)
        layout.addWidget(self.comparison, 1)
        layout.addWidget(self.comparison_caption)
        row = QHBoxLayout()
        row.addWidget(QLabel("Name:"))
        row.addWidget(self.name_edit, 1)
        layout.addLayout(row)
        layout.addWidget(QLabel("Scores on photos held out from training:"))
        layout.addWidget(self.table)
        layout.addWidget(self.use_button)
        layout.addWidget(self.message)
        self.use_button.clicked.connect(self.use_model)

    def initializePage(self) -> None:  # noqa: N802
        from sdstudio.engine.model_file import read_model_info

        outcome = self._wizard.outcome
        info = read_model_info(outcome.model_path)
        base_name = self._base_name(info)
        self.name_edit.setText(info.name)
        self.setSubTitle(f"Saved as {info.path}")
        headline, detail = outcome_sentences(self._wizard.choices.task, outcome, base_name)
        self.headline.setText(headline)
        self.detail.setText(detail)
        if outcome.outcome == BETTER:
            self.setTitle("Your model is ready")
        if outcome.outcome == NO_BETTER:
            self.use_button.setText("Select it by name anyway")
        self._show_comparison(outcome.comparison_path)
        scores = outcome.scores
        metrics = list((scores.get("model") or {}).keys())
        self.table.setRowCount(len(metrics))
        self.table.setVerticalHeaderLabels([METRIC_NAMES.get(m, m) for m in metrics])
        for row, metric in enumerate(metrics):
            for column, who in enumerate(("classical", "base", "model")):
                value = (scores.get(who) or {}).get(metric)
                text = "–" if value is None else f"{value:.2f}"
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    @staticmethod
    def _base_name(info) -> str:
        from sdstudio.engine.model_file import read_model_info

        base_file = info.metadata.get("base_model", "")
        if not base_file:
            return ""
        for folder in _model_folders():
            try:
                return read_model_info(folder / base_file).name
            except Exception:  # not in this folder (or unreadable): try the next
                continue
        return base_file

    def _show_comparison(self, path: str) -> None:
        pixmap = QPixmap(path) if path else QPixmap()
        self.comparison.setVisible(not pixmap.isNull())
        self.comparison_caption.setVisible(not pixmap.isNull())
        if pixmap.isNull():
            return
        self.comparison.setPixmap(
            pixmap.scaled(
                560,
                300,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def apply_name(self) -> None:
        """Writes a changed name into the model file (its file name, the id, stays)."""
        outcome = self._wizard.outcome
        if not outcome.model_path:
            return
        from sdstudio.errors import UserFacingError
        from sdstudio.training.model_rename import rename_model

        try:
            rename_model(outcome.model_path, self.name_edit.text())
        except UserFacingError as error:
            self.message.setText(str(error))

    def use_model(self) -> None:
        self.apply_name()
        used = self._wizard.use_model(self._wizard.outcome.model_path)
        if self._wizard.choices.task == Task.DAMAGE:
            self.message.setText(DAMAGE_USE_TEXT[used])
        elif used:
            self.message.setText(
                "Selected by name in the panel on the right. Other photos keep the automatic "
                "choice; pick this model there whenever you want it."
            )
        else:
            self.message.setText("The model is in your models folder; the panels list it.")


def _model_folders():
    from sdstudio.paths import bundled_models_dir, user_models_dir

    return [user_models_dir(), bundled_models_dir()]
