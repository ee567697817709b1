"""The training wizard: task, photos, settings, the live run, and the finished model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWizard

from sdstudio.app.training_wizard.run_pages import FinishPage, LivePage
from sdstudio.app.training_wizard.setup_pages import DataPage, SettingsPage
from sdstudio.app.training_wizard.task_page import TaskPage
from sdstudio.tasks import Task
from sdstudio.training.config import TrainingConfig
from sdstudio.training.new_run import RunChoices, new_run_config
from sdstudio.training.runs import read_run_config

if TYPE_CHECKING:
    from sdstudio.app.panels import TaskPanels
    from sdstudio.app.window import MainWindow

TASK_PAGE, DATA_PAGE, SETTINGS_PAGE, LIVE_PAGE, FINISH_PAGE = range(5)


@dataclass
class WizardChoices:
    task: str = "repair"
    data_dir: str = ""
    style_dir: str | None = None
    mask_dir: str | None = None  # damage: the masks the person marked, if any
    image_count: int = 0
    base_model: str | None = None
    scale: int = 2
    style_preset: str | None = None
    preset: str = "quick"
    device: str = "auto"
    name: str = ""


@dataclass
class RunOutcome:
    model_path: str = ""
    scores: dict[str, Any] = field(default_factory=dict)
    outcome: str = ""  # keep_best: "better", "no_better", "trained"
    gain_db: float | None = None
    comparison_path: str = ""
    held_out_count: int = 0
    base_name: str = ""


class TrainingWizard(QWizard):
    """Non-modal: the person can keep editing while a model trains."""

    def __init__(
        self,
        window: MainWindow | None = None,
        *,
        panels: TaskPanels | None = None,
        resume_dir: Path | None = None,
    ) -> None:
        """``panels``: the main window's task panels, which list the trained model.
        ``resume_dir``: the folder of a stopped run to continue (its settings are read
        here, so a damaged run raises ``DamagedRunError`` before any window shows)."""
        saved = read_run_config(resume_dir) if resume_dir is not None else None
        super().__init__(window)
        self.setWindowTitle("Train a model")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.main_window = window
        self.panels = panels
        self.choices = WizardChoices()
        self.outcome = RunOutcome()
        self.resume_dir = Path(resume_dir) if resume_dir is not None else None
        self.config_overrides: dict[str, Any] = {}  # tests shrink the networks here
        self.process_threads: int | None = None  # tests: torch threads of the training process
        self.task_page = TaskPage(self)
        self.data_page = DataPage(self)
        self.settings_page = SettingsPage(self)
        self.live_page = LivePage(self)
        self.finish_page = FinishPage(self)
        for page_id, page in enumerate(
            (self.task_page, self.data_page, self.settings_page, self.live_page, self.finish_page)
        ):
            self.setPage(page_id, page)
        if saved is not None:  # named after its folder when the folder was copied
            self.choices.task, self.choices.name = saved.task, saved.name
            self.setStartId(LIVE_PAGE)
        self.resize(720, 640)

    def build_config(self) -> TrainingConfig:
        c = self.choices
        return new_run_config(
            RunChoices(
                task=c.task,
                data_dir=c.data_dir,
                name=c.name,
                style_data_dir=c.style_dir,
                mask_dir=c.mask_dir,
                base_model=c.base_model,
                scale=c.scale,
                style_preset=c.style_preset,
                device=c.device,
                preset=c.preset,
                overrides=dict(self.config_overrides),  # tests shrink the networks
            )
        )

    def start_process(self):
        from sdstudio.training.process_runner import TrainingProcess

        if self.resume_dir is not None:
            config = TrainingConfig(task=self.choices.task, data_dir="", name=self.choices.name)
            process = TrainingProcess(
                config, resume=True, threads=self.process_threads, run_dir=self.resume_dir
            )
        else:
            process = TrainingProcess(self.build_config(), threads=self.process_threads)
        process.start()
        return process

    # -- the rest of the app ---------------------------------------------------------------
    def refresh_panels(self) -> None:
        if self.panels is not None:
            self.panels.refresh_models()

    def use_model(self, model_path: str) -> bool:
        """Shows the model selected in its task panel; False when no panel offers it."""
        from sdstudio.engine import catalog

        self.refresh_panels()
        path = Path(model_path)
        methods = catalog.list_methods(self.choices.task, include_providers=False)
        method = next((m for m in methods if m.path is not None and m.path == path), None)
        panels, window = self.panels, self.main_window
        if method is None or panels is None or window is None:
            return False
        task = self.choices.task
        if task == Task.REPAIR:
            panel, combo = panels.repair, panels.repair.method_combo
        elif task == Task.ENHANCE:
            panel, combo = panels.enhance, panels.enhance.model_combo
            if method.scale in panel.scale_buttons:
                panel.set_scale(method.scale)
        elif task == Task.STYLE:
            button = panels.style.preset_buttons.get(method.style)
            window.panel_tabs.setCurrentWidget(panels.style)
            if button is None:
                return False
            button.setFocus()
            return True
        elif task == Task.DAMAGE:
            from sdstudio.engine.damage import detector_path

            # Find damage (in the Repair panel) lists no models: it uses a fine-tune only
            # when it was validated better (engine.damage.detector_path).
            window.panel_tabs.setCurrentWidget(panels.repair)
            return detector_path() == path
        else:
            return False  # no panel lists models of this task
        index = combo.findData(method.id)
        if index < 0:
            return False
        combo.setCurrentIndex(index)
        window.panel_tabs.setCurrentWidget(panel)
        return True

    # -- closing ---------------------------------------------------------------------------
    def ask_stop_training(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Stop training?",
            "The model is still training. Stop now? Everything learnt so far is kept, and "
            "Train > Resume a stopped training run continues it later.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def confirm_close(self) -> bool:
        """Asks before a running training is stopped; stops it (keeping a checkpoint)."""
        if not self.live_page.running():
            return True
        if not self.ask_stop_training():
            return False
        self.live_page.stop_and_wait()
        return True

    def reject(self) -> None:
        # QDialog's closeEvent (the title bar's X) and Esc both come here.
        if self.confirm_close():
            super().reject()

    def accept(self) -> None:
        self.finish_page.apply_name()
        super().accept()
