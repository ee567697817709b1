"""The Open dialog with a preview of the selected photo, and the Save As quality dialog.

The Open dialog is Qt's own (not the platform's): only it can show a preview pane. The
preview never holds the dialog up: JPEGs are decoded at 1/8 scale (Pillow ``draft``),
and other formats only below a pixel and file-size cap; above it the pane names the
size instead.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, ImageOps
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sdstudio.app.save_quality import JPEG_FORMATS
from sdstudio.imaging.file_formats import ensure_heif_registered

PREVIEW_SIDE = 240
# Formats without a fast reduced decode are previewed only up to here (about 0.2 s).
PREVIEW_MAX_PIXELS = 16_000_000
PREVIEW_MAX_FILE_BYTES = 150 * 1024 * 1024  # reading more than this is never quick


def load_thumbnail(path: Path, side: int = PREVIEW_SIDE) -> tuple[QImage | None, str]:
    """A thumbnail no larger than side x side (or None) and a line describing the file."""
    try:
        file_bytes = path.stat().st_size
    except OSError:
        return None, ""
    if not path.is_file():
        return None, ""
    size_text = _file_size(file_bytes)
    if file_bytes > PREVIEW_MAX_FILE_BYTES:
        return None, f"{size_text} · too large to preview"
    ensure_heif_registered()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                described = f"{width} × {height} · {size_text}"
                if image.format in JPEG_FORMATS:
                    image.draft("RGB", (side, side))  # decodes at 1/2..1/8 scale
                elif width * height > PREVIEW_MAX_PIXELS:
                    return None, f"{described} · too large to preview quickly"
                image.thumbnail((side, side))
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
                fmt = (
                    QImage.Format.Format_RGBA8888
                    if image.mode == "RGBA"
                    else QImage.Format.Format_RGB888
                )
                data = image.tobytes()
                channels = len(image.getbands())
                thumbnail = QImage(
                    data, image.width, image.height, image.width * channels, fmt
                ).copy()  # the copy owns its pixels; ``data`` may go
    except Exception:  # a damaged header can raise almost anything inside Pillow
        return None, f"{size_text} · not a photo SD Studio can open"
    return thumbnail, described


def _file_size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{max(count, 1) / 1024:.0f} KB"


class OpenPhotoDialog(QFileDialog):
    """File > Open: a file list with a preview of the selected photo beside it."""

    def __init__(self, parent: QWidget | None, folder: str, name_filter: str) -> None:
        super().__init__(parent, "Open Photo", folder, name_filter)
        self.setOption(QFileDialog.Option.DontUseNativeDialog)
        self.setFileMode(QFileDialog.FileMode.ExistingFile)
        self.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        self.preview = QLabel(self)
        self.preview.setObjectName("open_preview")
        self.preview.setFixedSize(PREVIEW_SIDE + 8, PREVIEW_SIDE + 8)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background: #202022; border: 1px solid #3a3a3e;")
        self.preview_info = QLabel(self)
        self.preview_info.setWordWrap(True)
        self.preview_info.setFixedWidth(PREVIEW_SIDE + 8)
        self.preview_info.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        pane = QWidget(self)
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(8, 0, 0, 0)
        pane_layout.addWidget(self.preview)
        pane_layout.addWidget(self.preview_info)
        pane_layout.addStretch(1)
        layout = self.layout()
        if isinstance(layout, QGridLayout):  # Qt's own dialog: a grid, files in column 1
            layout.addWidget(pane, 0, layout.columnCount(), layout.rowCount(), 1)
        # Room for the file list's columns beside the preview.
        self.resize(max(self.width() + PREVIEW_SIDE + 40, 1000), max(self.height(), 560))
        self.currentChanged.connect(self.show_preview)
        self._show_nothing()

    def selectFile(self, filename: str) -> None:  # noqa: N802 (Qt's name)
        # Qt emits currentChanged only for a selection made in the list, not for this.
        super().selectFile(filename)
        self.show_preview(filename)

    def show_preview(self, path: str) -> None:
        target = Path(path) if path else None
        if target is None or not target.is_file():
            self._show_nothing()
            return
        thumbnail, description = load_thumbnail(target)
        self.preview_info.setText(description)
        if thumbnail is None:
            self.preview.setPixmap(QPixmap())
            self.preview.setText("No preview")
        else:
            self.preview.setText("")
            self.preview.setPixmap(QPixmap.fromImage(thumbnail))

    def _show_nothing(self) -> None:
        self.preview.setPixmap(QPixmap())
        self.preview.setText("Select a photo\nto preview it")
        self.preview_info.setText("")


class QualityDialog(QDialog):
    """Save As, lossy formats: the quality, as a slider and a number that follow each other."""

    def __init__(
        self,
        parent: QWidget | None,
        format_name: str,
        current: int,
        original_quality: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{format_name} Quality")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(1, 100)
        self.spin = QSpinBox(self)
        self.spin.setRange(1, 100)
        self.slider.valueChanged.connect(self.spin.setValue)
        self.spin.valueChanged.connect(self.slider.setValue)
        self.spin.setValue(int(min(max(current, 1), 100)))
        explain = QLabel(
            "Higher keeps more detail; lower makes a smaller file. 85–95 looks like the "
            "original to most eyes.",
            self,
        )
        explain.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Smallest", self))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("Best", self))
        row.addWidget(self.spin)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(row)
        if original_quality is not None:
            note = QLabel(f"The original photo was saved at quality {original_quality}.", self)
            note.setObjectName("quality_original_note")
            layout.addWidget(note)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)

    def quality(self) -> int:
        return self.spin.value()
