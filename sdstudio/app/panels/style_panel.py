"""The Style panel: a grid of live thumbnails, one per preset; one click applies it.

A style step stays adjustable (``style_adjust``): after a click, Strength or another
preset re-renders that step from the picture before it, each settled change one undo
step; "Apply on top of the current style" stacks a new step instead.

Thumbnails are the picture a click would style, shrunk and styled by the worker at
background priority, so a click on Repair or Enhance never waits behind them; they are
rendered only while the panel is visible, and a new picture cancels the ones still waiting.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.common import (
    LabelledSlider,
    TaskPanel,
    pixmap_from_rgb,
    small_copy,
    task_methods,
)
from sdstudio.app.panels.history_titles import style_title
from sdstudio.app.panels.style_adjust import SliderSettle, StyleAdjuster
from sdstudio.app.panels.style_diffusion import DiffusionStyleGroup
from sdstudio.engine.style.presets_info import StylePreset, style_names_and_descriptions
from sdstudio.engine.style.scale import preview_image
from sdstudio.jobs import JobResult, StyleJob

OWNER = "style"
THUMBNAIL_SIDE = 96
COLUMNS = 2
RENDER_DELAY_MS = 300  # after the last image change, so a burst of edits renders once
SETTLE_DELAY_MS = 300  # Strength changed by keys or wheel: re-render once it rests


class StylePanel(TaskPanel):
    thumbnails_ready = Signal()  # every preset's thumbnail shows the current photo

    def __init__(
        self, document: Document, controller: JobController, parent: QWidget | None = None
    ) -> None:
        super().__init__("stylePanel", document, controller, parent)
        self.presets: list[StylePreset] = style_names_and_descriptions()
        self.preset_buttons: dict[str, QToolButton] = {}
        self._thumbnail_jobs: dict[int, str] = {}  # job id -> preset id
        self._thumbnails_stale = True
        self._thumbnail_base: tuple[np.ndarray, dict[str, str]] | None = None  # what they show
        self._trained_styles: set[str] = set()
        self._restyle_when_free = False  # Strength settled while a style job ran

        self.strength = LabelledSlider("Strength", 100, "0% keeps the photo, 100% full style")
        self.adjuster = StyleAdjuster(document, controller, self)
        self._strength_settle = SliderSettle(self.strength.slider, SETTLE_DELAY_MS, self)
        self._strength_settle.settled.connect(self._strength_settled)
        self.on_top_check = QCheckBox("Apply on top of the current style")
        self.on_top_check.setObjectName("styleApplyOnTop")
        self.on_top_check.setToolTip(
            "Off: a preset or Strength redoes the last style from the photo before it.\n"
            "On: a preset styles the picture as it is now, style over style."
        )
        self.on_top_check.toggled.connect(self._image_changed)
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
        self.sd_group = DiffusionStyleGroup(document, controller, OWNER, self.strength.fraction)
        self.sd_hint_label = self.sd_group.hint_label
        self.sd_model_combo = self.sd_group.model_combo
        self.sd_preset_combo = self.sd_group.preset_combo
        self.sd_prompt_edit = self.sd_group.prompt_edit
        self.sd_change_spin = self.sd_group.change_spin
        self.sd_steps_spin = self.sd_group.steps_spin
        self.sd_seed_spin = self.sd_group.seed_spin
        self.sd_apply_button = self.sd_group.apply_button
        self.sd_prompt_edit.textChanged.connect(self._update_hint)  # no Apply without a prompt
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
        layout.addWidget(self.on_top_check)
        layout.addWidget(self.use_trained_check)
        layout.addWidget(self.hint_label)
        layout.addWidget(scroll, 1)

        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_DELAY_MS)
        self._render_timer.timeout.connect(self.render_thumbnails)
        document.image_changed.connect(self._image_changed)
        document.document_replaced.connect(self._image_changed)
        # Undo and redo move between steps without always changing pixels the same way;
        # whether a step is adjustable follows the history, so the hint does too.
        document.undo_stack.indexChanged.connect(self._update_hint)
        self._hint_timer = QTimer(self)  # mask edits come once per brush dab: coalesce
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(40)
        self._hint_timer.timeout.connect(self._update_hint)
        document.mask_changed.connect(self._hint_timer.start)
        controller.busy_changed.connect(self._on_busy_changed)
        self.refresh_models()

    # -- applying a preset ---------------------------------------------------------------

    def apply_preset(self, preset_id: str) -> None:
        """Styles the photo with ``preset_id`` at the slider's strength (one undo step).

        Replaces the adjustable style step (rendered again from the picture before it)
        unless "Apply on top" is ticked.
        """
        if not self.document.has_image() or self.controller.is_busy(OWNER):
            return
        self._run_style(preset_id, on_top=self.on_top_check.isChecked())

    def apply_diffusion_style(self) -> None:
        self.sd_group.apply()

    def _run_style(self, preset_id: str, on_top: bool) -> None:
        strength = self.strength.fraction()
        document = self.document

        def make_job() -> StyleJob:
            mask = None if document.mask_is_empty() else document.mask.copy()
            # Decided when the job's turn comes: a repair queued before it ends the step.
            return self.adjuster.build_job(
                preset_id, strength, on_top, mask, self.renderer_options()
            )

        self.controller.run(OWNER, make_job, describe=style_title)

    @Slot()
    def _strength_settled(self) -> None:
        """Strength came to rest: redo the last style at the new strength (one undo step)."""
        if self.controller.is_busy(OWNER):
            self._restyle_when_free = True  # the running style may be the step to redo
            return
        step = self.adjuster.latest_step()
        if step is None or not self.document.has_image():
            return  # nothing applied yet: the slider only sets the next click's strength
        adjustable = self.adjuster.adjustable_step()
        if adjustable is not None and adjustable.strength == self.strength.fraction():
            return  # released where it was: nothing to redo
        # After another edit there is no step to redo: the style starts a new step from
        # the current picture (a step is never stacked on itself by the slider).
        self._run_style(step.preset, on_top=False)

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
        self.sd_group.refresh_models()
        self._update_hint()
        self._thumbnail_base = None  # a new style model changes how its preset looks
        if self.document.has_image():
            self._image_changed()

    # -- thumbnails ----------------------------------------------------------------------

    def _thumbnail_source(self) -> np.ndarray | None:
        """What a click would style: the picture before the adjustable step, or the photo."""
        if not self.on_top_check.isChecked():
            source = self.adjuster.source_image()
            if source is not None:
                return source
        return self.document.image

    def _shows_thumbnails_of(self, base: np.ndarray | None) -> bool:
        """Whether the thumbnails (shown or on their way) are of ``base``, unchanged.

        Only the remembered source of a style step never changes; the document's own
        array is edited in place, so it is never taken as unchanged.
        """
        if self._thumbnail_base is None or base is None or base is self.document.image:
            return False
        shown, options = self._thumbnail_base
        return shown is base and options == self.renderer_options()

    @Slot()
    def _image_changed(self) -> None:
        self._update_hint()
        if self._shows_thumbnails_of(self._thumbnail_source()):
            return  # re-styling a step leaves the picture before it, and so the thumbnails
        self._thumbnails_stale = True
        self._cancel_thumbnails()
        if self.isVisible():
            self._render_timer.start()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._thumbnails_stale:
            self._render_timer.start()

    @Slot()
    def render_thumbnails(self) -> None:
        """Queues one background job per preset on a small copy of the picture a click styles."""
        self._cancel_thumbnails()
        self._thumbnails_stale = False
        image = self._thumbnail_source()
        self._thumbnail_base = None
        if image is None:
            for button in self.preset_buttons.values():
                button.setIcon(QIcon())
            return
        options = self.renderer_options()
        self._thumbnail_base = (image, options)
        small = small_copy(image, THUMBNAIL_SIDE)
        # A filter is styled at the smallest size that still shows all its texture and
        # the result shrunk, so the thumbnail is a downscale of the full-size result; a
        # network paints at its own working size anyway, so it gets the tiny copy.
        preview = preview_image(image)
        networks = self._trained_styles if self.use_trained_check.isChecked() else set()
        plain = pixmap_from_rgb(small)
        for preset in self.presets:
            self.preset_buttons[preset.id].setIcon(plain)  # the photo until styled
            source = small if preset.id in networks else preview
            # device="cpu": thumbnails are small; a GPU round trip would cost more than it saves.
            job = StyleJob(source, preset.id, strength=1.0, device="cpu", options=dict(options))
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
            icon = pixmap_from_rgb(np.ascontiguousarray(small_copy(result.image, THUMBNAIL_SIDE)))
            self.preset_buttons[preset_id].setIcon(icon)
        if not self._thumbnail_jobs:
            self.thumbnails_ready.emit()

    def _cancel_thumbnails(self) -> None:
        self._render_timer.stop()
        if self._thumbnail_jobs:
            self._thumbnail_base = None  # the batch will not finish: render it again
        for job_id in list(self._thumbnail_jobs):
            self.controller.cancel_background(job_id)
        self._thumbnail_jobs.clear()

    # -- state ---------------------------------------------------------------------------

    @Slot(str, bool)
    def _on_busy_changed(self, owner: str, busy: bool) -> None:
        if owner != OWNER:
            return
        self._update_hint()
        if not busy and self._restyle_when_free:
            self._restyle_when_free = False
            self._strength_settled()

    @Slot()
    def _update_hint(self) -> None:
        busy = self.controller.is_busy(OWNER)
        enabled = self.document.has_image() and not busy
        for button in self.preset_buttons.values():
            button.setEnabled(enabled)
        self.sd_group.update_enabled(enabled)
        step = self.adjuster.adjustable_step() if enabled else None
        if not self.document.has_image():
            self.hint_label.setText("Open a photo first.")
        elif busy:
            self.hint_label.setText("Styling… Esc cancels.")
        elif step is not None and not self.on_top_check.isChecked():
            name = next(p.name for p in self.presets if p.id == step.preset)
            self.hint_label.setText(
                f"Strength or another style redoes {name} from the photo before it."
            )
        elif not self.document.mask_is_empty():
            self.hint_label.setText("Click a style: only the painted area changes.")
        else:
            self.hint_label.setText("Click a style to apply it to the whole photo.")
