"""The Repair panel: choose a method, paint a mask on the canvas, click Repair.

Nothing above the Repair button changes height when another method is chosen (the
description has a fixed number of lines; the Stable Diffusion settings keep their room
whenever a diffusion method is listed), so the button stays under the mouse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.mask_margin import DEFAULT_MARGIN_PX, MAX_MARGIN_PX, apply_mask_margin
from sdstudio.app.panels.common import (
    FixedLinesLabel,
    MethodChoice,
    TaskPanel,
    fill_method_combo,
    task_methods,
)
from sdstudio.app.panels.damage_finder import DamageFinder
from sdstudio.app.panels.history_titles import history_title
from sdstudio.app.panels.restore_action import RestoreAction
from sdstudio.engine.methods import MethodKind
from sdstudio.errors import MaskError
from sdstudio.jobs import Job, RepairJob

OWNER = "repair"
# The longest shipped description takes three lines at the dock's usual width; four
# leave room for a model file's own text, and a longer one is cut (its tooltip has it all).
DESCRIPTION_LINES = 4


class RepairPanel(TaskPanel):
    def __init__(
        self, document: Document, controller: JobController, parent: QWidget | None = None
    ) -> None:
        super().__init__("repairPanel", document, controller, parent)
        self._methods: dict[str, MethodChoice] = {}

        self.method_combo = QComboBox()
        self.method_combo.setToolTip("How the painted area is filled")
        self.method_description = FixedLinesLabel(DESCRIPTION_LINES)
        self.prompt_label = QLabel("Prompt:")
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setPlaceholderText("What should appear in the painted area (optional)")
        # Stable Diffusion only (the engine's defaults and limits: 25 steps, guidance 7.5).
        self.steps_label = QLabel("Steps:")
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 150)
        self.steps_spin.setValue(25)
        self.steps_spin.setToolTip("Denoising steps: more is slower and finer")
        self.guidance_label = QLabel("Guidance:")
        self.guidance_spin = QDoubleSpinBox()
        self.guidance_spin.setRange(0.0, 30.0)
        self.guidance_spin.setSingleStep(0.5)
        self.guidance_spin.setValue(7.5)
        self.guidance_spin.setToolTip("How closely to follow the prompt (higher = more literal)")
        self.seed_label = QLabel("Seed:")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("Same seed, same result; change it for another variation")
        self.margin_spin = QSpinBox()
        self.margin_spin.setRange(1, MAX_MARGIN_PX)
        self.margin_spin.setValue(DEFAULT_MARGIN_PX)
        self.margin_spin.setSuffix(" px")
        self.margin_spin.setToolTip("How far Grow and Shrink move the mask's edge")
        self.grow_button = QPushButton("Grow")
        self.grow_button.setToolTip(
            "Widen the mask by the margin, to take an object's halo or shadow edge too"
        )
        self.shrink_button = QPushButton("Shrink")
        self.shrink_button.setToolTip("Narrow the mask by the margin")
        margin_row = QHBoxLayout()
        margin_row.addWidget(self.margin_spin)
        margin_row.addWidget(self.grow_button)
        margin_row.addWidget(self.shrink_button)
        # Find damage: proposes the mask (see damage_finder) for the person to edit.
        self.damage_finder = DamageFinder(document, controller, self)
        self.find_damage_button = self.damage_finder.find_button
        self.sensitivity = self.damage_finder.sensitivity
        # Restore old photo: Find damage, then Repair with this panel's method, then a
        # gentle enhance (see restore_action), from one button.
        self.restore_action = RestoreAction(
            document, controller, sensitivity=self.sensitivity.fraction,
            repair_method=lambda: getattr(self.selected_method(), "id", "auto"),
            describe_repair=self._describe, parent=self,
        )  # fmt: skip
        self.damage_finder.busy_elsewhere = self.restore_action.is_running
        self.restore_action.on_state_changed = self.damage_finder.update_state
        self.repair_button = QPushButton("Repair")
        self.repair_button.setToolTip("Fill the painted area (one undo step)")
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Method:", self.method_combo)
        form.addRow(self.method_description)
        self.diffusion_group = QGroupBox("Stable Diffusion")
        diffusion_form = QFormLayout(self.diffusion_group)
        diffusion_form.addRow(self.prompt_label, self.prompt_edit)
        diffusion_form.addRow(self.steps_label, self.steps_spin)
        diffusion_form.addRow(self.guidance_label, self.guidance_spin)
        diffusion_form.addRow(self.seed_label, self.seed_spin)
        margin_form = QFormLayout()
        margin_form.addRow("Mask margin:", margin_row)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.diffusion_group)
        damage_row = QHBoxLayout()  # one row: the button keeps the Repair button in view
        damage_row.addWidget(self.find_damage_button)
        damage_row.addWidget(self.sensitivity, 1)
        layout.addLayout(damage_row)
        restore_row = QHBoxLayout()  # under Find damage: it starts with the same finder
        restore_row.addWidget(self.restore_action.button)
        restore_row.addWidget(self.restore_action.enhance_check, 1)
        layout.addLayout(restore_row)
        layout.addLayout(margin_form)
        layout.addWidget(self.repair_button)
        layout.addWidget(self.hint_label)
        layout.addStretch(1)

        # Mask edits arrive once per brush dab; checking a big mask for emptiness that
        # often would tax painting, so the check is coalesced.
        self._state_timer = QTimer(self)
        self._state_timer.setSingleShot(True)
        self._state_timer.setInterval(40)
        self._state_timer.timeout.connect(self._update_state)

        self.method_combo.currentIndexChanged.connect(self._show_method)
        self.repair_button.clicked.connect(self.repair)
        self.grow_button.clicked.connect(lambda: self.change_margin(self.margin_spin.value()))
        self.shrink_button.clicked.connect(lambda: self.change_margin(-self.margin_spin.value()))
        document.mask_changed.connect(self._state_timer.start)
        document.document_replaced.connect(self._update_state)
        document.image_changed.connect(self._update_state)
        controller.busy_changed.connect(self._on_busy_changed)
        self.refresh_models()

    def refresh_models(self) -> None:
        """Re-reads the catalog (a model was added or trained)."""
        methods, best_id = task_methods("repair")
        self._methods = {method.id: method for method in methods}
        # Room for the Stable Diffusion settings is kept while any such method is listed,
        # so switching to or from one does not move the Repair button.
        policy = self.diffusion_group.sizePolicy()
        has_diffusion = any(method.kind == MethodKind.DIFFUSION for method in methods)
        policy.setRetainSizeWhenHidden(has_diffusion)
        self.diffusion_group.setSizePolicy(policy)
        fill_method_combo(self.method_combo, methods, best_id)
        self._update_state()

    def selected_method(self) -> MethodChoice | None:
        return self._methods.get(self.method_combo.currentData())

    @Slot()
    def repair(self) -> None:
        self._update_state()
        if not self.repair_button.isEnabled():
            return
        method = self.selected_method()
        method_id = method.id if method else "auto"
        diffusion = method is not None and method.kind == MethodKind.DIFFUSION
        prompt = self.prompt_edit.text().strip() if diffusion else ""
        options = (
            {"steps": self.steps_spin.value(), "guidance": round(self.guidance_spin.value(), 2)}
            if diffusion
            else {}
        )
        seed = self.seed_spin.value() if diffusion else 0
        document = self.document

        def make_job() -> RepairJob:
            # Built when the worker is free, from the photo and mask as they are then.
            if document.image is None or document.mask_is_empty():
                raise MaskError("Paint over the area to repair first.")
            return RepairJob(
                image=document.image.copy(),
                mask=document.mask.copy(),
                method=method_id,
                prompt=prompt,
                seed=seed,
                options=dict(options),
            )

        self.controller.run(OWNER, make_job, describe=self._describe)

    def _describe(self, job: Job, params: Mapping[str, Any]) -> str:
        names = {method.id: method.name for method in self._methods.values()}
        return history_title(job, params, names)

    def change_margin(self, pixels: int) -> None:
        """Grows (> 0) or shrinks the mask by ``pixels``: one undo step."""
        apply_mask_margin(self.document, pixels)

    @Slot()
    def _show_method(self) -> None:
        method = self.selected_method()
        self.method_description.setText(method.description if method else "")
        self.diffusion_group.setVisible(method is not None and method.kind == MethodKind.DIFFUSION)

    @Slot(str, bool)
    def _on_busy_changed(self, owner: str, _busy: bool) -> None:
        if owner == OWNER:
            self._update_state()

    @Slot()
    def _update_state(self) -> None:
        busy = self.controller.is_busy(OWNER)
        if not self._methods:
            hint = "No repair method is available; see Models for details."
        elif not self.document.has_image():
            hint = "Open a photo first."
        elif self.document.mask_is_empty():
            hint = (
                "Paint over the damage or object to remove with the mask brush (or let "
                "Find damage propose the mask), then Repair."
            )
        elif busy:
            hint = "Repairing… the canvas stays usable; Esc cancels."
        else:
            hint = "Ready. The mask stays after Repair, to try another method; Ctrl+D clears it."
        has_mask = self.document.has_image() and not self.document.mask_is_empty()
        self.repair_button.setEnabled(bool(self._methods) and has_mask and not busy)
        # The mask may change while a repair runs; the job already has its copy.
        self.grow_button.setEnabled(has_mask)
        self.shrink_button.setEnabled(has_mask)
        self.hint_label.setText(hint)
