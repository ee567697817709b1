"""The wizard's first page: what the model should learn."""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QLabel, QRadioButton, QVBoxLayout, QWizardPage

from sdstudio.tasks import Task

TASK_TEXT = {
    Task.REPAIR: (
        "Repair",
        "Learns to fill scratches, dust, cracks and removed objects the way your "
        "photos look. Needs a folder of undamaged photos; damage is simulated.",
    ),
    Task.ENHANCE: (
        "Enhance",
        "Learns to upscale and clean up blur, noise and JPEG artefacts for "
        "photos like yours. Needs a folder of sharp, clean photos.",
    ),
    Task.STYLE: (
        "Style",
        "Learns a look from your examples (paintings, drawings...) and applies it to "
        "photos. Needs a folder of style examples; your photos are the content.",
    ),
    Task.DAMAGE: (
        "Find damage",
        "Teaches the Find damage button the scratches, dust and stains of your scans. "
        "Needs a folder of photos (damage is simulated); optionally a folder of masks "
        "where you marked the damage on some of them.",
    ),
}


class TaskPage(QWizardPage):
    def __init__(self, wizard) -> None:
        super().__init__()
        self.setTitle("What should the model learn?")
        self.setSubTitle("SD Studio fine-tunes one of its networks on your own photos.")
        self._wizard = wizard
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        layout = QVBoxLayout(self)
        for task, (title, text) in TASK_TEXT.items():
            button = QRadioButton(title)
            button.setObjectName(f"task_{task}")
            description = QLabel(text)
            description.setWordWrap(True)
            description.setIndent(24)
            self.group.addButton(button)
            self.buttons[task] = button
            layout.addWidget(button)
            layout.addWidget(description)
        layout.addStretch(1)
        self.buttons[Task.REPAIR].setChecked(True)

    def selected_task(self) -> str:
        return next(task for task, button in self.buttons.items() if button.isChecked())

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        self._wizard.choices.task = self.selected_task()
        return True
