"""Image > Extend Canvas… runs as a job: the real engine fills the border, Cancel stops it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from sdstudio.app.image_dialogs import ExtendChoice
from sdstudio.engine.extend import SEAM_OVERLAP
from sdstudio.engine.repair import blend_ring_width
from sdstudio.jobs import ExtendJob
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, paint_stroke, photo

SHOTS = "/tmp/shots"


def ask_for(window, monkeypatch, choice: ExtendChoice) -> None:
    monkeypatch.setattr(window.image_tools, "ask_extend", lambda width, height: choice)


def test_extend_canvas_with_the_real_engine_is_one_undo_step(qtbot, window, monkeypatch):
    pixels = photo(72, 96, seed=4)
    open_photo(window, pixels)
    paint_stroke(window.canvas, [(20, 20), (50, 30)])
    document, controller = window.document, window.job_controller
    mask = document.mask.copy()
    ask_for(window, monkeypatch, ExtendChoice(left=0, top=12, right=24, bottom=0))
    with qtbot.waitSignal(controller.result_applied, timeout=60_000) as applied:
        window.image_tools.actions["extend"].trigger()
    assert not window.errors
    assert document.size() == (96 + 24, 72 + 12)
    title = applied.args[1]
    assert title == "Extend canvas to 120 × 84 (top 12, right 24 px)"
    # The photo sits where it was, untouched but for the blend along the new borders.
    band = SEAM_OVERLAP + blend_ring_width(84, 120) + 1
    kept = document.image[12 + band :, : 96 - band]
    np.testing.assert_array_equal(kept, pixels[band:, : 96 - band])
    border = document.image[12 + band :, 96 + 4 :].astype(np.float64)
    assert border.std(axis=(0, 1)).min() > 2  # filled with texture, not one flat colour
    assert document.mask.shape == (84, 120) and not document.mask.any()  # as after an upscale
    params = document.history_params()[-1]
    assert params["task"] == "extend" and params["right"] == 24 and params["top"] == 12
    QApplication.processEvents()
    window.grab().save(f"{SHOTS}/17a_extend_canvas.png")
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, pixels)
    np.testing.assert_array_equal(document.mask, mask)


def test_extend_canvas_shows_progress_and_cancel_leaves_the_photo(qtbot, window, monkeypatch):
    engine = FakeEngine(steps=400, step_seconds=0.02)
    window.job_controller.use_engine(engine)
    pixels = photo(40, 50)
    open_photo(window, pixels)
    ask_for(window, monkeypatch, ExtendChoice(left=10, top=0, right=10, bottom=0))
    controller = window.job_controller
    window.image_tools.actions["extend"].trigger()
    qtbot.waitUntil(lambda: controller.status_widget.progress_bar.value() > 0, timeout=10_000)
    assert controller.status_widget.isVisible()
    (job,) = engine.jobs
    assert isinstance(job, ExtendJob) and (job.left, job.right) == (10, 10)
    with qtbot.waitSignal(controller.job_cancelled, timeout=10_000):
        qtbot.mouseClick(controller.status_widget.cancel_button, Qt.MouseButton.LeftButton)
    assert engine.closed_ids == [job.job_id]
    np.testing.assert_array_equal(window.document.image, pixels)
    assert window.document.undo_stack.count() == 0


def test_extend_canvas_asked_nothing_runs_nothing(window, monkeypatch):
    engine = FakeEngine(steps=1)
    window.job_controller.use_engine(engine)
    open_photo(window, photo(40, 50))
    ask_for(window, monkeypatch, None)  # Cancel in the dialog
    window.image_tools.actions["extend"].trigger()
    ask_for(window, monkeypatch, ExtendChoice(0, 0, 0, 0))  # nothing to add
    window.image_tools.actions["extend"].trigger()
    QApplication.processEvents()
    assert engine.jobs == [] and not window.job_controller.is_busy()
