"""The Repair, Style and Enhance panels and the job progress UI."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.enhance_panel import EnhancePanel
from sdstudio.app.panels.repair_panel import OWNER as REPAIR_OWNER
from sdstudio.app.panels.repair_panel import RepairPanel
from sdstudio.app.panels.result_view import RevealResultAfterRepair
from sdstudio.app.panels.style_panel import StylePanel

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


def install_task_panels(window: QMainWindow) -> None:
    """Adds the task panels to ``window.panel_tabs`` and the job status to its status bar.

    Sets ``window.job_controller`` (runs the jobs; ``shutdown()`` on close) and
    ``window.task_panels`` (``.repair``, ``.style``, ``.enhance``, ``refresh_models()``).
    """
    show_error = getattr(window, "show_error", None)  # the window's own error dialog
    controller = JobController(
        window.document, window, status_bar=window.statusBar(), show_error=show_error
    )
    window.statusBar().addPermanentWidget(controller.status_widget)
    controller.install_cancel_shortcut(window)
    panels = TaskPanels(
        repair=RepairPanel(window.document, controller),
        style=StylePanel(window.document, controller),
        enhance=EnhancePanel(window.document, controller),
    )
    window.panel_tabs.addTab(panels.repair, "Repair")
    window.panel_tabs.addTab(panels.style, "Style")
    window.panel_tabs.addTab(panels.enhance, "Enhance")
    window.job_controller = controller
    window.task_panels = panels
    window.repair_result_view = RevealResultAfterRepair(
        window.canvas.overlay, window.document, controller, REPAIR_OWNER, window
    )
    _PrewarmOnFirstShow(window, controller)
    # The window's closeEvent calls controller.shutdown(); this covers quitting without it.
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(controller.shutdown)
