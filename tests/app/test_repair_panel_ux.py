"""The Repair panel as a person uses it: a button that stays put, a result they can see,
a mask margin, and History steps that say what ran."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtTest import QTest

from sdstudio.app.panels import repair_panel
from sdstudio.app.panels.common import MethodChoice
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, paint_stroke, photo

JOB_TIMEOUT_MS = 5000


@pytest.fixture
def engine(window):
    fake = FakeEngine(steps=2)
    window.job_controller.use_engine(fake)
    return fake


def _show_repair_panel(qtbot, window):
    panel = window.task_panels.repair
    window.panel_tabs.setCurrentWidget(panel)
    qtbot.waitUntil(panel.isVisible)
    return panel


def _paint_mask(qtbot, window, points=((60, 50), (90, 55), (120, 60))):
    paint_stroke(window.canvas, list(points))
    qtbot.waitUntil(window.task_panels.repair.repair_button.isEnabled)


def _button_place(qtbot, window, button) -> QRect:
    qtbot.wait(20)  # the layout settles on the next pass of the event loop
    return QRect(button.mapTo(window, QPoint(0, 0)), button.size())


def _visit_every_method(qtbot, window, panel) -> list[QRect]:
    """Chooses each method with the keyboard, as a person would; the button's place each time."""
    combo = panel.method_combo
    # A newly listed method can make the panel taller than the dock gave it; the dock
    # grows on a later layout pass, which a busy machine may take longer than 20 ms for.
    qtbot.waitUntil(lambda: panel.height() >= panel.minimumSizeHint().height(), timeout=2_000)
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    places = [_button_place(qtbot, window, panel.repair_button)]
    seen = [combo.currentIndex()]
    for _ in range(combo.count() - 1):
        QTest.keyClick(combo, Qt.Key.Key_Down)
        seen.append(combo.currentIndex())
        places.append(_button_place(qtbot, window, panel.repair_button))
    assert seen == list(range(combo.count()))
    return places


def test_repair_button_stays_put_whatever_the_method(qtbot, window, engine):
    open_photo(window, photo(160, 220))
    panel = _show_repair_panel(qtbot, window)
    _paint_mask(qtbot, window)
    assert panel.method_combo.count() >= 3
    places = _visit_every_method(qtbot, window, panel)
    assert set(places) == {places[0]}, places


def test_button_stays_put_with_a_diffusion_method_and_a_long_description(
    qtbot, window, engine, monkeypatch
):
    listed, best = repair_panel.task_methods("repair")
    long_text = " ".join(["This community model describes itself at great length."] * 6)
    extra = [
        MethodChoice("sd:inpaint", "Stable Diffusion Inpainting", "Prompted fill.", "diffusion"),
        MethodChoice("lama-big", "Big LaMa", long_text, "community"),
    ]
    monkeypatch.setattr(repair_panel, "task_methods", lambda task: (listed + extra, best))
    panel = _show_repair_panel(qtbot, window)
    panel.refresh_models()
    places = _visit_every_method(qtbot, window, panel)
    assert set(places) == {places[0]}, places
    # The long description is cut to its lines; the whole of it is the tooltip.
    assert panel.selected_method().id == "lama-big"
    shown = panel.method_description.text()
    assert shown.endswith("…") and len(shown) < len(long_text)
    assert panel.method_description.toolTip() == long_text
    window.grab().save("/tmp/shots/repair_panel_long_description.png")
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("sd:inpaint"))
    assert panel.prompt_edit.isVisible()
    qtbot.wait(20)
    window.grab().save("/tmp/shots/repair_panel_diffusion.png")
    assert panel.method_description.toolTip() == ""  # short text: nothing hidden


def test_repair_result_shows_at_once_and_the_mask_is_kept(qtbot, window, engine):
    pixels = photo(160, 220)
    open_photo(window, pixels)
    panel = _show_repair_panel(qtbot, window)
    _paint_mask(qtbot, window)
    overlay, show_mask = window.canvas.overlay, window.actions_.show_mask
    assert overlay.visible and show_mask.isChecked()
    mask_before = window.document.mask.copy()
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        QTest.mouseClick(panel.repair_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(window.document.image, 255 - pixels)
    assert not overlay.visible and not show_mask.isChecked()
    np.testing.assert_array_equal(window.document.mask, mask_before)  # kept for a retry
    assert panel.repair_button.isEnabled()
    qtbot.wait(50)  # the hint's new text is laid out on the next event-loop pass
    window.grab().save("/tmp/shots/repair_result_overlay_hidden.png")

    paint_stroke(window.canvas, [(20, 20), (30, 25)])  # painting again: the mask is back
    assert overlay.visible and show_mask.isChecked()


def test_undoing_the_repair_or_pressing_show_mask_brings_the_overlay_back(qtbot, window, engine):
    open_photo(window, photo(160, 220))
    panel = _show_repair_panel(qtbot, window)
    _paint_mask(qtbot, window)
    overlay, show_mask = window.canvas.overlay, window.actions_.show_mask
    for bring_back in (window.actions_.undo.trigger, show_mask.trigger):
        with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
            QTest.mouseClick(panel.repair_button, Qt.MouseButton.LeftButton)
        assert not overlay.visible
        bring_back()
        assert overlay.visible and show_mask.isChecked()


def _dot_radius(mask: np.ndarray) -> float:
    columns = np.flatnonzero(mask.any(axis=0))
    return (columns[-1] - columns[0]) / 2


def _paint_dot(qtbot, window):
    window.canvas.set_brush(size=21.0, hardness=1.0)
    paint_stroke(window.canvas, [(110, 80)])
    qtbot.waitUntil(window.task_panels.repair.grow_button.isEnabled)
    return window.document.mask.copy()


def test_grow_and_shrink_buttons_move_the_mask_edge_in_one_undo_step(qtbot, window, engine):
    open_photo(window, photo(160, 220))
    panel = _show_repair_panel(qtbot, window)
    assert not panel.grow_button.isEnabled()  # no mask yet
    dot = _paint_dot(qtbot, window)
    document = window.document
    panel.margin_spin.setValue(5)
    QTest.mouseClick(panel.grow_button, Qt.MouseButton.LeftButton)
    assert _dot_radius(document.mask) == pytest.approx(_dot_radius(dot) + 5, abs=1)
    assert document.undo_stack.undoText() == "Grow mask 5 px"
    window.actions_.undo.trigger()
    np.testing.assert_array_equal(document.mask, dot)

    QTest.mouseClick(panel.shrink_button, Qt.MouseButton.LeftButton)
    assert _dot_radius(document.mask) == pytest.approx(_dot_radius(dot) - 5, abs=1)
    assert document.undo_stack.undoText() == "Shrink mask 5 px"
    qtbot.wait(50)
    window.grab().save("/tmp/shots/repair_panel_margin.png")
    window.actions_.undo.trigger()
    np.testing.assert_array_equal(document.mask, dot)


def test_mask_menu_grows_by_the_pixels_asked(qtbot, window, engine, monkeypatch):
    open_photo(window, photo(160, 220))
    margin = window.actions_.mask_margin
    asked: list[str] = []
    answers = iter([8, None])
    monkeypatch.setattr(
        margin, "ask_margin_pixels", lambda verb: asked.append(verb) or next(answers)
    )
    mask_menu = next(
        action.menu() for action in window.menuBar().actions() if action.text() == "Mas&k"
    )
    mask_menu.aboutToShow.emit()  # what opening the menu does
    assert not window.actions_.grow_mask.isEnabled()  # nothing to grow
    dot = _paint_dot(qtbot, window)
    mask_menu.aboutToShow.emit()
    assert window.actions_.grow_mask.isEnabled() and window.actions_.shrink_mask.isEnabled()
    assert window.actions_.grow_mask in mask_menu.actions()

    window.actions_.grow_mask.trigger()
    assert asked == ["Grow"]
    assert _dot_radius(window.document.mask) == pytest.approx(_dot_radius(dot) + 8, abs=1)
    assert window.document.undo_stack.undoText() == "Grow mask 8 px"
    steps = window.document.undo_stack.count()
    window.actions_.shrink_mask.trigger()  # the person cancels the question
    assert asked == ["Grow", "Shrink"]
    assert window.document.undo_stack.count() == steps
    window.document.undo_stack.undo()
    np.testing.assert_array_equal(window.document.mask, dot)


def test_history_names_the_chosen_method(qtbot, window, engine):
    open_photo(window, photo(160, 220))
    panel = _show_repair_panel(qtbot, window)
    _paint_mask(qtbot, window)
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("telea"))
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        QTest.mouseClick(panel.repair_button, Qt.MouseButton.LeftButton)
    assert window.document.undo_stack.undoText() == "Repair (Telea)"
    qtbot.wait(50)
    window.grab().save("/tmp/shots/repair_history_title.png")
