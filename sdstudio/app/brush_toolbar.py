"""The mask toolbar: the mask tools (brush, eraser, rectangle, ellipse, lassos, select
object), the brush's size and hardness, and the mask overlay's colour and opacity.

The size box edits the brush in photo pixels (what painting uses); the label beside it
says what that is on screen at the current zoom, so "a 50 px brush" means something on a
22 MP photo and on a thumbnail alike.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QSlider, QSpinBox, QToolBar, QToolButton, QWidget

from sdstudio.app.canvas import Canvas
from sdstudio.app.mask_tools import MAX_BRUSH_SIZE, MIN_BRUSH_SIZE


class BrushToolbar(QToolBar):
    def __init__(self, canvas: Canvas, parent: QWidget | None = None) -> None:
        super().__init__("Brush", parent)
        self.setObjectName("brush_toolbar")
        self.setMovable(False)
        self.canvas = canvas
        # The window builds its actions before this toolbar; the tools come first.
        actions = getattr(parent, "actions_", None)
        for action in getattr(actions, "tools", {}).values():
            self.addAction(action)
        if self.actions():
            self.addSeparator()

        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(int(MIN_BRUSH_SIZE), int(MAX_BRUSH_SIZE))
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush size in photo pixels ([ smaller, ] larger)")
        self.size_label = QLabel("", self)
        self.size_label.setObjectName("brush_size_units")
        self.size_label.setStyleSheet("color: #a8a8a8;")  # a reading, not a control
        self.size_label.setToolTip(
            "The brush on screen at this zoom, and in the photo's own pixels. A new photo "
            "keeps the brush's size on screen."
        )
        self.hardness_spin = QSpinBox(self)
        self.hardness_spin.setRange(0, 100)
        self.hardness_spin.setSuffix(" %")
        self.hardness_spin.setToolTip("Brush hardness (Shift+[ softer, Shift+] harder)")
        self.color_button = QToolButton(self)
        self.color_button.setToolTip("Mask colour")
        for spin in (self.size_spin, self.hardness_spin):
            spin.setFixedWidth(78)  # room for "2000 px": the toolbar row is shared
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.opacity_slider.setRange(5, 100)
        self.opacity_slider.setFixedWidth(90)
        self.opacity_slider.setToolTip("Mask overlay opacity")

        for text, widget in (
            ("Size", self.size_spin),
            ("Hardness", self.hardness_spin),
            ("Mask", self.color_button),
            ("Opacity", self.opacity_slider),
        ):
            label = QLabel(f" {text} ", self)
            label.setBuddy(widget)
            self.addWidget(label)
            self.addWidget(widget)
            if widget is self.size_spin:
                self.addWidget(self.size_label)

        self.size_spin.valueChanged.connect(lambda value: canvas.set_brush(size=value))
        self.hardness_spin.valueChanged.connect(
            lambda value: canvas.set_brush(hardness=value / 100)
        )
        self.opacity_slider.valueChanged.connect(
            lambda value: canvas.overlay.set_opacity(value / 100)
        )
        self.color_button.clicked.connect(lambda: parent.choose_overlay_color())
        canvas.brush_changed.connect(self._show_brush)
        canvas.zoom_changed.connect(self._show_size_units)
        canvas.overlay.changed.connect(self._show_overlay)
        self._show_brush()
        self._show_overlay()

    def _show_brush(self) -> None:
        with QSignalBlocker(self.size_spin), QSignalBlocker(self.hardness_spin):
            self.size_spin.setValue(round(self.canvas.brush.size))
            self.hardness_spin.setValue(round(self.canvas.brush.hardness * 100))
        self._show_size_units()

    def _show_size_units(self, *_zoom) -> None:
        if not self.canvas.document.has_image():
            self.size_label.setText("")
            return
        on_screen = self.canvas.brush_size_on_screen()
        in_photo = self.canvas.brush.size
        self.size_label.setText(
            f" {_pixels(on_screen)} px on screen · {_pixels(in_photo)} px in the photo "
        )

    def _show_overlay(self) -> None:
        overlay = self.canvas.overlay
        with QSignalBlocker(self.opacity_slider):
            self.opacity_slider.setValue(round(overlay.opacity * 100))
        swatch = QPixmap(16, 16)
        swatch.fill(QColor(overlay.color))
        self.color_button.setIcon(QIcon(swatch))


def _pixels(value: float) -> str:
    # A brush under 10 px shows its fraction: "0.4 px on screen" is not "0 px".
    return f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
