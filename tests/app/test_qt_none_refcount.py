"""Every paint path of ours, driven a few hundred times, must leave ``None`` alone.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` on every call of a Qt
method that returns nothing (``QPainter.setPen``, ``QPainterPath.lineTo``, ...). Before
Python 3.12 ``None`` is not immortal, so a long session aborts with ``Fatal Python
error: none_dealloc`` once the count reaches zero (docs/decisions.md, "Qt bindings").
With such bindings installed this test fails by thousands; with good ones the count
stays where it was. (From Python 3.12 on ``None`` is immortal and its count is fixed.)
"""

from __future__ import annotations

import gc
import sys

import numpy as np
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtTest import QTest

from sdstudio.app.training_wizard.loss_plot import LossPlot
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, paint_stroke, photo

ROUNDS = 200
# Ordinary bookkeeping moves the count by a few either way (an object holding a None
# attribute is freed); the binding bug removes 10-25 per repaint, thousands in all.
ALLOWED_DROP = 100


def _none_refs() -> int:
    gc.collect()
    return sys.getrefcount(None)


class _EveryPaintPath:
    """One round of what a person does: paint, hover, zoom, pan, compare, watch training."""

    def __init__(self, qtbot, window) -> None:
        self.window = window
        self.canvas = window.canvas
        self.plot = LossPlot()
        qtbot.addWidget(self.plot)
        self.plot.resize(320, 180)
        self.plot.show()
        self.step = 0

    def run(self, index: int) -> None:
        canvas, viewport = self.canvas, self.canvas.viewport()
        offset = index % 20
        paint_stroke(canvas, [(10 + offset, 10), (30 + offset, 20), (50, 30 + offset)])
        if index % 3 == 0:
            canvas.set_tool("eraser")
            paint_stroke(canvas, [(12 + offset, 12), (28, 18)])
            canvas.set_tool("brush")
        # Hovering draws the brush outline; a repaint draws photo, mask overlay, outline.
        QTest.mouseMove(viewport, QPoint(60 + offset, 50))
        viewport.repaint()
        canvas.set_zoom(canvas.zoom() * (1.25 if index % 2 else 0.8), QPointF(80, 60))
        canvas.horizontalScrollBar().setValue(canvas.horizontalScrollBar().value() + 3)
        viewport.repaint()
        canvas.split.set_enabled(True)
        canvas.split.set_fraction(0.3 + 0.02 * offset)
        viewport.repaint()
        canvas.split.set_enabled(False)
        canvas.set_showing_original(True)
        viewport.repaint()
        canvas.set_showing_original(False)
        # The wizard's live page: the loss plot grows by a few steps per round.
        for _ in range(3):
            self.step += 1
            self.plot.add(self.step, {"g_total": 1.0 / self.step, "d_total": 0.5})
        self.plot.repaint()
        # Everything else on screen: panels (style thumbnails are button icons), the
        # status bar, the docks; ``grab`` renders each custom widget's paint code.
        if index % 10 == 0:
            self.window.grab()


def test_painting_for_a_long_session_keeps_none_referenced(qtbot, window):
    window.job_controller.use_engine(FakeEngine(steps=2))
    style = window.task_panels.style
    window.panel_tabs.setCurrentWidget(style)
    with qtbot.waitSignal(style.thumbnails_ready, timeout=10_000):
        open_photo(window, photo(120, 160))
    rounds = _EveryPaintPath(qtbot, window)
    for index in range(5):  # warm-up: caches, fonts, first paints
        rounds.run(index)
    before = _none_refs()
    for index in range(ROUNDS):
        rounds.run(index)
        _assert_none_kept(before, index + 1)


def _assert_none_kept(before: int, rounds: int) -> None:
    # Checked every round: leaking bindings would otherwise drain the count to zero and
    # abort the test process instead of failing this test.
    after = _none_refs()
    assert after >= before - ALLOWED_DROP, (
        f"sys.getrefcount(None) fell by {before - after} over {rounds} round(s) of painting: "
        "the installed Qt bindings leak None and will abort a long session"
    )


def test_transparent_photos_paint_the_checkerboard_without_leaking(qtbot, window):
    rgba = np.dstack([photo(80, 100), np.full((80, 100), 128, np.uint8)])
    open_photo(window, rgba)
    viewport = window.canvas.viewport()
    viewport.repaint()
    before = _none_refs()
    for index in range(ROUNDS):
        window.canvas.set_zoom(1.0 + (index % 4) * 0.5, QPointF(50, 40))
        QTest.mouseMove(viewport, QPoint(40 + index % 7, 30))
        viewport.repaint()
        _assert_none_kept(before, index + 1)
    assert window.canvas.document.image.shape[2] == 4  # the checkerboard path was drawn
