"""The main window's parts, built once and handed to each other explicitly.

``build_services(window)`` is the one place that wires the app: it builds every part
the window's menus, docks and status bar hold, gives each the others it uses as
constructor arguments, and registers the parts with work to finish as the window's
closing parts. ``sdstudio.app.main.create_main_window`` calls it; no part looks
another up on the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QTabWidget

from sdstudio.app.autosave import Autosave
from sdstudio.app.history_actions import HistoryActions
from sdstudio.app.history_details import HistoryTooltips, UndoLimit
from sdstudio.app.job_controller import JobController
from sdstudio.app.mask_actions import MaskActions
from sdstudio.app.menu_items import menu_holding
from sdstudio.app.model_menu import ModelMenu
from sdstudio.app.panels import TaskPanels, add_task_panels
from sdstudio.app.project_actions import ProjectActions
from sdstudio.app.training_wizard import TrainingMenu
from sdstudio.engine.model_leftovers import remove_stale_model_temporaries

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow


@dataclass(frozen=True)
class AppServices:
    """What the window's parts share; the window keeps it for its own few uses."""

    settings: QSettings
    jobs: JobController  # runs every job; shut down last when the window closes
    panels: TaskPanels
    models: ModelMenu  # adding model files, and the background checks of new ones
    training: TrainingMenu
    projects: ProjectActions
    masks: MaskActions
    history: HistoryActions
    autosave: Autosave
    undo_limit: UndoLimit


@dataclass(frozen=True)
class StopsWithWindow:
    """A closing part that never holds the window open and only stops when it closes."""

    stop: Callable[[], None]

    def can_close(self) -> bool:
        return True

    def shut_down(self) -> None:
        self.stop()


def build_services(window: MainWindow) -> AppServices:
    """Builds and wires every part of ``window``; returns them for the window to keep."""
    # Before the panels: from here on their model listings never load new files on the
    # GUI thread; ``check_new_files`` below checks those in the background.
    models = ModelMenu(window, window.models_menu)
    jobs = JobController(
        window.document, window, status_bar=window.statusBar(), show_error=window.show_error
    )
    window.statusBar().addPermanentWidget(jobs.status_widget)
    jobs.install_cancel_shortcut(window)
    panels = add_task_panels(window, window.panel_tabs, jobs)
    models.models_changed.connect(panels.refresh_models)
    window.actions_.find_damage.triggered.connect(
        lambda: show_damage_finder(window.panel_tabs, panels)
    )
    panels.repair.restore_action.add_menu_entry(  # Image > Restore Old Photo
        menu_holding(window, window.image_tools.actions["extend"]),
        lambda: window.panel_tabs.setCurrentWidget(panels.repair),
    )
    training = TrainingMenu(window, window.train_menu, panels)
    undo_limit = UndoLimit(window.document, window.settings)
    undo_limit.apply()
    HistoryTooltips(window.history_view)  # a child of the view, which keeps it
    projects = ProjectActions(window)
    masks = MaskActions(window, after=projects.save_project)
    history = HistoryActions(window, jobs, undo_limit)
    autosave = Autosave(window)

    # Asked in this order (a running training asks the person), and shut down in this
    # order once all agree: the training leaves its checkpoint before the worker stops.
    for part in (training, autosave, models, StopsWithWindow(jobs.shutdown)):
        window.add_closing_part(part)
    app = QApplication.instance()
    if app is not None:  # quitting without closing the window stops the worker too
        app.aboutToQuit.connect(jobs.shutdown)

    models.check_new_files()
    # Once the event loop runs: the offer to restore a crashed session, and clearing the
    # hidden temporary files a kill during a model save or copy leaves for good.
    QTimer.singleShot(0, autosave.offer_recovery)
    QTimer.singleShot(0, remove_stale_model_temporaries)
    return AppServices(
        settings=window.settings,
        jobs=jobs,
        panels=panels,
        models=models,
        training=training,
        projects=projects,
        masks=masks,
        history=history,
        autosave=autosave,
        undo_limit=undo_limit,
    )


def show_damage_finder(tabs: QTabWidget, panels: TaskPanels) -> None:
    """Mask > Find Damage: the Repair panel's button, with the panel shown."""
    tabs.setCurrentWidget(panels.repair)
    panels.repair.damage_finder.find_damage()
