"""The Enhance panel: scale, denoise, sharpen and contrast, run as one combined job.

A result too large to make casually (see ``app/large_results.py``) is confirmed first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.document import Document
from sdstudio.app.job_controller import JobController
from sdstudio.app.large_results import ResultEstimate, enhance_speed_key
from sdstudio.app.panels.common import (
    LabelledSlider,
    MethodChoice,
    TaskPanel,
    fill_method_combo,
    task_methods,
)
from sdstudio.app.panels.history_titles import enhance_title
from sdstudio.jobs import EnhanceJob, Job

OWNER = "enhance"
SCALES = (1, 2, 4)
AUTO = "auto"


class EnhancePanel(TaskPanel):
    def __init__(
        self, document: Document, controller: JobController, parent: QWidget | None = None
    ) -> None:
        super().__init__("enhancePanel", document, controller, parent)
        self._methods: dict[str, MethodChoice] = {}

        self.scale_group = QButtonGroup(self)
        scale_row = QHBoxLayout()
        self.scale_buttons: dict[int, QRadioButton] = {}
        for scale in SCALES:
            button = QRadioButton(f"{scale}x")
            button.setToolTip("Keep the size" if scale == 1 else f"Upscale {scale} times")
            self.scale_group.addButton(button, scale)
            self.scale_buttons[scale] = button
            scale_row.addWidget(button)
        self.scale_buttons[2].setChecked(True)
        self.model_combo = QComboBox()
        self.model_combo.setToolTip("The upscaler used for 2x and 4x")
        self.denoise = LabelledSlider("Denoise", 0, "Remove grain and JPEG blocks")
        self.sharpen = LabelledSlider("Sharpen", 0, "Crisper edges and detail")
        self.contrast = LabelledSlider("Contrast", 0, "Auto levels: stretch dull, flat tones")
        self.enhance_button = QPushButton("Enhance")
        self.enhance_button.setToolTip("Run every setting above as one step (one undo step)")
        self.size_label = QLabel()
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Scale:", scale_row)
        form.addRow("Upscaler:", self.model_combo)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.denoise)
        layout.addWidget(self.sharpen)
        layout.addWidget(self.contrast)
        layout.addWidget(self.size_label)
        layout.addWidget(self.enhance_button)
        layout.addWidget(self.hint_label)
        layout.addStretch(1)

        self.scale_group.idToggled.connect(self._update_state)
        for slider in (self.denoise, self.sharpen, self.contrast):
            slider.slider.valueChanged.connect(self._update_state)
        self.enhance_button.clicked.connect(self.enhance)
        document.document_replaced.connect(self._update_state)
        document.image_changed.connect(self._update_state)
        controller.busy_changed.connect(self._on_busy_changed)
        self.refresh_models()

    def scale(self) -> int:
        return max(1, self.scale_group.checkedId())

    def set_scale(self, scale: int) -> None:
        self.scale_buttons[scale].setChecked(True)

    def refresh_models(self) -> None:
        """Re-reads the catalog's upscalers (a model was added or trained)."""
        methods, _best = task_methods("enhance")
        self._methods = {method.id: method for method in methods}
        listed = [MethodChoice(AUTO, "Automatic (best for the scale)", "", "")] + methods
        fill_method_combo(self.model_combo, listed, AUTO)
        self._update_state()

    def selected_model(self) -> str:
        return self.model_combo.currentData() or AUTO

    @Slot()
    def enhance(self) -> None:
        self._update_state()
        if not self.enhance_button.isEnabled():
            return
        settings = {
            "scale": self.scale(),
            "denoise": self.denoise.fraction(),
            "sharpen": self.sharpen.fraction(),
            "contrast": self.contrast.fraction(),
            "model": self.selected_model(),
        }
        title = f"Enhance x{self.scale()}" if self.scale() > 1 else "Enhance"
        if not self.controller.confirm_large_result(title, self.estimate_result()):
            return
        document = self.document

        def make_job() -> EnhanceJob:
            assert document.image is not None
            return EnhanceJob(document.image.copy(), **settings)

        self.controller.run(OWNER, make_job, describe=self._describe)

    def estimate_result(self) -> ResultEstimate:
        """The size of the result with the settings shown, and its time on this computer."""
        width, height = self.document.size()
        scale, model = self.scale(), self.selected_model()
        if model != AUTO and model in self._methods:
            kind = self._methods[model].kind
        elif scale > 1 and any(m.kind != "classical" and m.scale == scale
                               for m in self._methods.values()):  # fmt: skip
            kind = "network"  # what "auto" picks when a model for the scale exists
        else:
            kind = "classical"
        key = enhance_speed_key(model, scale)
        return self.controller.speeds.estimate(width * scale, height * scale, key, kind)

    def _describe(self, job: Job, params: Mapping[str, Any]) -> str:
        assert isinstance(job, EnhanceJob)
        names = {method.id: method.name for method in self._methods.values()}
        return enhance_title(job, params, names)

    @Slot(str, bool)
    def _on_busy_changed(self, owner: str, _busy: bool) -> None:
        if owner == OWNER:
            self._update_state()

    def _has_work(self) -> bool:
        return self.scale() > 1 or any(
            slider.fraction() > 0 for slider in (self.denoise, self.sharpen, self.contrast)
        )

    @Slot()
    def _update_state(self, *_args: object) -> None:
        busy = self.controller.is_busy(OWNER)
        self.model_combo.setEnabled(self.scale() > 1 and bool(self._methods))
        width, height = self.document.size()
        if width:
            scale = self.scale()
            text = f"{width} x {height} px → {width * scale} x {height * scale} px"
            megapixels = width * scale * height * scale / 1e6
            if megapixels >= 1:  # how big the result is, at a glance, before it is made
                text += f" ({megapixels:.0f} MP)" if megapixels >= 10 else f" ({megapixels:.1f} MP)"
            self.size_label.setText(text)
        else:
            self.size_label.clear()
        if not self.document.has_image():
            hint = "Open a photo first."
        elif not self._has_work():
            hint = "Choose 2x or 4x, or move a slider."
        elif busy:
            hint = "Enhancing… Esc cancels."
        else:
            hint = ""
        self.hint_label.setText(hint)
        self.enhance_button.setEnabled(self.document.has_image() and self._has_work() and not busy)
