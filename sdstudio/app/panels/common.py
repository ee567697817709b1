"""What the three panels share: the catalog's methods in a combo box, small previews,
and a description label that never changes height."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QFontMetrics, QPixmap, QResizeEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QWidget

from sdstudio.app.qimage_views import qimage_from_rgb
from sdstudio.jobs import Task

if TYPE_CHECKING:
    from sdstudio.app.document import Document
    from sdstudio.app.job_controller import JobController

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


class TaskPanel(QWidget):
    """What every task panel starts from: the document it edits and the job controller
    its jobs run on (its object name is what style sheets and tests find it by)."""

    def __init__(
        self, name: str, document: Document, controller: JobController, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.document = document
        self.controller = controller


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


class FixedLinesLabel(QLabel):
    """Word-wrapped text in a fixed number of lines; longer text is cut with "…".

    Its height never depends on the text, so the controls below it stay where they
    are when the text changes (a Repair button that moved with the method description
    made people click beside it). The whole text is the tooltip when it had to be cut.
    """

    def __init__(self, lines: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lines = lines
        self._full_text = ""
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        # Ignored: a long text must neither widen the dock nor ask for more height.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._fix_height()

    def full_text(self) -> str:
        return self._full_text

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full_text = text
        self._show_fitting_text()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fix_height()
            self._show_fitting_text()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._show_fitting_text()

    def _fix_height(self) -> None:
        margins = self.contentsMargins()
        self.setFixedHeight(
            self._lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()
        )

    def _show_fitting_text(self) -> None:
        text = self._full_text
        shown = _fit_text(text, self.fontMetrics(), self.contentsRect().width(), self._lines)
        super().setText(shown)
        self.setToolTip(text if shown != text else "")


def _fit_text(text: str, metrics: QFontMetrics, width: int, lines: int) -> str:
    """``text``, or its longest start (cut at a word, with "…") that wraps into ``lines``."""
    if not text or width <= 0:
        return text
    limit = lines * metrics.lineSpacing()
    flags = int(Qt.TextFlag.TextWordWrap)

    def fits(candidate: str) -> bool:
        return metrics.boundingRect(QRect(0, 0, width, 100_000), flags, candidate).height() <= limit

    if fits(text):
        return text
    low, high = 0, len(text)  # the longest prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if fits(text[:middle].rstrip() + "…"):
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    if " " in cut.strip():
        cut = cut[: cut.rstrip().rfind(" ")]  # end at a word, not inside one
    return cut.rstrip(" ,;:.") + "…"
