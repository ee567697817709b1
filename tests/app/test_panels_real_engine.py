"""Each panel once with the real engine, driven as a person would: strokes, clicks."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sdstudio.job_queue import JobEventKind
from tests.app.panel_helpers import open_photo, paint_stroke, photo
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401  (autouse)

# The first job imports torch and the engine on the worker thread: be generous.
REAL_JOB_TIMEOUT_MS = 120_000


def _click(button) -> None:
    assert button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def _run_and_wait(qtbot, window, button) -> None:
    controller = window.job_controller
    failures: list[str] = []
    controller.job_failed.connect(lambda _id, message: failures.append(message))

    def finished(event) -> bool:
        return event.kind is JobEventKind.FINISHED

    with qtbot.waitSignal(
        controller.worker.event, check_params_cb=finished, timeout=REAL_JOB_TIMEOUT_MS
    ):
        _click(button)
    qtbot.waitUntil(lambda: not controller.is_busy(), timeout=5000)
    assert failures == []


def test_repair_with_telea_fills_the_painted_scribble(qtbot, window):
    clean = photo(72, 96)
    damaged = clean.copy()
    damaged[30:34, 20:70] = 0  # a black scratch across the gradient
    open_photo(window, damaged)
    panel = window.task_panels.repair
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("telea"))
    assert panel.selected_method().id == "telea"
    window.canvas.set_brush(size=8.0)
    paint_stroke(window.canvas, [(18, 32), (45, 32), (72, 32)])
    document = window.document
    assert document.mask[32, 20:70].all()  # the stroke covers the scratch
    qtbot.waitUntil(panel.repair_button.isEnabled)

    _run_and_wait(qtbot, window, panel.repair_button)

    scratch = (slice(30, 34), slice(20, 70))
    assert document.image[scratch].min() > 0  # no black left
    error = np.abs(document.image[scratch].astype(int) - clean[scratch].astype(int)).mean()
    assert error < 25  # filled from the surrounding gradient
    far = document.mask == 0
    far[20:44, 10:82] = False  # beyond the dilated mask
    np.testing.assert_array_equal(document.image[far], damaged[far])
    assert document.undo_stack.undoText() == "Repair (Telea)"
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, damaged)


def test_style_preset_click_applies_the_pencil_sketch(qtbot, window):
    pixels = photo(72, 96)
    open_photo(window, pixels)
    panel = window.task_panels.style
    window.panel_tabs.setCurrentWidget(panel)
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=REAL_JOB_TIMEOUT_MS):
        pass  # the live thumbnails of the opened photo
    plain = panel.preset_buttons["cartoon"].icon().pixmap(96, 96).toImage()
    _run_and_wait(qtbot, window, panel.preset_buttons["pencil_sketch"])
    styled = window.document.image.astype(int)
    assert styled.shape == pixels.shape
    assert np.abs(styled - pixels).mean() > 10  # visibly changed
    # A grey pencil drawing: the three channels agree.
    assert np.abs(styled[..., 0] - styled[..., 1]).max() <= 8
    assert window.document.history_params()[-1]["preset"] == "pencil_sketch"
    # A click now redoes the step from the photo before it, so the thumbnails still
    # preview the photo; with "Apply on top" they show the pencil drawing, styled again.
    qtbot.waitUntil(lambda: panel.thumbnails_pending() == 0, timeout=REAL_JOB_TIMEOUT_MS)
    assert panel.preset_buttons["cartoon"].icon().pixmap(96, 96).toImage() == plain
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=REAL_JOB_TIMEOUT_MS):
        panel.on_top_check.setChecked(True)
    after = panel.preset_buttons["cartoon"].icon().pixmap(96, 96).toImage()
    assert after.width() == 96 and after.height() == 72
    assert after != plain


def _enhance_panel_at_x2(window, pixels: np.ndarray):
    open_photo(window, pixels)
    panel = window.task_panels.enhance
    window.panel_tabs.setCurrentWidget(panel)
    panel.set_scale(2)
    return panel


def test_enhance_x2_doubles_the_size(qtbot, window):
    pixels = photo(40, 52)
    panel = _enhance_panel_at_x2(window, pixels)
    panel.sharpen.slider.setValue(30)
    _run_and_wait(qtbot, window, panel.enhance_button)
    document = window.document
    assert document.image.shape == (80, 104, 3)
    assert document.mask.shape == (80, 104)
    params = document.history_params()[-1]
    assert params["scale"] == 2 and params["sharpen"] == pytest.approx(0.3)
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, pixels)


def test_vintage_film_click_uses_the_shipped_network_and_its_film_finish(qtbot, window):
    pixels = photo(72, 96)
    open_photo(window, pixels)
    panel = window.task_panels.style
    window.panel_tabs.setCurrentWidget(panel)
    assert panel.use_trained_check.isVisible() and panel.use_trained_check.isChecked()
    panel.strength.slider.setValue(100)
    _run_and_wait(qtbot, window, panel.preset_buttons["vintage_film"])
    learnt = window.document.image.copy()
    params = window.document.history_params()[-1]
    assert params["method"] == "sdstudio-style-vintage-film"
    assert window.document.undo_stack.undoText() == "Style: Vintage film, 100 %"
    window.document.undo_stack.undo()
    panel.use_trained_check.setChecked(False)
    _run_and_wait(qtbot, window, panel.preset_buttons["vintage_film"])
    procedural = window.document.image.astype(int)
    assert window.document.history_params()[-1]["method"] == "filters"
    # The network reproduces the preset's grade, and the same grain and vignette follow.
    assert np.abs(learnt.astype(int) - procedural).mean() < 6
    assert np.abs(procedural - pixels).mean() > 15


def test_enhance_offers_the_detail_variant_but_automatic_is_the_fidelity_model(qtbot, window):
    panel = _enhance_panel_at_x2(window, photo(40, 52))
    combo = panel.model_combo
    detail = combo.findData("sdstudio-enhance-x2-detail")
    assert detail >= 0 and "(detail)" in combo.itemText(detail)
    _run_and_wait(qtbot, window, panel.enhance_button)  # "Automatic (best for the scale)"
    automatic = window.document.image.copy()
    assert window.document.history_params()[-1]["upscaler"] == "sdstudio-enhance-x2"
    window.document.undo_stack.undo()
    combo.setCurrentIndex(detail)
    _run_and_wait(qtbot, window, panel.enhance_button)
    assert window.document.history_params()[-1]["upscaler"] == "sdstudio-enhance-x2-detail"
    assert window.document.image.shape == automatic.shape == (80, 104, 3)
    assert not np.array_equal(window.document.image, automatic)


def test_style_with_a_mask_changes_only_the_painted_area(qtbot, window):
    pixels = photo(72, 96)
    open_photo(window, pixels)
    window.canvas.set_brush(size=10.0, hardness=1.0)
    paint_stroke(window.canvas, [(20, 36), (50, 36), (76, 36)])
    panel = window.task_panels.style
    panel.strength.slider.setValue(100)
    _run_and_wait(qtbot, window, panel.preset_buttons["cartoon"])
    document = window.document
    painted = document.mask > 0
    changed = (document.image != pixels).any(axis=2)
    assert changed[painted].mean() > 0.5
    assert not changed[~painted].any()  # weight 0 outside the mask: untouched
