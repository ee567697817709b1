"""QImages that share memory with numpy arrays, so nothing is copied per repaint.

The QImage keeps a Python reference to its array (``_array``) so the buffer outlives it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

# Qt's painting code uses 32-bit coordinates and allocates per-line buffers; past this
# side length drawing becomes unreliable, so the editor refuses such images up front.
MAX_CANVAS_SIDE = 32767


def qimage_from_rgb(image: np.ndarray) -> QImage:
    """A QImage over an (H, W, 3) RGB or (H, W, 4) RGBA uint8 array, without a copy."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected uint8 (H, W, 3|4), got {image.dtype} {image.shape}")
    array = np.ascontiguousarray(image)
    height, width, channels = array.shape
    fmt = QImage.Format.Format_RGB888 if channels == 3 else QImage.Format.Format_RGBA8888
    qimage = QImage(array.data, width, height, width * channels, fmt)
    qimage._array = array  # type: ignore[attr-defined]
    return qimage


def qimage_from_mask(mask: np.ndarray) -> QImage:
    """An Alpha8 QImage over an (H, W) uint8 mask; edits to ``mask`` show through it."""
    if mask.dtype != np.uint8 or mask.ndim != 2 or not mask.flags.c_contiguous:
        raise ValueError("mask must be a C-contiguous uint8 (H, W) array")
    height, width = mask.shape
    qimage = QImage(mask.data, width, height, width, QImage.Format.Format_Alpha8)
    qimage._array = mask  # type: ignore[attr-defined]
    return qimage


_CHECKER: QPixmap | None = None


def checkerboard_pixmap() -> QPixmap:
    """A grey checkerboard shown behind transparent pixels."""
    global _CHECKER
    if _CHECKER is None:
        _CHECKER = QPixmap(16, 16)
        _CHECKER.fill(QColor(90, 90, 90))
        painter = QPainter(_CHECKER)
        painter.fillRect(0, 0, 8, 8, QColor(130, 130, 130))
        painter.fillRect(8, 8, 8, 8, QColor(130, 130, 130))
        painter.end()
    return _CHECKER
