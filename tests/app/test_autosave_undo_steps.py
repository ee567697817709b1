"""A recovered (or reopened) session has the undo stack it had: strokes and jobs alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from sdstudio.app import project_document
from sdstudio.app.autosave import Autosave
from sdstudio.app.canvas import TOOL_BRUSH, TOOL_ERASER
from sdstudio.app.document import Document
from sdstudio.imaging.image_io import LoadedImage
from sdstudio.jobs import EnhanceJob, StyleJob
from sdstudio.session import autosave_store
from sdstudio.session.autosave_store import recovery_dir
from sdstudio.session.project_file import read_project
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import paint_stroke
from tests.session.project_samples import sample_project

DATA = Path(__file__).resolve().parents[1] / "session" / "data"
CRASHED = "20260101-000000-1-dead"
TITLES = [
    "Paint mask",
    "Paint mask",
    "Erase mask",
    "Invert mask",
    "Style: Oil painting",
    "Erase mask",
    "Enhance x2",
    "Paint mask",
    "Clear mask",
    "Paint mask",
]


def _run_job(qtbot, window, make_job) -> None:
    controller = window.job_controller
    with qtbot.waitSignal(controller.result_applied, timeout=10_000):
        controller.run("test", make_job)


def _edit_with_strokes_and_jobs(qtbot, window, photo_file: Path) -> None:
    """Strokes and mask commands, a job, more strokes, a job that changes the size, more."""
    window.job_controller.use_engine(FakeEngine(steps=1))
    assert window.open_path(photo_file)
    document, canvas = window.document, window.canvas
    paint_stroke(canvas, [(40, 40), (90, 60)])
    paint_stroke(canvas, [(150, 120), (200, 180), (230, 150)])
    canvas.set_tool(TOOL_ERASER)
    paint_stroke(canvas, [(60, 30), (60, 80)])
    canvas.set_tool(TOOL_BRUSH)
    document.invert_mask()
    _run_job(qtbot, window, lambda: StyleJob(document.image.copy(), "oil_painting", 0.5))
    canvas.set_tool(TOOL_ERASER)  # the mask is inverted: mostly painted
    paint_stroke(canvas, [(20, 200), (120, 220)])
    canvas.set_tool(TOOL_BRUSH)
    _run_job(qtbot, window, lambda: EnhanceJob(document.image.copy(), scale=2))
    paint_stroke(canvas, [(300, 300), (420, 350)])
    document.clear_mask()
    paint_stroke(canvas, [(500, 100), (560, 140)])
    assert document.size() == (640, 480)


def _titles(document: Document) -> list[str]:
    stack = document.undo_stack
    return [stack.command(index).text() for index in range(stack.count())]


def _states(document: Document) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, mask) at every undo index, from the photo as opened to the last step."""
    stack = document.undo_stack
    top = stack.index()
    states = []
    for index in range(stack.count() + 1):
        stack.setIndex(index)
        states.append((document.image.copy(), document.mask.copy()))
    stack.setIndex(top)
    return states


def _assert_same_history(document: Document, titles, states) -> None:
    stack = document.undo_stack
    assert stack.count() == len(titles) and stack.index() == len(titles)
    assert _titles(document) == titles
    for index in range(len(titles), -1, -1):  # undo, step by step
        stack.setIndex(index)
        image, mask = states[index]
        assert np.array_equal(document.image, image), f"image at undo index {index}"
        assert np.array_equal(document.mask, mask), f"mask at undo index {index}"
    for index in range(1, len(titles) + 1):  # and redo again
        stack.redo()
        assert np.array_equal(document.image, states[index][0]), f"image after redo {index}"
        assert np.array_equal(document.mask, states[index][1]), f"mask after redo {index}"


def _second_window(qtbot):
    from sdstudio.app.main import create_main_window

    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_recovery_rebuilds_every_undo_step_with_its_image_and_mask(
    qtbot, window, photo_file, monkeypatch
):
    autosave = window.autosave
    autosave.every_edits = 10**6  # only the explicit save below, so the file is the last state
    autosave.timer.stop()
    _edit_with_strokes_and_jobs(qtbot, window, photo_file)
    document = window.document
    assert _titles(document) == TITLES
    states = _states(document)
    assert len({mask.tobytes() for _image, mask in states}) > 6  # the strokes did paint

    assert autosave.save_now()
    autosave.wait()
    qtbot.waitUntil(lambda: autosave.saves == 1, timeout=10_000)
    # The crash: this session's process is gone, its autosave stays (under a dead id).
    written = autosave_store.recovery_path(autosave.session_id)
    shutil.copy(written, recovery_dir() / f"{CRASHED}.sdsproj")

    texts: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: texts.append(box.text()) or 0)
    asked = []
    real_ask_restore = Autosave.ask_restore

    def ask_restore(self, entry):
        real_ask_restore(self, entry)  # the real dialog (exec answered above), for its text
        asked.append(entry)
        return "restore"

    monkeypatch.setattr(Autosave, "ask_restore", ask_restore)
    restarted = _second_window(qtbot)
    assert restarted.autosave.offer_recovery()
    assert [entry.session_id for entry in asked] == [CRASHED]
    assert asked[0].steps == len(TITLES)
    assert f"with {len(TITLES)} edit(s) can be restored" in texts[0]
    restored = restarted.document
    assert restored.is_modified()
    _assert_same_history(restored, TITLES, states)
    restarted.close()
    restarted.job_controller.shutdown()


def test_a_saved_project_reopens_with_every_undo_step(
    qtbot, window, photo_file, tmp_path, monkeypatch
):
    _edit_with_strokes_and_jobs(qtbot, window, photo_file)
    document = window.document
    states = _states(document)
    saved = tmp_path / "session.sdsproj"
    assert window.project_actions.save_project_to(saved)
    assert len(read_project(saved).steps) == len(TITLES)
    assert window.open_path(photo_file)  # something else in between
    assert document.undo_stack.count() == 0
    assert window.project_actions.open_project_file(saved)
    assert not window.errors and not document.is_modified()
    _assert_same_history(document, TITLES, states)


def test_a_format_1_project_keeps_its_mask_across_undo_of_its_size_change(window):
    """Written before mask steps were saved: the mask holds from the last size change on."""
    expected = sample_project()
    project_document.restore(
        window.document, read_project(DATA / "format1_resized.sdsproj"), clean=True
    )
    document, stack = window.document, window.document.undo_stack
    assert _titles(document) == [step.title for step in expected.steps]
    assert np.array_equal(document.image, expected.current)
    assert np.array_equal(document.mask, expected.mask)
    stack.undo()  # the style step leaves the mask alone
    assert np.array_equal(document.mask, expected.mask)
    stack.undo()  # before the size change: no mask was saved for it
    assert document.size() == (16, 12) and document.mask_is_empty()
    stack.redo()
    assert np.array_equal(document.mask, expected.mask)
    stack.redo()
    assert np.array_equal(document.image, expected.current)


@pytest.mark.parametrize(("strokes", "oldest"), [(7, "Stroke 0"), (6, "Enhance x2")])
def test_a_restored_history_keeps_every_step_its_session_had(window, strokes, oldest):
    """The stack dropped its oldest steps: the restored base is the photo before an upscale
    or the upscaled one, and that size (or the upscale pushed first) would allow fewer."""
    window.undo_limit.set_memory_mb(64)  # 1000 x 1000: 7 steps; 2000 x 2000: only 5
    document, stack = window.document, window.document.undo_stack
    photo = np.zeros((1000, 1000, 3), np.uint8)
    document.open_loaded(LoadedImage(pixels=photo, path=Path("big.png")))
    document.apply_result("Repair", np.full_like(photo, 9), {"task": "test"})
    assert stack.undoLimit() == 7  # set while the stack was empty, as the photo opened
    document.apply_result("Enhance x2", np.zeros((2000, 2000, 3), np.uint8), {"task": "test"})
    for number in range(strokes):
        mask = document.mask.copy()
        mask[number * 10 : number * 10 + 5, :50] = 255
        document.set_mask(mask, f"Stroke {number}")
    assert stack.count() == 7 and stack.command(0).text() == oldest
    titles, states = _titles(document), _states(document)
    project = project_document.capture(document, stack.undoLimit()).to_project()
    project_document.restore(document, project, clean=False)
    _assert_same_history(document, titles, states)
