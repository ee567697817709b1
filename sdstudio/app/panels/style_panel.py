"""The Style panel: a grid of live thumbnails, one per preset; one click applies it.

Thumbnails are the current photo shrunk and styled by the worker at background
priority, so a click on Repair or Enhance never waits behind them; they are rendered
only while the panel is visible, and a new image cancels the ones still waiting.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.common import LabelledSlider, pixmap_from_rgb, small_copy, task_methods
from sdstudio.engine.style.presets_info import StylePreset, style_names_and_descriptions
from sdstudio.jobs import JobResult, StyleJob

OWNER = "style"
THUMBNAIL_SIDE = 96
COLUMNS = 2
RENDER_DELAY_MS = 300  # after the last image change, so a burst of edits renders once


class StylePanel(QWidget):
    thumbnails_ready = Signal()  # every preset's thumbnail shows the current photo

    def __init__(
        self, document: Document, controller: JobController, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stylePanel")
        self.document = document
        self.controller = controller
        self.presets: list[StylePreset] = style_names_and_descriptions()
        self.preset_buttons: dict[str, QToolButton] = {}
        self._thumbnail_jobs: dict[int, str] = {}  # job id -> preset id
        self._thumbnails_stale = True
        self._trained_styles: set[str] = set()

        self.strength = LabelledSlider("Strength", 100, "0% keeps the photo, 100% full style")
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        for index, preset in enumerate(self.presets):
            button = QToolButton()
            button.setObjectName(f"style_{preset.id}")
            button.setText(preset.name)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            button.setAutoRaise(True)
            button.clicked.connect(
                lambda _=False, preset_id=preset.id: self.apply_preset(preset_id)
            )
            grid.addWidget(button, index // COLUMNS, index % COLUMNS)
            self.preset_buttons[preset.id] = button
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_host)
        layout = QVBoxLayout(self)
        layout.addWidget(self.strength)
        layout.addWidget(self.hint_label)
        layout.addWidget(scroll, 1)

        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_DELAY_MS)
        self._render_timer.timeout.connect(self.render_thumbnails)
        document.image_changed.connect(self._image_changed)
        document.document_replaced.connect(self._image_changed)
        self._hint_timer = QTimer(self)  # mask edits come once per brush dab: coalesce
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(40)
        self._hint_timer.timeout.connect(self._update_hint)
        document.mask_changed.connect(self._hint_timer.start)
        controller.busy_changed.connect(self._on_busy_changed)
        self.refresh_models()

    # -- applying a preset ---------------------------------------------------------------

    def apply_preset(self, preset_id: str) -> None:
        """Styles the photo with ``preset_id`` at the slider's strength (one undo step)."""
        if not self.document.has_image() or self.controller.is_busy(OWNER):
            return
        strength = self.strength.fraction()
        document = self.document

        def make_job() -> StyleJob:
            assert document.image is not None
            mask = None if document.mask_is_empty() else document.mask.copy()
            return StyleJob(document.image.copy(), preset_id, strength=strength, mask=mask)

        self.controller.run(OWNER, make_job)

    def refresh_models(self) -> None:
        """Re-reads which presets are backed by a trained style model (shown in tooltips)."""
        methods, _best = task_methods("style")
        self._trained_styles = {method.style for method in methods if method.style}
        for preset in self.presets:
            tip = preset.description
            if preset.id in self._trained_styles:
                tip += "\nUses a trained style model."
            self.preset_buttons[preset.id].setToolTip(tip)
        self._update_hint()
        if self.document.has_image():  # a new style model changes how its preset looks
            self._image_changed()

    # -- thumbnails ----------------------------------------------------------------------

    @Slot()
    def _image_changed(self) -> None:
        self._thumbnails_stale = True
        self._cancel_thumbnails()
        if self.isVisible():
            self._render_timer.start()
        self._update_hint()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._thumbnails_stale:
            self._render_timer.start()

    @Slot()
    def render_thumbnails(self) -> None:
        """Queues one background job per preset on a small copy of the current photo."""
        self._cancel_thumbnails()
        self._thumbnails_stale = False
        image = self.document.image
        if image is None:
            for button in self.preset_buttons.values():
                button.setIcon(QIcon())
            return
        small = small_copy(image, THUMBNAIL_SIDE)
        preview = pixmap_from_rgb(small)
        for preset in self.presets:
            self.preset_buttons[preset.id].setIcon(preview)  # plain photo until styled
            # device="cpu": thumbnails are tiny; a GPU round trip would cost more than it saves.
            job = StyleJob(small, preset.id, strength=1.0, device="cpu")
            job_id = self.controller.run_background(job, self._thumbnail_done)
            if job_id is not None:
                self._thumbnail_jobs[job_id] = preset.id

    def thumbnails_pending(self) -> int:
        return len(self._thumbnail_jobs)

    def _thumbnail_done(self, job_id: int, result: JobResult | None) -> None:
        preset_id = self._thumbnail_jobs.pop(job_id, None)
        if preset_id is None:
            return  # a thumbnail of an image that has changed since
        if result is not None:
            icon = pixmap_from_rgb(np.ascontiguousarray(result.image))
            self.preset_buttons[preset_id].setIcon(icon)
        if not self._thumbnail_jobs:
            self.thumbnails_ready.emit()

    def _cancel_thumbnails(self) -> None:
        self._render_timer.stop()
        for job_id in list(self._thumbnail_jobs):
            self.controller.cancel_background(job_id)
        self._thumbnail_jobs.clear()

    # -- state ---------------------------------------------------------------------------

    @Slot(str, bool)
    def _on_busy_changed(self, owner: str, _busy: bool) -> None:
        if owner == OWNER:
            self._update_hint()

    @Slot()
    def _update_hint(self) -> None:
        busy = self.controller.is_busy(OWNER)
        enabled = self.document.has_image() and not busy
        for button in self.preset_buttons.values():
            button.setEnabled(enabled)
        if not self.document.has_image():
            self.hint_label.setText("Open a photo first.")
        elif busy:
            self.hint_label.setText("Styling… Esc cancels.")
        elif not self.document.mask_is_empty():
            self.hint_label.setText("Click a style: only the painted area changes.")
        else:
            self.hint_label.setText("Click a style to apply it to the whole photo.")
