"""What the main window remembers between sessions: its size and dock layout, and the
brush and mask overlay as the person last set them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QSettings
from PySide6.QtGui import QColor

from sdstudio.app import settings as keys

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow


class WindowState(QObject):
    """Restores the window at start, stores brush and overlay changes as they happen, and,
    as a closing part of the window, stores its size and layout when it closes."""

    def __init__(self, window: MainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.canvas = window.canvas
        self.settings = settings

    def restore(self) -> None:
        window, canvas, settings = self.window, self.canvas, self.settings
        geometry = settings.value(keys.KEY_GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
        else:
            window.resize(1280, 820)
        state = settings.value(keys.KEY_WINDOW_STATE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            window.restoreState(state)
        canvas.set_brush(
            size=keys.read_number(settings, keys.KEY_BRUSH_SIZE, canvas.brush.size),
            hardness=keys.read_number(settings, keys.KEY_BRUSH_HARDNESS, canvas.brush.hardness),
        )
        # The first photo gets the brush at the size on screen it last had.
        canvas.set_brush_size_at_fit(
            keys.read_number(settings, keys.KEY_BRUSH_SIZE_AT_FIT, canvas.brush_size_at_fit())
        )
        color = QColor(str(settings.value(keys.KEY_OVERLAY_COLOR, "")))
        if color.isValid():
            canvas.overlay.set_color(color)
        canvas.overlay.set_opacity(
            keys.read_number(settings, keys.KEY_OVERLAY_OPACITY, canvas.overlay.opacity)
        )
        # From here on, brush and overlay changes are remembered as they happen.
        canvas.brush_changed.connect(self.store_brush)
        canvas.overlay.changed.connect(self.store_overlay)

    def store_brush(self) -> None:
        brush = self.canvas.brush
        # Fine-grained: a brush carried over from another photo has any fraction of a pixel.
        self.settings.setValue(keys.KEY_BRUSH_SIZE, round(brush.size, 4))
        self.settings.setValue(keys.KEY_BRUSH_HARDNESS, round(brush.hardness, 2))
        size_at_fit = round(self.canvas.brush_size_at_fit(), 2)
        self.settings.setValue(keys.KEY_BRUSH_SIZE_AT_FIT, size_at_fit)

    def store_overlay(self) -> None:
        overlay = self.canvas.overlay
        self.settings.setValue(keys.KEY_OVERLAY_COLOR, overlay.color.name())
        self.settings.setValue(keys.KEY_OVERLAY_OPACITY, round(overlay.opacity, 3))

    def can_close(self) -> bool:
        return True

    def shut_down(self) -> None:
        self.store_brush()  # its size at fit follows the window's size since the last change
        self.settings.setValue(keys.KEY_GEOMETRY, self.window.saveGeometry())
        self.settings.setValue(keys.KEY_WINDOW_STATE, self.window.saveState())
        self.settings.sync()
