"""The options of the crop and straighten tools, in a bar of their own above the canvas.

It shows only while one of those tools is in use: the crop ratio and the size that will
be kept, or the straighten angle; Apply and Cancel do what Enter and Esc do on the canvas.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QPushButton, QToolBar, QWidget

from sdstudio.imaging.geometry import MAX_STRAIGHTEN_DEGREES

ORIGINAL = "original"  # the crop ratio of the photo itself
CROP_RATIOS = (("Free", None), ("Original ratio", ORIGINAL), ("1:1", 1.0), ("3:2", 3 / 2),
               ("4:3", 4 / 3), ("16:9", 16 / 9))  # fmt: skip


class ImageToolBar(QToolBar):
    ratio_chosen = Signal(object)  # None, ORIGINAL or a float (width / height)
    angle_chosen = Signal(float)  # degrees, clockwise
    apply_clicked = Signal()
    cancel_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Image tool", parent)
        self.setObjectName("image_tool_bar")
        self.setMovable(False)
        self.title = QLabel(self)
        self.ratio = QComboBox(self)
        self.ratio.setObjectName("crop_ratio")
        for name, ratio in CROP_RATIOS:
            self.ratio.addItem(name, ratio)
        self.ratio.setToolTip("The shape of the crop; it turns with your drag (3:2 or 2:3)")
        self.size_label = QLabel(self)
        self.size_label.setMinimumWidth(160)
        self.angle = QDoubleSpinBox(self)
        self.angle.setObjectName("straighten_angle")
        self.angle.setRange(-MAX_STRAIGHTEN_DEGREES, MAX_STRAIGHTEN_DEGREES)
        self.angle.setDecimals(2)
        self.angle.setSingleStep(0.1)
        self.angle.setSuffix("°")
        self.angle.setToolTip("Turn clockwise (negative: anticlockwise)")
        self.apply_button = QPushButton("Apply", self)
        self.apply_button.setObjectName("image_tool_apply")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("image_tool_cancel")
        self._crop_actions = []
        self._straighten_actions = []
        self.addWidget(self.title)
        self._crop_actions.append(self.addWidget(self.ratio))
        self._straighten_actions.append(self.addWidget(self.angle))
        self.addWidget(self.size_label)
        self.addWidget(self.apply_button)
        self.addWidget(self.cancel_button)
        self.ratio.currentIndexChanged.connect(
            lambda _index: self.ratio_chosen.emit(self.ratio.currentData())
        )
        self.angle.valueChanged.connect(self.angle_chosen.emit)
        self.apply_button.clicked.connect(self.apply_clicked.emit)
        self.cancel_button.clicked.connect(self.cancel_clicked.emit)
        self.hide()

    def show_for_crop(self) -> None:
        self.title.setText("  Crop: drag over the photo, then Apply (Enter). Ratio: ")
        self._show(crop=True)

    def show_for_straighten(self) -> None:
        self.title.setText("  Straighten: drag along a line that should be level, or type: ")
        self.set_angle(0.0)
        self._show(crop=False)

    def set_angle(self, degrees: float) -> None:
        self.angle.blockSignals(True)  # the tool told us; telling it back would loop
        self.angle.setValue(degrees)
        self.angle.blockSignals(False)

    def set_can_apply(self, can_apply: bool) -> None:
        self.apply_button.setEnabled(can_apply)

    def _show(self, crop: bool) -> None:
        for action in self._crop_actions:
            action.setVisible(crop)
        for action in self._straighten_actions:
            action.setVisible(not crop)
        self.size_label.setText("")
        self.set_can_apply(False)
        self.show()
