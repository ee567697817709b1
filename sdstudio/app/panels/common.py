"""What the three panels share: the catalog's methods in a combo box, small previews."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from sdstudio.app.qimage_views import qimage_from_rgb
from sdstudio.jobs import Task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MethodChoice:
    """One entry of a method combo: what the catalog lists, reduced to what the UI shows."""

    id: str
    name: str
    description: str
    kind: str  # e.g. "classical", "network", "community", "diffusion"
    scale: int | None = None
    style: str | None = None  # style models: the preset they back


def task_methods(task: Task) -> tuple[list[MethodChoice], str | None]:
    """The catalog's methods for ``task`` and the id of the best one.

    The catalog reads only file headers (no torch), so this is cheap enough for the UI
    thread. A broken models folder must not take the panel down with it: the error is
    logged and the list is empty, and the panel says so.
    """
    try:
        from sdstudio.engine import catalog

        infos = catalog.list_methods(task)
        methods = [
            MethodChoice(
                id=str(info.id),
                name=str(getattr(info, "display_name", info.id)),
                description=str(getattr(info, "description", "") or ""),
                kind=str(getattr(info, "kind", "") or ""),
                scale=getattr(info, "scale", None),
                style=getattr(info, "style", None),
            )
            for info in infos
        ]
        best = catalog.best_method(task, methods=infos) if infos else None
    except Exception:
        log.exception("Listing the %s methods failed", task)
        return [], None
    best_id = getattr(best, "id", best)
    return methods, str(best_id) if best_id is not None else None


def fill_method_combo(combo: QComboBox, methods: list[MethodChoice], best_id: str | None) -> None:
    """Lists ``methods``; keeps the person's choice when it is still there, else the best."""
    previous = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for method in methods:
        combo.addItem(method.name, method.id)
        combo.setItemData(combo.count() - 1, method.description, Qt.ItemDataRole.ToolTipRole)
    for wanted in (previous, best_id):
        index = combo.findData(wanted) if wanted is not None else -1
        if index >= 0:
            combo.setCurrentIndex(index)
            break
    combo.blockSignals(False)
    combo.setEnabled(bool(methods))
    combo.currentIndexChanged.emit(combo.currentIndex())


def small_copy(image: np.ndarray, longest_side: int) -> np.ndarray:
    """The image shrunk (never enlarged) so its longest side is ``longest_side``."""
    height, width = image.shape[:2]
    scale = longest_side / max(height, width)
    if scale >= 1.0:
        return image.copy()
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))


def pixmap_from_rgb(image: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(qimage_from_rgb(image))  # fromImage copies the pixels


class LabelledSlider(QWidget):
    """A 0..100 % slider with its name and value, read as a 0..1 float."""

    def __init__(self, name: str, value: int, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(value)
        self.slider.setToolTip(tooltip)
        self.label = QLabel()
        self.label.setMinimumWidth(110)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.slider, 1)
        self.slider.valueChanged.connect(self._show_value)
        self._show_value(value)

    def _show_value(self, value: int) -> None:
        self.label.setText(f"{self._name}: {value}%")

    def fraction(self) -> float:
        return self.slider.value() / 100.0
