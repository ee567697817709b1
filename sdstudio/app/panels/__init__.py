"""The Repair, Style and Enhance panels and the job progress UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMainWindow, QTabWidget

from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.enhance_panel import EnhancePanel
from sdstudio.app.panels.repair_panel import OWNER as REPAIR_OWNER
from sdstudio.app.panels.repair_panel import RepairPanel
from sdstudio.app.panels.result_view import RevealResultAfterRepair
from sdstudio.app.panels.style_panel import StylePanel

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

# How long after the window first shows the engine (and torch) starts loading on the
# worker thread: late enough that the first paint is not delayed.
PREWARM_DELAY_MS = 1500


@dataclass
class TaskPanels:
    repair: RepairPanel
    style: StylePanel
    enhance: EnhancePanel

    def refresh_models(self) -> None:
        """Every panel re-reads the catalog; call it after a model is added or trained."""
        for panel in (self.repair, self.style, self.enhance):
            panel.refresh_models()


class _PrewarmOnFirstShow(QObject):
    def __init__(self, window: QMainWindow, controller: JobController) -> None:
        super().__init__(window)
        self._controller = controller
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Show:
            watched.removeEventFilter(self)
            QTimer.singleShot(PREWARM_DELAY_MS, self._controller.prewarm)
        return False


def add_task_panels(window: MainWindow, tabs: QTabWidget, jobs: JobController) -> TaskPanels:
    """Adds the Repair, Style and Enhance panels to ``tabs``; their jobs run on ``jobs``.

    The engine (and torch) starts loading on the worker soon after ``window`` first shows.
    """
    panels = TaskPanels(
        repair=RepairPanel(window.document, jobs),
        style=StylePanel(window.document, jobs),
        enhance=EnhancePanel(window.document, jobs),
    )
    tabs.addTab(panels.repair, "Repair")
    tabs.addTab(panels.style, "Style")
    tabs.addTab(panels.enhance, "Enhance")
    # A child of the window, which keeps it for as long as the panels live.
    RevealResultAfterRepair(window.canvas.overlay, window.document, jobs, REPAIR_OWNER, window)
    _PrewarmOnFirstShow(window, jobs)
    return panels
