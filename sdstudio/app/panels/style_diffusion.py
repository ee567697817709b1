"""The Style panel's Stable Diffusion group: prompt-based styles with a checkpoint.

Split from the panel so the panel keeps to the presets; the group builds its own jobs
and reads the panel's Strength slider when it applies.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.forms import form_of
from sdstudio.app.job_controller import JobController
from sdstudio.app.panels.common import task_methods
from sdstudio.engine.backends.diffusion_files import diffusers_available
from sdstudio.engine.methods import MethodKind
from sdstudio.engine.style.presets_info import FREE_PROMPT_PRESET, diffusion_style_presets
from sdstudio.jobs import StyleJob

SD_ENABLE_HINT = 'Prompt-based styles need Stable Diffusion: pip install "sdstudio[diffusion]"'
SD_NO_MODEL_HINT = (
    "Prompt-based styles: add a Stable Diffusion checkpoint (.safetensors) with "
    "Models > Add model file..."
)


class DiffusionStyleGroup(QGroupBox):
    """Checkpoint, style, prompt, Change, Steps, Seed and Apply (one undo step)."""

    def __init__(
        self,
        document: Document,
        controller: JobController,
        owner: str,
        strength: Callable[[], float],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Stable Diffusion", parent)
        self.setObjectName("styleDiffusionGroup")
        self.document = document
        self.controller = controller
        self._owner = owner
        self._strength = strength
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The Stable Diffusion checkpoint that paints the style")
        self.preset_combo = QComboBox()
        for combo in (self.model_combo, self.preset_combo):  # long names must not
            combo.setSizeAdjustPolicy(  # widen the panel; the popup shows them whole
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
        for preset in diffusion_style_presets():
            self.preset_combo.addItem(preset.name, preset.id)
        self.prompt_edit = QLineEdit()
        self.prompt_edit.setToolTip("What the result should look like; edit it freely")
        self.change_spin = QDoubleSpinBox()
        self.change_spin.setRange(0.05, 1.0)
        self.change_spin.setSingleStep(0.05)
        self.change_spin.setValue(0.6)
        self.change_spin.setToolTip(
            "How far Stable Diffusion may move away from the photo (low keeps its shapes)"
        )
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 150)
        self.steps_spin.setValue(25)
        self.steps_spin.setToolTip("Denoising steps: more is slower and finer")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("Same seed, same result; change it for another variation")
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip(
            "Restyle the photo (or the painted area) at the Strength above (one undo step)"
        )
        form_of(
            [
                ("Checkpoint:", self.model_combo),
                ("Style:", self.preset_combo),
                ("Prompt:", self.prompt_edit),
                ("Change:", self.change_spin),
                ("Steps:", self.steps_spin),
                ("Seed:", self.seed_spin),
                self.apply_button,
            ],
            self,
        )
        # Shown instead of the group when Stable Diffusion cannot run here.
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        self.preset_combo.currentIndexChanged.connect(self._show_preset)
        self.apply_button.clicked.connect(self.apply)
        self._show_preset()

    @Slot()
    def _show_preset(self) -> None:
        preset_id = self.preset_combo.currentData()
        preset = next(p for p in diffusion_style_presets() if p.id == preset_id)
        self.prompt_edit.setText(preset.prompt)
        self.prompt_edit.setPlaceholderText(
            "Describe the style, e.g. a pastel drawing" if preset.id == FREE_PROMPT_PRESET else ""
        )

    def refresh_models(self) -> None:
        """Lists the diffusion checkpoints; without one the hint line replaces the group."""
        current = self.model_combo.currentData()
        self.model_combo.clear()
        if diffusers_available():
            methods, _best = task_methods("repair")
            for method in methods:
                if method.kind == MethodKind.DIFFUSION:
                    self.model_combo.addItem(method.name, method.id)
                    self.model_combo.setItemData(
                        self.model_combo.count() - 1, method.description,
                        Qt.ItemDataRole.ToolTipRole,
                    )  # fmt: skip
            hint = SD_NO_MODEL_HINT
        else:
            hint = SD_ENABLE_HINT
        index = self.model_combo.findData(current)
        if index >= 0:
            self.model_combo.setCurrentIndex(index)
        has_models = self.model_combo.count() > 0
        self.setVisible(has_models)
        self.hint_label.setVisible(not has_models)
        self.hint_label.setText("" if has_models else hint)

    def update_enabled(self, panel_enabled: bool) -> None:
        """Apply needs a free panel, a checkpoint and a prompt."""
        self.apply_button.setEnabled(
            panel_enabled and self.model_combo.count() > 0 and bool(self.prompt_edit.text().strip())
        )

    def apply(self) -> None:
        """Styles the photo with the chosen Stable Diffusion preset and prompt (one undo step)."""
        method_id = self.model_combo.currentData()
        if not method_id or not self.document.has_image() or self.controller.is_busy(self._owner):
            return
        preset_id = str(self.preset_combo.currentData())
        options = {
            "method": str(method_id),
            "prompt": self.prompt_edit.text().strip(),
            "denoise": round(self.change_spin.value(), 2),
            "steps": self.steps_spin.value(),
        }
        strength = self._strength()
        seed = self.seed_spin.value()
        document = self.document

        def make_job() -> StyleJob:
            assert document.image is not None
            mask = None if document.mask_is_empty() else document.mask.copy()
            return StyleJob(
                document.image.copy(), preset_id, strength=strength, mask=mask, seed=seed,
                options=dict(options),
            )  # fmt: skip

        self.controller.run(self._owner, make_job)
