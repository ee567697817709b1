"""Save / open projects, mask files, reuse last mask, History details and re-running a step
(``ProjectActions``, ``MaskActions`` and ``HistoryActions``)."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from sdstudio.app.history_details import step_details, undo_memory_bytes
from sdstudio.jobs import EnhanceJob, StyleJob
from sdstudio.session import project_file
from sdstudio.session.project_file import read_project
from tests.app.conftest import make_photo
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import paint_stroke


def _run_job(qtbot, window, make_job) -> None:
    controller = window.job_controller
    with qtbot.waitSignal(controller.result_applied, timeout=10_000):
        controller.run("test", make_job)


def _edit_session(qtbot, window, photo_file: Path) -> None:
    """Open, paint, style (a patch), enhance x2 (new size), paint again."""
    window.job_controller.use_engine(FakeEngine(steps=1))
    assert window.open_path(photo_file)
    paint_stroke(window.canvas, [(40, 40), (90, 60)])
    document = window.document
    _run_job(qtbot, window, lambda: StyleJob(document.image.copy(), "oil_painting", 0.5))
    _run_job(qtbot, window, lambda: EnhanceJob(document.image.copy(), scale=2))
    paint_stroke(window.canvas, [(200, 200), (300, 260)])
    assert document.size() == (640, 480) and not document.mask_is_empty()


def test_save_and_reopen_a_project_restores_undo(qtbot, window, photo_file, tmp_path, monkeypatch):
    _edit_session(qtbot, window, photo_file)
    document, actions = window.document, window.project_actions
    image, mask = document.image.copy(), document.mask.copy()
    history = document.history_params()
    target = tmp_path / "session"
    monkeypatch.setattr(actions, "ask_project_save_path", lambda suggested: target)
    actions.save_project.trigger()
    saved = tmp_path / "session.sdsproj"
    assert saved.exists() and not window.errors
    assert not document.is_modified()  # the work is safe in the project
    assert read_project(saved).history_params() == history

    assert window.open_path(photo_file)  # something else in between
    monkeypatch.setattr(actions, "ask_project_open_path", lambda folder: saved)
    actions.open_project.trigger()
    assert not window.errors
    assert np.array_equal(document.image, image) and np.array_equal(document.mask, mask)
    assert document.history_params() == history
    assert not document.is_modified()
    assert document.source.exif and document.source.icc_profile
    # Undo walks back through the restored steps, strokes included, to the photo as opened.
    stack = document.undo_stack
    assert stack.count() == 4
    stack.undo()  # the second stroke
    assert document.size() == (640, 480) and document.mask_is_empty()
    stack.undo()
    assert document.size() == (320, 240) and not document.mask_is_empty()
    stack.undo()
    stack.undo()  # the first stroke
    assert np.array_equal(document.image, np.asarray(Image.open(photo_file).convert("RGB")))
    assert np.array_equal(document.original, document.image) and document.mask_is_empty()
    for _step in range(4):
        stack.redo()
    assert np.array_equal(document.image, image) and np.array_equal(document.mask, mask)


def test_a_project_opens_like_a_photo_from_a_path_or_a_drop(
    qtbot, window, photo_file, tmp_path, monkeypatch
):
    _edit_session(qtbot, window, photo_file)
    image = window.document.image.copy()
    saved = tmp_path / "dropped.sdsproj"
    monkeypatch.setattr(window.project_actions, "ask_project_save_path", lambda s: saved)
    window.project_actions.save_project.trigger()
    assert window.open_path(photo_file)
    assert window.open_path(saved)  # what the command line, Open Recent and a drop call
    assert not window.errors
    assert np.array_equal(window.document.image, image)
    assert window.document.history_params()


def test_damaged_project_is_refused_and_the_photo_kept(window, photo_file, tmp_path, monkeypatch):
    assert window.open_path(photo_file)
    before = window.document.image.copy()
    bad = tmp_path / "bad.sdsproj"
    bad.write_bytes(b"PK\x03\x04garbage")
    monkeypatch.setattr(window.project_actions, "ask_project_open_path", lambda folder: bad)
    window.project_actions.open_project.trigger()
    assert window.errors and window.errors[0][0] == "Cannot open the project"
    assert "bad.sdsproj" in window.errors[0][1]
    assert np.array_equal(window.document.image, before)


def test_disk_full_on_project_save_keeps_the_previous_file(
    qtbot, window, photo_file, tmp_path, monkeypatch
):
    assert window.open_path(photo_file)
    actions = window.project_actions
    target = tmp_path / "p.sdsproj"
    assert actions.save_project_to(target)
    before = target.read_bytes()
    window.document.apply_result("Invert", 255 - window.document.image, {"task": "test"})

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(project_file.os, "replace", full)
    assert not actions.save_project_to(target)
    assert "disk is full" in window.errors[-1][1]
    assert target.read_bytes() == before and window.document.is_modified()


def test_export_and_import_mask(window, photo_file, tmp_path, monkeypatch):
    assert window.open_path(photo_file)
    paint_stroke(window.canvas, [(50, 50), (120, 80)])
    painted = window.document.mask.copy()
    actions = window.services.masks
    exported = tmp_path / "cat_mask"
    monkeypatch.setattr(actions, "ask_mask_save_path", lambda suggested: exported)
    actions.export_mask.trigger()
    assert np.array_equal(np.asarray(Image.open(exported.with_suffix(".png"))), painted)

    window.document.clear_mask()
    monkeypatch.setattr(actions, "ask_mask_open_path", lambda folder: exported.with_suffix(".png"))
    actions.import_mask.trigger()
    assert np.array_equal(window.document.mask, painted) and not window.errors
    window.document.undo_stack.undo()
    assert window.document.mask_is_empty()

    small = tmp_path / "small.png"  # half size: resized, with a warning
    Image.fromarray(painted[::2, ::2]).save(small)
    assert actions.import_mask_file(small)
    assert window.document.mask.shape == (240, 320)
    assert window.errors[-1][0] == "Mask resized" and "160 x 120" in window.errors[-1][1]
    assert (
        abs(int(window.document.mask.astype(bool).sum()) - int(painted.astype(bool).sum()))
        < 0.2 * painted.astype(bool).sum()
    )


def test_reuse_last_mask_on_the_next_photo(window, photo_file, tmp_path):
    other = tmp_path / "other.png"
    Image.fromarray(make_photo(160, 120, seed=5)).save(other)
    actions = window.services.masks
    assert window.open_path(photo_file)
    paint_stroke(window.canvas, [(50, 50), (120, 80)])
    painted = window.document.mask.copy()
    actions.reuse_mask.setChecked(True)
    assert window.open_path(other)
    assert window.document.mask.shape == (120, 160)
    expected = np.asarray(Image.fromarray(painted).resize((160, 120), Image.Resampling.BILINEAR))
    assert np.array_equal(window.document.mask, expected)
    assert window.document.undo_stack.undoText() == "Reuse last mask"
    # Off: the next photo starts without a mask, but the menu can still bring it.
    actions.reuse_mask.setChecked(False)
    assert window.open_path(photo_file)
    assert window.document.mask_is_empty()
    actions.apply_last_mask_action.trigger()
    assert window.document.mask.any()


def test_history_shows_each_steps_parameters(qtbot, window, photo_file, monkeypatch):
    window.job_controller.use_engine(FakeEngine(steps=1))
    assert window.open_path(photo_file)
    document = window.document
    _run_job(qtbot, window, lambda: StyleJob(document.image.copy(), "watercolour", 0.25, seed=9))
    text = step_details(document.undo_stack, 1)
    assert text.splitlines()[0] == "Style: Watercolour"
    assert "Strength: 0.25" in text and "Seed: 9" in text
    assert step_details(document.undo_stack, 0) == ""

    shown = []
    monkeypatch.setattr(QToolTip, "showText", lambda pos, text, *a: shown.append(text))
    view = window.history_view
    row_rect = view.visualRect(view.model().index(1, 0))
    event = QHelpEvent(QEvent.Type.ToolTip, row_rect.center(), QPoint(0, 0))
    QApplication.sendEvent(view.viewport(), event)
    assert shown == [text]


def test_apply_a_step_to_another_photo(qtbot, window, photo_file, tmp_path, monkeypatch):
    fake = FakeEngine(steps=1)
    window.job_controller.use_engine(fake)
    assert window.open_path(photo_file)
    document = window.document
    _run_job(qtbot, window, lambda: StyleJob(document.image.copy(), "pencil", 0.7, seed=4))
    _run_job(qtbot, window, lambda: EnhanceJob(document.image.copy(), sharpen=0.3))
    other = tmp_path / "next.png"
    Image.fromarray(make_photo(200, 100, seed=3)).save(other)
    window.document.undo_stack.setClean()
    actions = window.services.history
    monkeypatch.setattr(actions, "ask_step", lambda steps: 0)
    monkeypatch.setattr(window, "ask_open_path", lambda folder: str(other))
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=10_000):
        actions.apply_step.trigger()
    assert document.path == other
    [step] = document.history_params()
    assert step["title"] == "Style: pencil"
    assert (step["preset"], step["strength"], step["seed"]) == ("pencil", 0.7, 4)
    assert np.array_equal(document.image, 255 - make_photo(200, 100, seed=3))


def test_undo_memory_stays_within_the_limit(window, monkeypatch):
    actions = window.services.history
    monkeypatch.setattr(actions, "ask_memory_mb", lambda current: 64)
    actions.memory_limit.trigger()
    assert window.undo_limit.memory_mb() == 64
    # Budget 64 MB; a worst step (RGBA before + after, mask) of 1000 x 1000 is 9 MB: 7 steps.
    big = np.zeros((1000, 1000, 3), np.uint8)
    from sdstudio.imaging.image_io import LoadedImage

    window.document.open_loaded(LoadedImage(pixels=big, path=Path("big.png")))
    stack = window.document.undo_stack
    assert stack.undoLimit() == 7
    for value in range(1, 12):
        window.document.apply_result(f"Fill {value}", np.full_like(big, value), {"task": "test"})
    assert stack.count() == 7
    assert stack.command(0).text() == "Fill 5"  # the oldest went first
    assert undo_memory_bytes(stack) <= 64 * 1024 * 1024


@pytest.mark.slow  # builds a real (tiny) model file, which imports torch
def test_project_records_the_model_files_hash(window, photo_file, tmp_path):
    import hashlib

    from sdstudio.engine.catalog import list_methods
    from sdstudio.paths import user_models_dir
    from tests.engine.helpers import save_tiny_repair_model

    model = save_tiny_repair_model(user_models_dir())
    [method] = [m for m in list_methods("repair") if m.path == model]
    assert window.open_path(photo_file)
    image = window.document.image.copy()
    image[5:9, 5:9] = 0
    window.document.apply_result("Repair", image, {"task": "repair", "method": method.id})
    target = tmp_path / "m.sdsproj"
    assert window.project_actions.save_project_to(target)
    [step] = read_project(target).history_params()
    assert step["model_file"] == model.name
    assert step["model_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
