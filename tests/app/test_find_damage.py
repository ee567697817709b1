"""Find damage in the Repair panel: the real (tiny) detector proposes the mask, the
person edits it with the eraser, and Repair fills only what is left."""

from __future__ import annotations

import threading

import cv2
import numpy as np
from PySide6.QtCore import Qt

from sdstudio.engine.runner import run_job
from sdstudio.jobs import Progress
from sdstudio.training.damage_scores import MaskCounts
from tests.app.conftest import make_photo
from tests.app.panel_helpers import open_photo, paint_stroke

SCRATCHES = (((20, 40), (300, 200)), ((40, 210), (290, 30)))


def damaged_photo() -> tuple[np.ndarray, np.ndarray]:
    photo = make_photo(320, 240, seed=3)
    truth = np.zeros(photo.shape[:2], np.uint8)
    for start, end in SCRATCHES:
        cv2.line(truth, start, end, 255, 2)
    photo[truth > 0] = 250
    return photo, truth


def scores(mask: np.ndarray, truth: np.ndarray) -> MaskCounts:
    counts = MaskCounts()
    counts.add(mask, truth, tolerance=2)
    return counts


def find_damage(qtbot, window, panel) -> None:
    controller = window.job_controller
    with qtbot.waitSignal(controller.mask_proposed, timeout=120_000):
        qtbot.mouseClick(panel.find_damage_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not controller.is_busy(), timeout=5_000)


def test_find_damage_proposes_an_editable_mask_that_repair_fills(qtbot, window):
    photo, truth = damaged_photo()
    open_photo(window, photo)
    document, panel = window.document, window.task_panels.repair
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("telea"))
    assert document.mask_is_empty() and not panel.repair_button.isEnabled()
    steps = document.undo_stack.count()

    find_damage(qtbot, window, panel)
    proposal = document.mask.copy()
    counts = scores(proposal, truth)
    assert counts.recall >= 0.5 and counts.precision >= 0.5, counts
    assert document.undo_stack.count() == steps + 1  # one undo step
    assert document.undo_stack.undoText() == "Find damage (sensitivity 50 %)"
    np.testing.assert_array_equal(document.image, photo)  # the photo is not changed
    qtbot.waitUntil(panel.repair_button.isEnabled, timeout=2_000)  # the mask is set
    window.grab().save("/tmp/shots/find_damage.png")

    # The slider re-thresholds the kept probabilities, replacing the proposal's step.
    panel.sensitivity.slider.setValue(95)
    qtbot.waitUntil(lambda: "95 %" in document.undo_stack.undoText(), timeout=5_000)
    assert document.undo_stack.count() == steps + 1
    assert int((document.mask > 0).sum()) > int((proposal > 0).sum())
    panel.sensitivity.slider.setValue(50)
    qtbot.waitUntil(lambda: "50 %" in document.undo_stack.undoText(), timeout=5_000)
    assert document.undo_stack.count() == steps + 1
    np.testing.assert_array_equal(document.mask, proposal)

    # A real eraser stroke along the first scratch's start takes it out of the mask.
    window.canvas.set_tool("eraser")
    window.canvas.set_brush(size=12)
    (x0, y0), (x1, y1) = SCRATCHES[0]
    along = [(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t) for t in np.linspace(0.05, 0.3, 12)]
    paint_stroke(window.canvas, along)
    assert document.undo_stack.count() == steps + 2
    erased = document.mask.copy()
    for x, y in along:
        assert erased[round(y), round(x)] == 0
    assert (erased > 0).sum() < (proposal > 0).sum() and (erased > 0).any()

    with qtbot.waitSignal(window.job_controller.result_applied, timeout=60_000):
        qtbot.mouseClick(panel.repair_button, Qt.MouseButton.LeftButton)
    changed = np.any(document.image != photo, axis=2)
    assert changed.any()
    assert not changed[erased == 0].any()  # only the (edited) mask was filled
    for x, y in along:  # the erased stretch keeps its scratch
        np.testing.assert_array_equal(document.image[round(y), round(x)], photo[round(y), round(x)])
    qtbot.wait(100)  # let the panel lay out its new hint before the screenshot
    window.grab().save("/tmp/shots/find_damage_repaired.png")


def test_mask_menu_find_damage_runs_the_panel_and_a_photo_edit_drops_the_proposal(qtbot, window):
    photo, truth = damaged_photo()
    open_photo(window, photo)
    panel = window.task_panels.repair
    controller = window.job_controller
    window.panel_tabs.setCurrentIndex(1)  # Style: the action brings Repair forward
    with qtbot.waitSignal(controller.mask_proposed, timeout=120_000):
        window.actions_.find_damage.trigger()
    assert window.panel_tabs.currentWidget() is panel
    assert scores(window.document.mask, truth).recall >= 0.5
    assert panel.damage_finder.has_proposal()
    window.document.apply_result("Edit", 255 - photo, {})  # the photo changed
    assert not panel.damage_finder.has_proposal()
    steps = window.document.undo_stack.count()
    panel.sensitivity.slider.setValue(90)
    qtbot.wait(500)  # past the settle delay: nothing to re-threshold any more
    assert window.document.undo_stack.count() == steps


def test_cancelling_find_damage_leaves_the_mask_and_history_alone(qtbot, window):
    photo, _truth = damaged_photo()
    open_photo(window, photo)
    panel, controller = window.task_panels.repair, window.job_controller
    gate = threading.Event()

    def held_engine(job):  # the real engine, held at its first progress until released
        def work():
            yield Progress(0.0, "waiting")
            gate.wait(10)
            return (yield from run_job(job))

        return work()

    controller.use_engine(held_engine)
    steps = window.document.undo_stack.count()
    qtbot.mouseClick(panel.find_damage_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: controller.current_job_id() is not None, timeout=5_000)
    assert not panel.find_damage_button.isEnabled()
    with qtbot.waitSignal(controller.job_cancelled, timeout=10_000):
        controller.cancel()
        gate.set()
    assert window.document.mask_is_empty()
    assert window.document.undo_stack.count() == steps
    assert not panel.damage_finder.has_proposal()
    qtbot.waitUntil(panel.find_damage_button.isEnabled, timeout=2_000)
