"""Image > Resize… and Image > Extend Canvas…: what size, and how.

Each dialog returns a plain choice value (``ResizeChoice``, ``ExtendChoice``); the
questions are asked through ``ImageTools.ask_resize`` / ``ask_extend``, which tests
replace.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.forms import form_of
from sdstudio.imaging.geometry import RESAMPLING_NAMES, borders_for_aspect
from sdstudio.imaging.image_io import MAX_SIDE

# Ratios people frame to; each also offered turned (9:16 for a phone story).
ASPECT_RATIOS = (("16:9", 16 / 9), ("3:2", 3 / 2), ("4:3", 4 / 3), ("1:1", 1.0),
                 ("2:3", 2 / 3), ("9:16", 9 / 16))  # fmt: skip
MAX_EXTEND_BORDER = 8192


@dataclass(frozen=True)
class ResizeChoice:
    width: int
    height: int
    resampling: str  # a key of geometry.RESAMPLING


@dataclass(frozen=True)
class ExtendChoice:
    left: int
    top: int
    right: int
    bottom: int


def _buttons(dialog: QDialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, dialog
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class ResizeDialog(QDialog):
    """Width and height in pixels or per cent, the ratio kept or not, the resampling."""

    def __init__(self, parent: QWidget | None, width: int, height: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Resize Photo")
        self._size = (width, height)
        self._following = False  # set while one spin box updates the other
        self.units = QComboBox(self)
        self.units.addItems(["pixels", "per cent"])
        self.width_spin = QDoubleSpinBox(self)
        self.height_spin = QDoubleSpinBox(self)
        self.keep_ratio = QCheckBox("Keep the aspect ratio", self)
        self.keep_ratio.setChecked(True)
        self.resampling = QComboBox(self)
        for key, name in RESAMPLING_NAMES.items():
            self.resampling.addItem(name, key)
        self.result_label = QLabel(self)
        form = form_of(
            [
                ("Units:", self.units),
                ("Width:", self.width_spin),
                ("Height:", self.height_spin),
                ("", self.keep_ratio),
                ("Resampling:", self.resampling),
                ("New size:", self.result_label),
            ]
        )
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The photo is {width} × {height} pixels.", self))
        layout.addLayout(form)
        layout.addWidget(_buttons(self, "Resize"))
        self._set_units("pixels")
        self.units.currentTextChanged.connect(self._set_units)
        self.width_spin.valueChanged.connect(lambda _v: self._follow(self.width_spin))
        self.height_spin.valueChanged.connect(lambda _v: self._follow(self.height_spin))

    def choice(self) -> ResizeChoice:
        width, height = self.pixel_size()
        return ResizeChoice(width, height, self.resampling.currentData())

    def pixel_size(self) -> tuple[int, int]:
        width, height = self.width_spin.value(), self.height_spin.value()
        if self.units.currentText() == "per cent":
            width, height = self._size[0] * width / 100, self._size[1] * height / 100
        return max(1, round(width)), max(1, round(height))

    def _set_units(self, units: str) -> None:
        self._following = True
        per_cent = units == "per cent"
        for spin, side in ((self.width_spin, self._size[0]), (self.height_spin, self._size[1])):
            spin.setDecimals(1 if per_cent else 0)
            spin.setSuffix(" %" if per_cent else " px")
            spin.setRange(0.1 if per_cent else 1, 100 * MAX_SIDE / side if per_cent else MAX_SIDE)
            spin.setValue(100.0 if per_cent else float(side))
        self._following = False
        self._show_result()

    def _follow(self, changed: QDoubleSpinBox) -> None:
        if not self._following and self.keep_ratio.isChecked():
            self._following = True
            other = self.height_spin if changed is self.width_spin else self.width_spin
            if self.units.currentText() == "per cent":
                other.setValue(changed.value())
            elif changed is self.width_spin:
                other.setValue(round(self._size[1] * changed.value() / self._size[0]))
            else:
                other.setValue(round(self._size[0] * changed.value() / self._size[1]))
            self._following = False
        self._show_result()

    def _show_result(self) -> None:
        width, height = self.pixel_size()
        self.result_label.setText(f"{width} × {height} pixels")


class ExtendDialog(QDialog):
    """New canvas on each side in pixels, or enough to reach an aspect ratio."""

    def __init__(self, parent: QWidget | None, width: int, height: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Extend Canvas")
        self._size = (width, height)
        self._filling = False  # set while a ratio fills the sides
        self.spins: dict[str, QSpinBox] = {}
        grid = QGridLayout()
        places = {"top": (0, 1), "left": (1, 0), "right": (1, 2), "bottom": (2, 1)}
        for side, (row, column) in places.items():
            spin = QSpinBox(self)
            spin.setRange(0, MAX_EXTEND_BORDER)
            spin.setSuffix(" px")
            spin.setPrefix(f"{side.capitalize()}: ")
            spin.valueChanged.connect(self._side_changed)
            grid.addWidget(spin, row, column)
            self.spins[side] = spin
        photo = QLabel(f"{width} × {height}", self)
        photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(photo, 1, 1)
        self.aspect = QComboBox(self)
        self.aspect.addItem("Choose the sides yourself", None)
        for name, ratio in ASPECT_RATIOS:
            self.aspect.addItem(f"To {name}", ratio)
        self.aspect.currentIndexChanged.connect(self._fill_for_aspect)
        self.result_label = QLabel(self)
        explain = QLabel(
            "The new canvas is filled so it continues the photo, as Repair fills a mask. "
            "Wide borders take longer and look less real the further they reach.",
            self,
        )
        explain.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addWidget(self.aspect)
        layout.addLayout(grid)
        layout.addWidget(self.result_label)
        layout.addWidget(_buttons(self, "Extend"))
        self._show_result()

    def choice(self) -> ExtendChoice:
        values = {side: spin.value() for side, spin in self.spins.items()}
        return ExtendChoice(values["left"], values["top"], values["right"], values["bottom"])

    def _fill_for_aspect(self) -> None:
        ratio = self.aspect.currentData()
        if ratio is None:
            return
        left, top, right, bottom = borders_for_aspect(*self._size, ratio)
        self._filling = True
        for side, value in (("left", left), ("top", top), ("right", right), ("bottom", bottom)):
            self.spins[side].setValue(value)
        self._filling = False
        self._show_result()

    def _side_changed(self) -> None:
        if not self._filling:  # a side set by hand: the result is no longer that ratio
            self.aspect.blockSignals(True)
            self.aspect.setCurrentIndex(0)
            self.aspect.blockSignals(False)
        self._show_result()

    def _show_result(self) -> None:
        choice = self.choice()
        width = self._size[0] + choice.left + choice.right
        height = self._size[1] + choice.top + choice.bottom
        self.result_label.setText(f"New size: {width} × {height} pixels")
