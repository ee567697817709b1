"""Stable Diffusion controls in the Style and Repair panels (tiny checkpoint, real engine)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from sdstudio import paths  # noqa: E402
from sdstudio.app.panels import style_diffusion  # noqa: E402
from sdstudio.engine import catalog  # noqa: E402
from sdstudio.engine.model_cache import model_cache  # noqa: E402
from sdstudio.jobs import RepairJob, StyleJob  # noqa: E402
from tests.app.fake_engine import FakeEngine  # noqa: E402
from tests.app.panel_helpers import open_photo, paint_stroke, photo  # noqa: E402
from tests.app.qthreads import no_dangling_qthreads  # noqa: F401, E402  (autouse)
from tests.engine.test_diffusion_support import build_tiny_sd  # noqa: E402

REAL_JOB_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def tiny_sd_folder(tmp_path_factory):
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd-app"), inpainting=False)[0]


@pytest.fixture
def sd_window(window, tiny_sd_folder):
    """The main window after a tiny checkpoint was added to the user models folder."""
    model_cache.clear()
    shutil.copytree(tiny_sd_folder, paths.user_models_dir() / "tiny-sd")
    catalog.check_new_files(catalog.model_folders())  # what Models > Add model file does
    window.task_panels.refresh_models()
    yield window
    model_cache.clear()


def test_style_panel_hides_the_group_without_a_checkpoint(qtbot, window, monkeypatch):
    panel = window.task_panels.style
    assert not panel.sd_group.isVisibleTo(panel)
    assert panel.sd_hint_label.isVisibleTo(panel)
    assert "Add model file" in panel.sd_hint_label.text()
    monkeypatch.setattr(style_diffusion, "diffusers_available", lambda: False)
    panel.refresh_models()
    assert not panel.sd_group.isVisibleTo(panel)
    assert 'pip install "sdstudio[diffusion]"' in panel.sd_hint_label.text()


@pytest.mark.slow
def test_stable_diffusion_style_is_one_undo_step(qtbot, sd_window):
    window = sd_window
    panel = window.task_panels.style
    window.panel_tabs.setCurrentWidget(panel)
    assert panel.sd_group.isVisibleTo(panel) and not panel.sd_hint_label.isVisibleTo(panel)
    assert panel.sd_model_combo.currentData() == "sd:tiny-sd"
    panel.sd_preset_combo.setCurrentIndex(panel.sd_preset_combo.findData("sd_watercolour"))
    assert "watercolour" in panel.sd_prompt_edit.text()
    panel.sd_steps_spin.setValue(2)
    panel.sd_change_spin.setValue(1.0)
    panel.sd_seed_spin.setValue(11)
    pixels = photo(48, 64)
    open_photo(window, pixels)
    with qtbot.waitSignal(panel.thumbnails_ready, timeout=REAL_JOB_TIMEOUT_MS):
        pass
    document = window.document
    before = document.undo_stack.count()
    qtbot.waitUntil(panel.sd_apply_button.isEnabled)
    panel.sd_preset_combo.setCurrentIndex(panel.sd_preset_combo.findData("sd_prompt"))
    assert panel.sd_prompt_edit.text() == "" and not panel.sd_apply_button.isEnabled()
    panel.sd_preset_combo.setCurrentIndex(panel.sd_preset_combo.findData("sd_watercolour"))
    assert panel.sd_apply_button.isEnabled()
    QTest.mouseClick(panel.sd_apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: document.undo_stack.count() == before + 1, timeout=REAL_JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not window.job_controller.is_busy(), timeout=5000)
    assert window.errors == []
    assert document.image.shape == pixels.shape
    assert np.abs(document.image.astype(int) - pixels).mean() > 2
    params = document.history_params()[-1]
    assert params["preset"] == "sd_watercolour"
    assert params["options"]["method"] == "sd:tiny-sd" and params["seed"] == 11
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, pixels)


def test_repair_panel_steps_and_guidance_only_for_diffusion(qtbot, sd_window):
    window = sd_window
    engine = FakeEngine(steps=1)
    window.job_controller.use_engine(engine)
    panel = window.task_panels.repair
    window.panel_tabs.setCurrentWidget(panel)
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("telea"))
    assert not panel.steps_spin.isVisibleTo(panel)
    assert not panel.guidance_spin.isVisibleTo(panel)
    panel.method_combo.setCurrentIndex(panel.method_combo.findData("sd:tiny-sd"))
    assert panel.steps_spin.isVisibleTo(panel) and panel.guidance_spin.isVisibleTo(panel)
    panel.steps_spin.setValue(3)
    panel.guidance_spin.setValue(4.5)
    panel.seed_spin.setValue(7)
    panel.prompt_edit.setText("a red ball")
    open_photo(window, photo())
    paint_stroke(window.canvas, [(20, 20), (30, 22), (40, 24)])
    qtbot.waitUntil(panel.repair_button.isEnabled)
    QTest.mouseClick(panel.repair_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(isinstance(j, RepairJob) for j in engine.jobs), timeout=10_000)
    job = next(j for j in engine.jobs if isinstance(j, RepairJob))
    assert job.method == "sd:tiny-sd" and job.prompt == "a red ball"
    assert job.options == {"steps": 3, "guidance": 4.5} and job.seed == 7
    qtbot.waitUntil(lambda: not window.job_controller.is_busy(), timeout=10_000)
    assert not any(isinstance(j, StyleJob) and j.options for j in engine.jobs)
