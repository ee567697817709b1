"""A style step stays adjustable: Strength or another preset redo it from the photo before it.

Driven through the real Style panel with the scripted fake engine, which inverts the
colours of whatever it is given, so a job's input tells which picture it started from.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sdstudio.app.panels.common import small_copy
from sdstudio.app.panels.style_panel import THUMBNAIL_SIDE
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, paint_stroke, photo
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401  (autouse)

JOB_TIMEOUT_MS = 5000


@pytest.fixture
def engine(window):
    fake = FakeEngine(steps=2)
    window.job_controller.use_engine(fake)
    return fake


@pytest.fixture
def panel(window):
    return window.task_panels.style


def _click(button) -> None:
    assert button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def _apply(qtbot, window, panel, preset: str) -> None:
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.preset_buttons[preset])


def _set_strength(qtbot, window, panel, percent: int) -> None:
    """Moves Strength as the keyboard would; the re-render comes after the debounce."""
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        panel.strength.slider.setValue(percent)


def _foreground_jobs(engine: FakeEngine) -> list:
    """The style jobs that became undo steps (thumbnails run on the CPU by name)."""
    return [job for job in engine.jobs if job.device != "cpu"]


def _thumbnail_jobs(engine: FakeEngine, since: int) -> list:
    return [job for job in engine.jobs[since:] if job.device == "cpu"]


def test_strength_redoes_the_style_from_the_photo_before_it(qtbot, window, panel, engine):
    pixels = photo()
    open_photo(window, pixels)
    stack = window.document.undo_stack
    _apply(qtbot, window, panel, "watercolour")
    styled = window.document.image.copy()
    np.testing.assert_array_equal(styled, 255 - pixels)
    steps = stack.count()
    assert "redoes Watercolour" in panel.hint_label.text()

    _set_strength(qtbot, window, panel, 40)
    job = engine.jobs[-1]
    np.testing.assert_array_equal(job.image, pixels)  # the photo, not the styled picture
    assert job.preset == "watercolour" and job.strength == pytest.approx(0.4)
    assert stack.count() == steps + 1
    assert window.document.history_params()[-1]["strength"] == pytest.approx(0.4)

    stack.undo()  # back to the previous strength
    assert window.document.history_params()[-1]["strength"] == pytest.approx(1.0)
    np.testing.assert_array_equal(window.document.image, styled)


def test_another_preset_replaces_the_style_and_apply_on_top_stacks(qtbot, window, panel, engine):
    pixels = photo()
    open_photo(window, pixels)
    stack = window.document.undo_stack
    _apply(qtbot, window, panel, "oil_painting")
    steps = stack.count()
    _apply(qtbot, window, panel, "cartoon")
    np.testing.assert_array_equal(engine.jobs[-1].image, pixels)
    assert stack.count() == steps + 1 and stack.undoText() == "Style: Cartoon, 100 %"

    panel.on_top_check.setChecked(True)
    assert "redoes" not in panel.hint_label.text()
    current = window.document.image.copy()
    _apply(qtbot, window, panel, "pencil_sketch")
    np.testing.assert_array_equal(engine.jobs[-1].image, current)  # the cartoon, styled again
    # Strength adjusts that new step: it starts from the picture before the pencil sketch.
    _set_strength(qtbot, window, panel, 55)
    np.testing.assert_array_equal(engine.jobs[-1].image, current)
    assert engine.jobs[-1].preset == "pencil_sketch"


def test_each_settled_change_is_one_undo_step(qtbot, window, panel, engine):
    open_photo(window, photo())
    stack = window.document.undo_stack
    _apply(qtbot, window, panel, "charcoal")
    steps, jobs = stack.count(), len(_foreground_jobs(engine))
    slider = panel.strength.slider
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        for percent in (90, 80, 70, 60):  # keys pressed in a quick burst
            slider.setValue(percent)
    qtbot.wait(500)  # longer than the debounce: nothing else comes
    assert stack.count() == steps + 1
    assert len(_foreground_jobs(engine)) == jobs + 1
    assert engine.jobs[-1].strength == pytest.approx(0.6)

    slider.setSliderDown(True)  # a mouse drag: only the release counts
    for percent in (50, 40, 30):
        slider.setValue(percent)
    qtbot.wait(500)
    assert stack.count() == steps + 1
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        slider.setSliderDown(False)
    assert stack.count() == steps + 2 and engine.jobs[-1].strength == pytest.approx(0.3)

    slider.setSliderDown(True)  # pressed and released where it was: nothing to redo
    slider.setSliderDown(False)
    qtbot.wait(500)
    assert stack.count() == steps + 2


def test_strength_before_any_style_only_sets_the_next_click(qtbot, window, panel, engine):
    open_photo(window, photo())
    steps = window.document.undo_stack.count()
    panel.strength.slider.setValue(35)
    qtbot.wait(500)
    assert window.document.undo_stack.count() == steps and not _foreground_jobs(engine)
    _apply(qtbot, window, panel, "pop_art")
    assert engine.jobs[-1].strength == pytest.approx(0.35)


def test_after_another_edit_strength_starts_a_fresh_step(qtbot, window, panel, engine):
    pixels = photo()
    open_photo(window, pixels)
    _apply(qtbot, window, panel, "watercolour")
    paint_stroke(window.canvas, [(10, 10), (30, 12)])
    repair = window.task_panels.repair
    qtbot.waitUntil(repair.repair_button.isEnabled)
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(repair.repair_button)
    repaired = window.document.image.copy()
    assert not panel.adjuster.adjustable_step()
    window.document.clear_mask()

    _set_strength(qtbot, window, panel, 60)
    np.testing.assert_array_equal(engine.jobs[-1].image, repaired)  # not the photo before
    assert engine.jobs[-1].preset == "watercolour"
    # That render is a step of its own now: the next change redoes it from the repair.
    _set_strength(qtbot, window, panel, 20)
    np.testing.assert_array_equal(engine.jobs[-1].image, repaired)


def test_a_mask_painted_after_the_style_limits_the_redone_style(qtbot, window, panel, engine):
    pixels = photo()
    open_photo(window, pixels)
    _apply(qtbot, window, panel, "oil_painting")
    paint_stroke(window.canvas, [(10, 10), (40, 14)])  # a mask stroke is not an image edit
    assert panel.adjuster.adjustable_step() is not None
    _set_strength(qtbot, window, panel, 70)
    job = engine.jobs[-1]
    np.testing.assert_array_equal(job.image, pixels)
    np.testing.assert_array_equal(job.mask, window.document.mask)


def test_strength_settled_while_styling_is_applied_after_it(qtbot, window, panel, engine):
    engine.step_seconds = 0.15
    pixels = photo()
    open_photo(window, pixels)
    stack = window.document.undo_stack
    steps = stack.count()
    _click(panel.preset_buttons["neon_glow"])
    panel.strength.slider.setValue(45)  # settles while the first job still runs
    qtbot.waitUntil(lambda: stack.count() == steps + 2, timeout=JOB_TIMEOUT_MS)
    assert engine.jobs[-1].strength == pytest.approx(0.45)
    np.testing.assert_array_equal(engine.jobs[-1].image, pixels)


def test_thumbnails_show_what_a_click_would_style(qtbot, window, panel, engine):
    window.panel_tabs.setCurrentWidget(panel)
    pixels = photo(120, 160)
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=JOB_TIMEOUT_MS):
        open_photo(window, pixels)
    first = len(engine.jobs)
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=JOB_TIMEOUT_MS):
        _apply(qtbot, window, panel, "cartoon")
    thumbnails = _thumbnail_jobs(engine, first)
    assert len(thumbnails) == len(panel.presets)
    for job in thumbnails:  # a click replaces the cartoon, so they preview the photo
        expected = (
            pixels
            if job.preset not in panel._trained_styles
            else small_copy(pixels, THUMBNAIL_SIDE)
        )
        np.testing.assert_array_equal(job.image, expected)
    after = len(engine.jobs)
    _set_strength(qtbot, window, panel, 50)
    qtbot.wait(500)
    assert len(engine.jobs) == after + 1  # the picture before the step is unchanged
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=JOB_TIMEOUT_MS):
        panel.on_top_check.setChecked(True)  # now a click styles the cartoon itself
    np.testing.assert_array_equal(engine.jobs[-1].image, window.document.image)
    icon = panel.preset_buttons["oil_painting"].icon().pixmap(96, 96).toImage()
    assert (icon.width(), icon.height()) == (96, 72)  # the styled preview, shrunk
