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
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.common import LabelledSlider, pixmap_from_rgb, small_copy, task_methods
from sdstudio.engine.community.diffusion_files import diffusers_available
from sdstudio.engine.style.presets_info import (
    FREE_PROMPT_PRESET,
    StylePreset,
    diffusion_style_presets,
    style_names_and_descriptions,
)
from sdstudio.jobs import JobResult, StyleJob

OWNER = "style"
THUMBNAIL_SIDE = 96
COLUMNS = 2
RENDER_DELAY_MS = 300  # after the last image change, so a burst of edits renders once
SD_ENABLE_HINT = 'Prompt-based styles need Stable Diffusion: pip install "sdstudio[diffusion]"'
SD_NO_MODEL_HINT = (
    "Prompt-based styles: add a Stable Diffusion checkpoint (.safetensors) with "
    "Models > Add model file..."
)


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
        # Shown only when a trained model backs a preset: off gives the procedural preset,
        # which works at the photo's full resolution.
        self.use_trained_check = QCheckBox("Use trained style models")
        self.use_trained_check.setObjectName("styleUseTrained")
        self.use_trained_check.setChecked(True)
        self.use_trained_check.setToolTip(
            "Presets marked as trained are painted by a style network. Turn this off to use "
            "the procedural filters instead."
        )
        self.use_trained_check.toggled.connect(self._image_changed)
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
        # The Stable Diffusion group scrolls with the thumbnails, under them, so it never
        # squeezes the grid on a small screen.
        self._build_diffusion_group()
        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.addWidget(grid_host)
        content_layout.addWidget(self.sd_group)
        content_layout.addWidget(self.sd_hint_label)
        content_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.strength)
        layout.addWidget(self.use_trained_check)
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

    def _build_diffusion_group(self) -> None:
        """Prompt-based styles: Stable Diffusion image-to-image with a checkpoint."""
        self.sd_group = QGroupBox("Stable Diffusion")
        self.sd_group.setObjectName("styleDiffusionGroup")
        self.sd_model_combo = QComboBox()
        self.sd_model_combo.setToolTip("The Stable Diffusion checkpoint that paints the style")
        self.sd_preset_combo = QComboBox()
        for combo in (self.sd_model_combo, self.sd_preset_combo):  # long names must not
            combo.setSizeAdjustPolicy(  # widen the panel; the popup shows them whole
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
        for preset in diffusion_style_presets():
            self.sd_preset_combo.addItem(preset.name, preset.id)
        self.sd_prompt_edit = QLineEdit()
        self.sd_prompt_edit.setToolTip("What the result should look like; edit it freely")
        self.sd_change_spin = QDoubleSpinBox()
        self.sd_change_spin.setRange(0.05, 1.0)
        self.sd_change_spin.setSingleStep(0.05)
        self.sd_change_spin.setValue(0.6)
        self.sd_change_spin.setToolTip(
            "How far Stable Diffusion may move away from the photo (low keeps its shapes)"
        )
        self.sd_steps_spin = QSpinBox()
        self.sd_steps_spin.setRange(1, 150)
        self.sd_steps_spin.setValue(25)
        self.sd_steps_spin.setToolTip("Denoising steps: more is slower and finer")
        self.sd_seed_spin = QSpinBox()
        self.sd_seed_spin.setRange(0, 2**31 - 1)
        self.sd_seed_spin.setToolTip("Same seed, same result; change it for another variation")
        self.sd_apply_button = QPushButton("Apply")
        self.sd_apply_button.setToolTip(
            "Restyle the photo (or the painted area) at the Strength above (one undo step)"
        )
        form = QFormLayout(self.sd_group)
        form.addRow("Checkpoint:", self.sd_model_combo)
        form.addRow("Style:", self.sd_preset_combo)
        form.addRow("Prompt:", self.sd_prompt_edit)
        form.addRow("Change:", self.sd_change_spin)
        form.addRow("Steps:", self.sd_steps_spin)
        form.addRow("Seed:", self.sd_seed_spin)
        form.addRow(self.sd_apply_button)
        self.sd_hint_label = QLabel()
        self.sd_hint_label.setWordWrap(True)
        self.sd_preset_combo.currentIndexChanged.connect(self._show_diffusion_preset)
        self.sd_apply_button.clicked.connect(self.apply_diffusion_style)
        self._show_diffusion_preset()
        self.sd_prompt_edit.textChanged.connect(self._update_hint)  # no Apply without a prompt

    @Slot()
    def _show_diffusion_preset(self) -> None:
        preset_id = self.sd_preset_combo.currentData()
        preset = next(p for p in diffusion_style_presets() if p.id == preset_id)
        self.sd_prompt_edit.setText(preset.prompt)
        self.sd_prompt_edit.setPlaceholderText(
            "Describe the style, e.g. a pastel drawing" if preset.id == FREE_PROMPT_PRESET else ""
        )

    def _refresh_diffusion_models(self) -> None:
        current = self.sd_model_combo.currentData()
        self.sd_model_combo.clear()
        if diffusers_available():
            methods, _best = task_methods("repair")
            for method in methods:
                if method.kind == "diffusion":
                    self.sd_model_combo.addItem(method.name, method.id)
                    self.sd_model_combo.setItemData(
                        self.sd_model_combo.count() - 1, method.description,
                        Qt.ItemDataRole.ToolTipRole,
                    )  # fmt: skip
            hint = SD_NO_MODEL_HINT
        else:
            hint = SD_ENABLE_HINT
        index = self.sd_model_combo.findData(current)
        if index >= 0:
            self.sd_model_combo.setCurrentIndex(index)
        has_models = self.sd_model_combo.count() > 0
        self.sd_group.setVisible(has_models)
        self.sd_hint_label.setVisible(not has_models)
        self.sd_hint_label.setText("" if has_models else hint)

    def apply_diffusion_style(self) -> None:
        """Styles the photo with the chosen Stable Diffusion preset and prompt (one undo step)."""
        method_id = self.sd_model_combo.currentData()
        if not method_id or not self.document.has_image() or self.controller.is_busy(OWNER):
            return
        preset_id = str(self.sd_preset_combo.currentData())
        options = {
            "method": str(method_id),
            "prompt": self.sd_prompt_edit.text().strip(),
            "denoise": round(self.sd_change_spin.value(), 2),
            "steps": self.sd_steps_spin.value(),
        }
        strength = self.strength.fraction()
        seed = self.sd_seed_spin.value()
        document = self.document

        def make_job() -> StyleJob:
            assert document.image is not None
            mask = None if document.mask_is_empty() else document.mask.copy()
            return StyleJob(
                document.image.copy(), preset_id, strength=strength, mask=mask, seed=seed,
                options=dict(options),
            )  # fmt: skip

        self.controller.run(OWNER, make_job)

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
            return StyleJob(
                document.image.copy(), preset_id, strength=strength, mask=mask,
                options=self.renderer_options(),
            )  # fmt: skip

        self.controller.run(OWNER, make_job)

    def renderer_options(self) -> dict[str, str]:
        """A StyleJob's options for the checkbox: trained networks where they exist, or not."""
        return {"renderer": "auto" if self.use_trained_check.isChecked() else "filters"}

    def refresh_models(self) -> None:
        """Re-reads which presets are backed by a trained style model (shown in tooltips)."""
        methods, _best = task_methods("style")
        self._trained_styles = {method.style for method in methods if method.style}
        for preset in self.presets:
            tip = preset.description
            if preset.id in self._trained_styles:
                tip += "\nUses a trained style model."
            self.preset_buttons[preset.id].setToolTip(tip)
        self.use_trained_check.setVisible(bool(self._trained_styles & set(self.preset_buttons)))
        self._refresh_diffusion_models()
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
            job = StyleJob(
                small, preset.id, strength=1.0, device="cpu", options=self.renderer_options()
            )
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
        self.sd_apply_button.setEnabled(
            enabled and self.sd_model_combo.count() > 0 and bool(self.sd_prompt_edit.text().strip())
        )
        if not self.document.has_image():
            self.hint_label.setText("Open a photo first.")
        elif busy:
            self.hint_label.setText("Styling… Esc cancels.")
        elif not self.document.mask_is_empty():
            self.hint_label.setText("Click a style: only the painted area changes.")
        else:
            self.hint_label.setText("Click a style to apply it to the whole photo.")
