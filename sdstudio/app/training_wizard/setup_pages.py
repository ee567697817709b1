"""The wizard's photo and settings pages: from which photos, and how (the task page is
``task_page``)."""

from __future__ import annotations

from PySide6.QtCore import QSize, QTimer, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from sdstudio.app.training_wizard.background import THUMBNAIL_SIDE, DeviceProbe, FolderScan
from sdstudio.engine.methods import MethodKind
from sdstudio.tasks import Task
from sdstudio.training.config import PRESETS, TrainingConfig, format_duration

WARNING_STYLE = "color: #b36b00"
DATA_SUBTITLES = {
    Task.REPAIR: "A folder of your photos; sub-folders are included. Twenty or more is best.",
    Task.STYLE: "Content photos to restyle (or a few of your own), and the examples of the style.",
    Task.DAMAGE: "A folder of your photos or scans; damage is rendered on them. Twenty or more "
    "is best.",
}
MASKS_HINT = (
    "Marked some damage yourself? Give the folder of masks: white where the damage is, each "
    "named as its photo (scan01.png for scan01.jpg). Those scans train with your marks; "
    "photos without a mask get rendered damage."
)
ERROR_STYLE = "color: #c0392b"


class FolderPicker(QWidget):
    """A folder path with Browse, its scan report, thumbnails and warnings."""

    def __init__(self, label: str, role: str, crop_source, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.role = role
        self._crop_source = crop_source
        self.report = None
        self._token = 0
        self.scan = FolderScan(self)
        self.scan.progress.connect(self._on_progress)
        self.scan.finished.connect(self._on_finished)
        self.scan.failed.connect(self._on_failed)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Choose a folder…")
        self.browse_button = QPushButton("Browse…")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.thumbnails = QListWidget()
        self.thumbnails.setViewMode(QListWidget.ViewMode.IconMode)
        self.thumbnails.setFlow(QListWidget.Flow.LeftToRight)
        self.thumbnails.setWrapping(False)
        self.thumbnails.setIconSize(QSize(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        self.thumbnails.setFixedHeight(THUMBNAIL_SIDE + 26)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel(label))
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.thumbnails)
        layout.addWidget(self.warnings)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(300)
        self._debounce.timeout.connect(self.rescan)
        self.path_edit.textChanged.connect(self._on_text_changed)
        self.browse_button.clicked.connect(self._browse)

    changed = None  # set by the page: called when the report changes

    def usable(self) -> bool:
        return self.report is not None and self.report.count > 0

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, f"Choose the {self.role} folder", self.path_edit.text()
        )
        if folder:
            self.path_edit.setText(folder)

    def _on_text_changed(self) -> None:
        self.report = None
        self._token += 1
        self.summary.setText("")
        self.warnings.setText("")
        self.thumbnails.clear()
        self._notify()
        self._debounce.start()

    @Slot()
    def rescan(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            return
        self._token += 1
        self.summary.setText("Looking at the photos…")
        self.scan.start(self._token, text, self._crop_source())

    def _on_progress(self, token: int, done: int, total: int) -> None:
        if token == self._token:
            self.summary.setText(f"Looking at the photos… {done} of {total}")

    def _on_failed(self, token: int, message: str) -> None:
        if token == self._token:
            self.summary.setText("")
            self.warnings.setStyleSheet(ERROR_STYLE)
            self.warnings.setText(message)

    def _on_finished(self, token: int, report, thumbnails) -> None:
        if token != self._token:
            return
        from sdstudio.app.panels.common import pixmap_from_rgb
        from sdstudio.errors import TrainingDataError

        self.report = report
        sizes = report.sizes
        if sizes:
            smallest = min(sizes, key=lambda s: s[0] * s[1])
            self.summary.setText(
                f"{report.count} usable image(s); smallest {smallest[0]}x{smallest[1]}."
            )
        for image in thumbnails:
            self.thumbnails.addItem(QListWidgetItem(QIcon(pixmap_from_rgb(image)), ""))
        try:
            report.raise_if_unusable(self.role)
            self.warnings.setStyleSheet(WARNING_STYLE)
            self.warnings.setText("\n".join(report.warnings()))
        except TrainingDataError as error:
            self.summary.setText("")
            self.warnings.setStyleSheet(ERROR_STYLE)
            self.warnings.setText(str(error))
        self._notify()

    def _notify(self) -> None:
        if self.changed is not None:
            self.changed()


class DataPage(QWizardPage):
    def __init__(self, wizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("Choose your photos")
        crop = lambda: PRESETS["quick"]["crop"]  # noqa: E731  (the smallest crop any preset uses)
        self.photos = FolderPicker("Photos:", "photo", crop)
        self.styles = FolderPicker("Style examples:", "style example", crop)
        # Find damage: masks the person marked on some of the photos (optional).
        self.masks = FolderPicker("Masks folder (optional):", "mask", crop)
        self.masks.setObjectName("masks_picker")
        self.masks_hint = QLabel(MASKS_HINT)
        self.masks_hint.setWordWrap(True)
        for picker in (self.photos, self.styles, self.masks):
            picker.changed = self.completeChanged.emit
        layout = QVBoxLayout(self)
        layout.addWidget(self.photos)
        layout.addWidget(self.styles)
        layout.addWidget(self.masks)
        layout.addWidget(self.masks_hint)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802
        task = self._wizard.choices.task
        self.styles.setVisible(task == Task.STYLE)
        self.masks.setVisible(task == Task.DAMAGE)
        self.masks_hint.setVisible(task == Task.DAMAGE)
        self.setSubTitle(DATA_SUBTITLES.get(task, DATA_SUBTITLES[Task.REPAIR]))

    def isComplete(self) -> bool:  # noqa: N802
        task = self._wizard.choices.task
        if not self.photos.usable():
            return False
        if task == Task.DAMAGE and self.masks.path_edit.text().strip():
            return self.masks.usable()  # a masks folder given must hold masks
        return task != Task.STYLE or self.styles.usable()

    def validatePage(self) -> bool:  # noqa: N802
        choices = self._wizard.choices
        choices.data_dir = self.photos.path_edit.text().strip()
        choices.image_count = self.photos.report.count
        style = choices.task == Task.STYLE
        choices.style_dir = self.styles.path_edit.text().strip() if style else None
        masks = self.masks.path_edit.text().strip() if choices.task == Task.DAMAGE else ""
        choices.mask_dir = masks or None
        return True


def base_models(task: str) -> list:
    """Trained models of ``task`` that can be fine-tuned (ours, not community files)."""
    from sdstudio.engine import catalog

    return [
        method
        for method in catalog.list_methods(task, include_providers=False)
        if method.kind == MethodKind.BUILTIN and method.path is not None
    ]


class SettingsPage(QWizardPage):
    def __init__(self, wizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle("How to train")
        self.setSubTitle("Fine-tuning a model you have is the fast way; from scratch takes longer.")
        self.setCommitPage(True)
        self.setButtonText(self.wizard_button_commit(), "Start training")
        self.base_combo = QComboBox()
        self.scale_combo = QComboBox()
        for scale, text in ((2, "2x"), (4, "4x"), (1, "1x (restore only)")):
            self.scale_combo.addItem(text, scale)
        self.style_combo = QComboBox()
        self.preset_combo = QComboBox()
        self.device_combo = QComboBox()
        self.device_combo.addItem("Automatic (detecting…)", "auto")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("run_name")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        form = QFormLayout(self)
        form.addRow("Start from:", self.base_combo)
        form.addRow("Scale:", self.scale_combo)
        form.addRow("Style button:", self.style_combo)
        form.addRow("Length:", self.preset_combo)
        form.addRow("Device:", self.device_combo)
        form.addRow("Model name:", self.name_edit)
        form.addRow(self.message)
        self._form = form
        self._device_kind = "cpu"
        self.probe = DeviceProbe(self)
        self.probe.found.connect(self._on_devices)
        self.base_combo.currentIndexChanged.connect(self._update_visibility)
        # The estimate depends on the base: its recipe decides what one step costs.
        self.base_combo.currentIndexChanged.connect(self._update_estimates)
        self.device_combo.currentIndexChanged.connect(self._update_estimates)
        self.name_edit.textChanged.connect(lambda: self.message.setText(""))
        self._probed = False

    @staticmethod
    def wizard_button_commit():
        from PySide6.QtWidgets import QWizard

        return QWizard.WizardButton.CommitButton

    def initializePage(self) -> None:  # noqa: N802
        from sdstudio.engine.style.presets_info import style_names_and_descriptions
        from sdstudio.training.run_names import suggest_run_name

        task = self._wizard.choices.task
        self.base_combo.clear()
        for info in base_models(task):
            self.base_combo.addItem(f"{info.display_name} ({info.source})", str(info.path))
        self.base_combo.addItem("Nothing: train from scratch (slower)", None)
        self.style_combo.clear()
        for preset in style_names_and_descriptions():
            self.style_combo.addItem(preset.name, preset.id)
        self.name_edit.setText(suggest_run_name(task))
        self._update_visibility()
        self._update_estimates()
        if not self._probed:
            self._probed = True
            self.probe.start()

    def _set_row_visible(self, field: QWidget, visible: bool) -> None:
        self._form.setRowVisible(field, visible)

    def _update_visibility(self) -> None:
        task = self._wizard.choices.task
        from_scratch = self.base_combo.currentData() is None
        self._set_row_visible(self.scale_combo, task == Task.ENHANCE and from_scratch)
        self._set_row_visible(self.style_combo, task == Task.STYLE)
        if task == Task.STYLE and not from_scratch:
            from sdstudio.engine.model_file import read_model_info

            try:
                style = read_model_info(self.base_combo.currentData()).style
            except Exception:
                style = None
            index = self.style_combo.findData(style)
            if index >= 0:
                self.style_combo.setCurrentIndex(index)

    def _on_devices(self, devices) -> None:
        self._device_kind = devices[0][0]
        self.device_combo.blockSignals(True)
        self.device_combo.clear()
        self.device_combo.addItem(f"Automatic ({devices[0][1]})", "auto")
        for choice, label in devices:
            self.device_combo.addItem(label, choice)
        self.device_combo.blockSignals(False)
        self._update_estimates()

    def _update_estimates(self) -> None:
        task = self._wizard.choices.task
        choice = self.device_combo.currentData() or "auto"
        kind = self._device_kind if choice == "auto" else choice
        current = self.preset_combo.currentData() or "quick"
        self.preset_combo.clear()
        for preset, label in (
            ("quick", "Quick"),
            ("standard", "Standard"),
            ("thorough", "Thorough"),
        ):
            seconds = self._estimate(task, kind, preset)
            steps = PRESETS[preset]["steps"]
            self.preset_combo.addItem(
                f"{label}: {steps} steps, about {format_duration(seconds)}", preset
            )
        self.preset_combo.setCurrentIndex(max(0, self.preset_combo.findData(current)))

    def _estimate(self, task: str, device_kind: str, preset: str) -> float:
        """The run's time as ``estimate.estimate_preset_seconds`` sees these choices."""
        from sdstudio.training.estimate import estimate_preset_seconds

        choices = self._wizard.choices
        config = TrainingConfig(
            task=task,
            data_dir=choices.data_dir,
            name="estimate",
            base_model=self.base_combo.currentData(),
            scale=int(self.scale_combo.currentData() or 2),
        )
        for key, value in self._wizard.config_overrides.items():
            setattr(config, key, value)
        try:
            return estimate_preset_seconds(config, preset, device_kind, choices.image_count)
        except Exception:  # an unreadable base file: the plain table still gives a time
            from sdstudio.training.config import estimate_seconds

            return estimate_seconds(task, device_kind, preset)

    def validatePage(self) -> bool:  # noqa: N802
        from sdstudio.training.run_names import name_problem

        name = self.name_edit.text().strip()
        problem = name_problem(name)
        if problem:
            self.message.setText(problem)
            return False
        choices = self._wizard.choices
        choices.name = name
        choices.base_model = self.base_combo.currentData()
        choices.scale = int(self.scale_combo.currentData())
        style = self.style_combo.currentData()
        choices.style_preset = style if choices.task == Task.STYLE else None
        choices.preset = self.preset_combo.currentData() or "quick"
        choices.device = self.device_combo.currentData() or "auto"
        return True
