"""Restore old photo: one click on a scratched photo finds the damage, repairs it and
enhances gently, in three undo steps; Cancel keeps the steps done; Undo gives the photo
back. The real engine runs (the shipped tiny detector, Telea, the classical enhance)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from sdstudio.engine.runner import run_job
from sdstudio.jobs import DamageJob, JobResult, Progress, RepairJob
from tests.app.panel_helpers import open_photo
from tests.app.test_find_damage import damaged_photo

GENTLE_TITLE = "Restore: gentle enhance (denoise 20 %, sharpen 20 %)"


def _step_titles(document, count: int) -> list[str]:
    stack = document.undo_stack
    return [stack.command(index).text() for index in range(stack.count() - count, stack.count())]


def _wait_until_restored(qtbot, window, action) -> None:
    controller = window.job_controller
    qtbot.waitUntil(lambda: not action.is_running() and not controller.is_busy(), timeout=120_000)


@dataclass
class _MenuEntry:
    menu: QMenu
    action: QAction


def _image_menu_entry(window, text: str) -> _MenuEntry:
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is not None and menu.title() == "&Image":
            return next(_MenuEntry(menu, item) for item in menu.actions() if item.text() == text)
    raise LookupError("no Image menu")


def _restore_panel(window):
    panel = window.task_panels.repair
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("telea"))
    return panel, panel.restore_action


def test_one_click_restores_in_three_undo_steps_and_undo_gives_the_photo_back(qtbot, window):
    photo, truth = damaged_photo()
    open_photo(window, photo)
    document = window.document
    panel, action = _restore_panel(window)
    assert action.button.isEnabled() and action.enhance_check.isChecked()  # on by default
    steps = document.undo_stack.count()

    qtbot.mouseClick(action.button, Qt.MouseButton.LeftButton)
    assert not action.button.isEnabled() and "Restoring" in action.button.text()
    # Find damage waits too: a second proposal would land between the restore's steps.
    assert not panel.find_damage_button.isEnabled()
    _wait_until_restored(qtbot, window, action)
    assert panel.find_damage_button.isEnabled()

    assert document.undo_stack.count() == steps + 3
    find, repair, enhance = _step_titles(document, 3)
    assert find == "Restore: find damage (sensitivity 50 %)"
    assert repair.startswith("Restore: repair (Telea")
    assert enhance == GENTLE_TITLE
    scratch = truth > 0
    assert photo[scratch].mean() > 240  # bright scratches...
    assert document.image[scratch].mean() < photo[scratch].mean() - 60  # ...repaired
    assert document.image.shape == photo.shape  # the gentle enhance keeps the size
    assert not window.canvas.overlay.visible  # the mask steps aside: the result shows
    assert action.button.isEnabled() and action.button.text() == "Restore old photo"
    assert not window.errors
    qtbot.wait(100)  # the panel's hint and the canvas repaint before the screenshot
    window.grab().save("/tmp/restore.png")

    for _ in range(3):
        window.actions_.undo.trigger()
    np.testing.assert_array_equal(document.image, photo)
    assert document.mask_is_empty()


def test_the_menu_entry_restores_without_the_enhance_when_it_is_unticked(qtbot, window):
    photo, _truth = damaged_photo()
    open_photo(window, photo)
    panel, action = _restore_panel(window)
    action.enhance_check.setChecked(False)
    window.panel_tabs.setCurrentIndex(1)  # Style: the menu entry brings Repair forward
    entry = _image_menu_entry(window, "Restore &Old Photo")
    entry.menu.aboutToShow.emit()  # as when the person opens the Image menu
    assert entry.action.isEnabled()
    entry.action.trigger()
    assert window.panel_tabs.currentWidget() is panel
    _wait_until_restored(qtbot, window, action)
    find, repair = _step_titles(window.document, 2)
    assert find.startswith("Restore: find damage") and repair.startswith("Restore: repair")
    changed = np.any(window.document.image != photo, axis=2)
    assert changed.any() and not changed[window.document.mask == 0].any()  # no enhance


def test_cancelling_during_the_repair_keeps_the_damage_that_was_found(qtbot, window):
    photo, _truth = damaged_photo()
    open_photo(window, photo)
    document, controller = window.document, window.job_controller
    _panel, action = _restore_panel(window)
    gate = threading.Event()

    def engine_held_at_repair(job):  # the real engine; a repair waits until released
        def work():
            if isinstance(job, RepairJob):
                yield Progress(0.0, "waiting")
                gate.wait(10)
            return (yield from run_job(job))

        return work()

    controller.use_engine(engine_held_at_repair)
    steps = document.undo_stack.count()
    qtbot.mouseClick(action.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: document.undo_stack.count() == steps + 1, timeout=60_000)
    qtbot.waitUntil(lambda: controller.current_job_id() is not None, timeout=5_000)
    assert action.button.text() == "Restoring (2 of 3)…"
    with qtbot.waitSignal(controller.job_cancelled, timeout=10_000):
        controller.cancel()
        gate.set()
    _wait_until_restored(qtbot, window, action)
    assert document.undo_stack.count() == steps + 1  # the found mask stays; nothing else ran
    assert document.undo_stack.undoText().startswith("Restore: find damage")
    assert not document.mask_is_empty()
    np.testing.assert_array_equal(document.image, photo)
    assert action.button.isEnabled()


def test_a_photo_without_damage_skips_the_repair_and_says_so(qtbot, window):
    photo, _truth = damaged_photo()
    open_photo(window, photo)
    document, controller = window.document, window.job_controller
    _panel, action = _restore_panel(window)

    def engine_finding_nothing(job):  # the real engine, but the finder sees no damage
        if not isinstance(job, DamageJob):
            return run_job(job)

        def work():
            yield Progress(1.0, "Finding damage")
            nothing = np.zeros(job.image.shape[:2], np.uint8)
            return JobResult(job.image, mask=nothing, probability=nothing,
                             params={"sensitivity": job.sensitivity})  # fmt: skip

        return work()

    controller.use_engine(engine_finding_nothing)
    steps = document.undo_stack.count()
    qtbot.mouseClick(action.button, Qt.MouseButton.LeftButton)
    _wait_until_restored(qtbot, window, action)
    # The empty mask was already empty (no step); no repair; the gentle enhance ran.
    assert _step_titles(document, document.undo_stack.count() - steps) == [GENTLE_TITLE]
    assert action.last_note == "Restore: No damage was found, so nothing was repaired."
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == action.last_note, timeout=2_000)
