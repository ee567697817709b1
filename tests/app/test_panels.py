"""The Repair, Style and Enhance panels driven by clicks, with a scripted fake engine."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sdstudio.app.panels.history_titles import short_method_name
from sdstudio.engine import catalog
from sdstudio.errors import UserFacingError
from sdstudio.job_queue import JobEventKind
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, paint_stroke, photo
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401  (autouse)

JOB_TIMEOUT_MS = 5000


@pytest.fixture
def app_window(window):
    """The real main window (tests/app/conftest.py) with the panels installed."""
    return window


@pytest.fixture
def engine(app_window):
    fake = FakeEngine(steps=4)
    app_window.job_controller.use_engine(fake)
    return fake


def _panels(window):
    return window.task_panels


def _masked_photo(qtbot, window) -> np.ndarray:
    pixels = photo()
    open_photo(window, pixels)
    paint_stroke(window.canvas, [(20, 20), (30, 22), (40, 24)])
    assert not window.document.mask_is_empty()
    qtbot.waitUntil(window.task_panels.repair.repair_button.isEnabled)
    return pixels


def _is_progress(event) -> bool:
    return event.kind is JobEventKind.PROGRESS


def _click(button) -> None:
    assert button.isEnabled()
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def test_repair_button_needs_a_photo_and_a_mask(qtbot, app_window, engine):
    panel = _panels(app_window).repair
    assert not panel.repair_button.isEnabled()
    assert "Open a photo" in panel.hint_label.text()
    open_photo(app_window, photo())
    qtbot.waitUntil(lambda: "Paint over" in panel.hint_label.text())
    assert not panel.repair_button.isEnabled()
    paint_stroke(app_window.canvas, [(10, 10), (20, 12)])
    qtbot.waitUntil(panel.repair_button.isEnabled)
    app_window.document.clear_mask()
    qtbot.waitUntil(lambda: not panel.repair_button.isEnabled())


def test_repair_result_is_one_undo_step_and_undo_restores(qtbot, app_window, engine):
    document = app_window.document
    pixels = _masked_photo(qtbot, app_window)
    panel = _panels(app_window).repair
    qtbot.waitUntil(panel.repair_button.isEnabled)
    steps_before = document.undo_stack.count()
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.repair_button)
        assert not panel.repair_button.isEnabled()  # while its job runs
    np.testing.assert_array_equal(document.image, 255 - pixels)
    assert document.undo_stack.count() == steps_before + 1
    method = panel.selected_method()
    assert document.undo_stack.undoText() == f"Repair ({short_method_name(method.name)})"
    assert document.history_params()[-1]["method"] == method.id
    assert not document.mask_is_empty()  # kept, to try another method
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, pixels)
    assert panel.repair_button.isEnabled()


def test_status_bar_shows_progress_and_hides_when_idle(qtbot, app_window, engine):
    engine.steps, engine.step_seconds = 10, 0.03
    controller = app_window.job_controller
    status = controller.status_widget
    assert not status.isVisible()
    _masked_photo(qtbot, app_window)
    seen: list[float] = []
    controller.worker.event.connect(
        lambda event: seen.append(event.fraction) if _is_progress(event) else None
    )
    _click(_panels(app_window).repair.repair_button)
    qtbot.waitUntil(lambda: status.progress_bar.value() > 0, timeout=JOB_TIMEOUT_MS)
    assert status.isVisible()
    assert status.label.text().startswith("Repair: step")
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=JOB_TIMEOUT_MS)
    assert seen == sorted(seen) and seen[-1] == 1.0
    assert app_window.statusBar().currentMessage().startswith("Repair (")
    assert "done" in app_window.statusBar().currentMessage()


def test_notes_from_the_engine_reach_the_status_bar(qtbot, app_window, engine):
    engine.notes = ["Fell back to the CPU."]
    _masked_photo(qtbot, app_window)
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(_panels(app_window).repair.repair_button)
    assert "Fell back to the CPU." in app_window.statusBar().currentMessage()


@pytest.mark.parametrize("how", ["button", "escape"])
def test_cancel_stops_a_running_job_and_leaves_the_photo(qtbot, app_window, engine, how):
    engine.steps, engine.step_seconds = 200, 0.05  # 10 s unless cancelled
    document = app_window.document
    pixels = _masked_photo(qtbot, app_window)
    steps_before = document.undo_stack.count()
    controller = app_window.job_controller
    with qtbot.waitSignal(
        controller.worker.event, check_params_cb=_is_progress, timeout=JOB_TIMEOUT_MS
    ):
        _click(_panels(app_window).repair.repair_button)
    requested = time.monotonic()
    with qtbot.waitSignal(controller.job_cancelled, timeout=1000):
        if how == "button":
            _click(controller.status_widget.cancel_button)
        else:
            QTest.keyClick(app_window.canvas, Qt.Key.Key_Escape)
    assert time.monotonic() - requested < 1.0
    assert engine.closed_ids
    np.testing.assert_array_equal(document.image, pixels)
    assert document.undo_stack.count() == steps_before
    assert not controller.status_widget.isVisible()
    assert "cancelled" in app_window.statusBar().currentMessage()
    assert _panels(app_window).repair.repair_button.isEnabled()


def test_engine_error_shows_a_message_and_leaves_the_photo(qtbot, app_window, engine):
    engine.fail_at_step, engine.error = 2, UserFacingError("The model file is damaged.")
    document = app_window.document
    pixels = _masked_photo(qtbot, app_window)
    steps_before = document.undo_stack.count()
    controller = app_window.job_controller
    with qtbot.waitSignal(controller.job_failed, timeout=JOB_TIMEOUT_MS):
        _click(_panels(app_window).repair.repair_button)
    assert app_window.errors == [("Repair failed", "The model file is damaged.")]
    np.testing.assert_array_equal(document.image, pixels)
    assert document.undo_stack.count() == steps_before
    assert not controller.status_widget.isVisible()


def test_unexpected_engine_crash_is_one_readable_line(qtbot, app_window, engine):
    engine.fail_at_step, engine.error = 0, RuntimeError("CUDA error: an illegal memory access")
    _masked_photo(qtbot, app_window)
    controller = app_window.job_controller
    with qtbot.waitSignal(controller.job_failed, timeout=JOB_TIMEOUT_MS) as blocker:
        _click(_panels(app_window).repair.repair_button)
    assert blocker.args[1].startswith("Repair failed: CUDA error: an illegal memory access")
    title, message = app_window.errors[-1]
    assert title == "Repair failed" and "\n" not in message


def test_jobs_from_three_panels_queue_and_apply_in_order(qtbot, app_window, engine):
    engine.steps, engine.step_seconds = 3, 0.05
    document = app_window.document
    pixels = _masked_photo(qtbot, app_window)
    document.clear_mask()  # so Style changes the whole photo
    paint_stroke(app_window.canvas, [(5, 5), (8, 6)])
    panels = _panels(app_window)
    qtbot.waitUntil(panels.repair.repair_button.isEnabled)
    applied: list[str] = []
    app_window.job_controller.result_applied.connect(lambda _id, title: applied.append(title))
    _click(panels.repair.repair_button)
    document.clear_mask()
    qtbot.waitUntil(lambda: panels.style.hint_label.text().startswith("Click a style to"))
    panels.style.strength.slider.setValue(100)
    _click(panels.style.preset_buttons["cartoon"])
    panels.enhance.set_scale(2)
    _click(panels.enhance.enhance_button)
    assert app_window.job_controller.status_widget.label.text().endswith("(+2 queued)")
    qtbot.waitUntil(lambda: len(applied) == 3, timeout=JOB_TIMEOUT_MS)
    repair_name = short_method_name(panels.repair.selected_method().name)
    assert applied == [f"Repair ({repair_name})", "Style: Cartoon, 100 %", "Enhance x2 (automatic)"]
    # Each job was built from the result of the one before: invert, invert, double.
    expected = np.repeat(np.repeat(pixels, 2, axis=0), 2, axis=1)
    np.testing.assert_array_equal(document.image, expected)
    for _ in range(3):
        document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, pixels)


def test_canvas_takes_a_brush_stroke_while_a_job_runs(qtbot, app_window, engine):
    engine.steps, engine.step_seconds = 40, 0.05  # 2 s of "work"
    document = app_window.document
    _masked_photo(qtbot, app_window)
    controller = app_window.job_controller
    with qtbot.waitSignal(
        controller.worker.event, check_params_cb=_is_progress, timeout=JOB_TIMEOUT_MS
    ):
        _click(_panels(app_window).repair.repair_button)
    mask_before = document.mask.copy()
    zoom_before = app_window.canvas.zoom()
    started = time.monotonic()
    paint_stroke(app_window.canvas, [(50, 40), (55, 42), (60, 44)])
    app_window.canvas.zoom_in()
    assert time.monotonic() - started < 0.5  # the UI thread never waited for the job
    assert controller.current_job_id() is not None  # still running
    assert (document.mask != mask_before).any()
    assert app_window.canvas.zoom() > zoom_before
    controller.cancel()
    qtbot.waitUntil(lambda: not controller.is_busy(), timeout=JOB_TIMEOUT_MS)


def test_result_is_dropped_when_the_photo_changed_meanwhile(qtbot, app_window, engine):
    engine.steps, engine.step_seconds = 4, 0.05
    document = app_window.document
    pixels = _masked_photo(qtbot, app_window)
    panels = _panels(app_window)
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panels.enhance.enhance_button)
    enhanced = document.image.copy()
    _click(panels.style.preset_buttons["pencil_sketch"])
    document.undo_stack.undo()  # the person undoes the enhance while Style runs
    qtbot.waitUntil(lambda: not app_window.job_controller.is_busy(), timeout=JOB_TIMEOUT_MS)
    np.testing.assert_array_equal(document.image, pixels)
    assert "not applied" in app_window.statusBar().currentMessage()
    assert enhanced.shape[0] == 2 * pixels.shape[0]


def test_enhance_x2_doubles_the_size_in_one_undo_step(qtbot, app_window, engine):
    document = app_window.document
    pixels = photo()
    open_photo(app_window, pixels)
    panel = _panels(app_window).enhance
    panel.set_scale(1)
    assert not panel.enhance_button.isEnabled()  # nothing to do yet
    panel.sharpen.slider.setValue(40)
    assert panel.enhance_button.isEnabled()
    panel.set_scale(2)
    assert "64 x 48 px → 128 x 96 px" in panel.size_label.text()
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.enhance_button)
    assert document.image.shape == (96, 128, 3)
    assert document.history_params()[-1]["sharpen"] == pytest.approx(0.4)
    assert document.history_params()[-1]["scale"] == 2
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, pixels)


def test_style_applies_at_the_slider_strength_and_mask(qtbot, app_window, engine):
    document = app_window.document
    _masked_photo(qtbot, app_window)
    panel = _panels(app_window).style
    panel.strength.slider.setValue(35)
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.preset_buttons["watercolour"])
    params = document.history_params()[-1]
    assert params["preset"] == "watercolour" and params["strength"] == pytest.approx(0.35)
    assert document.undo_stack.undoText() == "Style: Watercolour, 35 %, painted area"
    job = engine.jobs[-1]
    np.testing.assert_array_equal(job.mask, document.mask)  # the mask limits the effect
    document.clear_mask()
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.preset_buttons["cartoon"])
    assert engine.jobs[-1].mask is None  # no mask: the whole photo


def test_trained_style_models_can_be_turned_off(qtbot, app_window, engine):
    from sdstudio.engine import catalog

    panel = _panels(app_window).style
    trained = {m.style for m in catalog.list_methods("style", include_providers=False)}
    assert (not panel.use_trained_check.isHidden()) == bool(trained & set(panel.preset_buttons))
    open_photo(app_window, photo())
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.preset_buttons["cartoon"])
    assert engine.jobs[-1].options == {"renderer": "auto"}
    panel.use_trained_check.setChecked(False)
    with qtbot.waitSignal(app_window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click(panel.preset_buttons["cartoon"])
    assert engine.jobs[-1].options == {"renderer": "filters"}


def test_style_thumbnails_render_in_the_background(qtbot, app_window, engine):
    document = app_window.document
    panel = _panels(app_window).style
    app_window.panel_tabs.setCurrentWidget(panel)
    pixels = photo(120, 160)
    steps_before = document.undo_stack.count()
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=JOB_TIMEOUT_MS):
        open_photo(app_window, pixels)
    assert len(engine.finished_ids) == len(panel.presets)
    icon = panel.preset_buttons["cartoon"].icon().pixmap(96, 96).toImage()
    assert icon.width() == 96 and icon.height() == 72  # the photo's shape, shrunk
    # The fake engine inverts: the thumbnail is the inverted photo, not the photo.
    corner = icon.pixelColor(0, 0)
    assert corner.red() > 200 and corner.green() > 200
    assert document.undo_stack.count() == steps_before  # thumbnails never edit
    assert not app_window.job_controller.status_widget.isVisible()
    assert panel.preset_buttons["cartoon"].text() == "Cartoon"


def test_new_image_cancels_waiting_thumbnails(qtbot, app_window, engine):
    engine.step_seconds = 0.05
    panel = _panels(app_window).style
    app_window.panel_tabs.setCurrentWidget(panel)
    open_photo(app_window, photo())
    qtbot.waitUntil(lambda: panel.thumbnails_pending() > 0, timeout=2000)
    first_batch = set(panel._thumbnail_jobs)
    open_photo(app_window, photo(seed=1))
    qtbot.waitUntil(lambda: panel.thumbnails_pending() == 0, timeout=JOB_TIMEOUT_MS)
    ran_from_first = first_batch & set(engine.finished_ids)
    assert len(ran_from_first) <= 1  # only the one already running when the image changed


def test_hidden_style_panel_renders_no_thumbnails(qtbot, app_window, engine):
    panels = _panels(app_window)
    app_window.panel_tabs.setCurrentWidget(panels.repair)
    open_photo(app_window, photo())
    qtbot.wait(400)
    assert panels.style.thumbnails_pending() == 0 and not engine.started_ids
    app_window.panel_tabs.setCurrentWidget(panels.style)
    qtbot.waitUntil(lambda: len(engine.started_ids) > 0, timeout=2000)


def test_prompt_field_only_for_diffusion_methods_and_refresh_models(qtbot, app_window, engine):
    panel = _panels(app_window).repair
    assert not panel.prompt_edit.isVisibleTo(panel)
    diffusion = catalog.MethodInfo(
        "tiny-sd-inpaint", "repair", "Tiny SD inpainting", "A diffusion model", "diffusion"
    )

    def provider(_folders):
        return [diffusion]

    catalog.register_provider(provider)
    try:
        _panels(app_window).refresh_models()
        index = panel.method_combo.findData("tiny-sd-inpaint")
        assert index >= 0
        panel.method_combo.setCurrentIndex(index)
        assert panel.prompt_edit.isVisibleTo(panel)
        panel.method_combo.setCurrentIndex(panel.method_combo.findData("telea"))
        assert not panel.prompt_edit.isVisibleTo(panel)
    finally:
        catalog.unregister_provider(provider)
    _panels(app_window).refresh_models()
    assert panel.method_combo.findData("tiny-sd-inpaint") == -1
    assert panel.selected_method().id == "telea"  # the person's choice survives a refresh


def test_repair_defaults_to_the_best_method(qtbot, app_window, engine):
    panel = _panels(app_window).repair
    assert panel.selected_method().id == catalog.best_method("repair").id


def test_building_the_panels_imports_no_torch():
    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from sdstudio.app.main import create_application\n"
        "app = create_application()\n"
        "from sdstudio.app.main import create_main_window\n"
        "window = create_main_window(); window.show(); app.processEvents()\n"
        "print('torch' in sys.modules)\n"
        "window.close()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip().splitlines()[-1] == "False"


PREWARM_PROBE = """
import importlib.abc, os, sys, threading, time
os.environ["QT_QPA_PLATFORM"] = "offscreen"
torch_imported_on_ui_thread = []

class TorchImportSpy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch":
            on_ui_thread = threading.current_thread() is threading.main_thread()
            torch_imported_on_ui_thread.append(on_ui_thread)
        return None

sys.meta_path.insert(0, TorchImportSpy())
from sdstudio.app.main import create_application
app = create_application()
import sdstudio.app.panels as panels
panels.PREWARM_DELAY_MS = 0
from sdstudio.app.main import create_main_window
window = create_main_window()
window.show()
deadline = time.monotonic() + 60
while "torch" not in sys.modules and time.monotonic() < deadline:
    app.processEvents()
    time.sleep(0.01)
window.close()  # waits for the worker thread, so the import has finished
print(torch_imported_on_ui_thread)
"""


@pytest.mark.slow
def test_showing_the_window_loads_torch_on_the_worker_thread():
    out = subprocess.run(
        [sys.executable, "-c", PREWARM_PROBE], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[False]"
