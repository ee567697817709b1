"""Soft strokes combine evenly, and the overlay shows every masked pixel clearly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRect
from PySide6.QtGui import QColor, QImage, QPainter, QRegion
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from sdstudio.app.mask_overlay import MIN_COVERAGE_ALPHA
from sdstudio.imaging.image_io import LoadedImage
from tests.app.panel_helpers import paint_stroke

GREY = 128
UPPER = [(60, 100), (160, 104), (260, 100)]
LOWER = [(60, 118), (160, 122), (260, 118)]  # overlaps UPPER by more than half its width


def _open_grey(window, zoom: float):
    pixels = np.full((240, 320, 3), GREY, np.uint8)
    window.document.open_loaded(LoadedImage(pixels=pixels, path=Path("grey.png"), format="PNG"))
    canvas = window.canvas
    canvas.set_zoom(zoom)
    canvas.overlay.set_color(QColor(0, 255, 0))
    canvas.overlay.set_opacity(0.5)
    canvas.set_brush(size=40, hardness=0.0)  # all fall-off: the softest brush there is
    QApplication.processEvents()
    return canvas


def _undo(window):
    window.document.undo_stack.undo()
    QApplication.processEvents()


def _shown_alpha(canvas) -> np.ndarray:
    """The overlay's alpha per image pixel, read back from the screen (zoom 1): over grey,
    green at alpha a shows red = GREY * (1 - a)."""
    QTest.mouseMove(canvas.viewport(), QPoint(2, 2))  # the brush outline out of the way
    QApplication.processEvents()
    shot = canvas.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    origin = canvas.map_from_image(canvas.sceneRect().topLeft()).toPoint()
    height, width = canvas.document.mask.shape
    alpha = np.zeros((height, width), np.float32)
    for y in range(0, height):
        for x in range(0, width, 2):  # every other column: plenty, and twice as fast
            red = shot.pixelColor(origin.x() + x, origin.y() + y).red()
            alpha[y, x] = 1.0 - red / GREY
    return alpha


def test_overlapping_soft_strokes_keep_the_stronger_value(window):
    canvas = _open_grey(window, 1.0)
    paint_stroke(canvas, UPPER)
    upper_alone = window.document.mask.copy()
    _undo(window)
    paint_stroke(canvas, LOWER)
    lower_alone = window.document.mask.copy()
    paint_stroke(canvas, UPPER)  # now over the lower one
    both = window.document.mask
    overlap = (upper_alone > 0) & (lower_alone > 0)
    assert overlap.sum() > 2000  # the strokes really overlap
    # Never lower than either stroke alone, and never summed above the stronger one.
    assert (both >= upper_alone).all() and (both >= lower_alone).all()
    assert np.array_equal(both, np.maximum(upper_alone, lower_alone))


def test_overlay_tints_every_masked_pixel_at_a_clear_minimum(window):
    canvas = _open_grey(window, 1.0)
    paint_stroke(canvas, UPPER)
    paint_stroke(canvas, LOWER)
    mask = window.document.mask
    alpha = _shown_alpha(canvas)
    sampled = np.zeros_like(mask, bool)
    sampled[:, ::2] = True
    # Inside the masked area (a pixel in from its outline, where a screen pixel may
    # straddle the edge), even the faintest soft edge is tinted at the minimum.
    inner = mask > 0
    inner[1:-1, 1:-1] &= (mask[:-2, 1:-1] > 0) & (mask[2:, 1:-1] > 0)
    inner[1:-1, 1:-1] &= (mask[1:-1, :-2] > 0) & (mask[1:-1, 2:] > 0)
    faint = inner & sampled & (mask < 40)
    assert faint.sum() > 200  # a soft brush leaves plenty of faint pixels
    floor = MIN_COVERAGE_ALPHA * canvas.overlay.opacity
    assert alpha[inner & sampled].min() >= floor - 0.02
    # The soft edge still shows: the core is tinted clearly more than the faint edge.
    core = sampled & (mask > 240)
    assert alpha[core].mean() > alpha[faint].mean() + 0.1
    assert alpha[core].mean() <= canvas.overlay.opacity + 0.02
    # Where nothing is masked, nothing is tinted.
    assert np.abs(alpha[sampled & (mask == 0)]).max() <= 0.01


def test_many_small_repaints_tint_exactly_like_one(window):
    # A stroke repaints the view in many small pieces; zoomed out to an uneven scale,
    # each piece must colour its pixels exactly as one repaint of everything would.
    canvas = _open_grey(window, 0.37)
    canvas.set_brush(size=60)
    paint_stroke(canvas, [(30, 40), (150, 60), (290, 200)])
    paint_stroke(canvas, [(40, 200), (200, 30)])
    QTest.mouseMove(canvas.viewport(), QPoint(2, 2))
    QApplication.processEvents()
    viewport = canvas.viewport()
    size = viewport.size()
    whole = QImage(size, QImage.Format.Format_RGB32)
    whole.fill(0)
    viewport.render(whole)
    pieces = QImage(size, QImage.Format.Format_RGB32)
    pieces.fill(0)
    painter = QPainter(pieces)
    for top in range(0, size.height(), 23):
        for left in range(0, size.width(), 37):
            piece = QRect(left, top, 37, 23)
            viewport.render(painter, piece.topLeft(), QRegion(piece))
    painter.end()
    assert whole == pieces
    # And the overlay really is in the picture (the test would pass on a blank view).
    on_stroke = QColor(whole.pixel(canvas.map_from_image(QPointF(150, 60)).toPoint()))
    assert on_stroke.green() > on_stroke.red() + 20
