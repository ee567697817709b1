"""A job with a very large result asks first, with its size, memory and time."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sdstudio.app import large_results
from sdstudio.app.large_results import JobSpeeds, ResultEstimate, large_result_question
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, photo

JOB_TIMEOUT_MS = 5000


@pytest.fixture
def engine(window):
    fake = FakeEngine(steps=2)
    window.job_controller.use_engine(fake)
    return fake


@pytest.fixture
def questions(window, monkeypatch):
    """What the window asked; answered with ``questions.answer`` (no by default)."""

    class Questions(list):
        answer = False

    asked = Questions()

    def ask(title: str, question: str) -> bool:
        asked.append((title, question))
        return asked.answer

    monkeypatch.setattr(window.job_controller, "ask_large_result", ask)
    return asked


def _click_enhance(window, scale: int) -> None:
    panel = window.task_panels.enhance
    window.panel_tabs.setCurrentWidget(panel)
    panel.set_scale(scale)
    QTest.mouseClick(panel.enhance_button, Qt.MouseButton.LeftButton)


def test_a_4x_upscale_past_50_mp_asks_and_no_starts_nothing(qtbot, window, engine, questions):
    pixels = photo(1600, 2000)  # x4: 8000 x 6400 = 51 MP
    open_photo(window, pixels)
    steps = window.document.undo_stack.count()
    _click_enhance(window, 4)
    [(title, question)] = questions
    assert title.startswith("Enhance x4")
    assert "8000 x 6400 pixel" in question and "(51 MP)" in question
    assert re.search(r"about \d+(\.\d)? (MB|GB) of memory", question)
    assert re.search(r"about \d+ (s|min)\b", question)
    window.grab().save("/tmp/shots/enhance_large_result_size.png")
    assert not window.job_controller.is_busy()
    qtbot.wait(100)
    assert engine.jobs == []
    assert window.document.undo_stack.count() == steps
    np.testing.assert_array_equal(window.document.image, pixels)


def test_yes_starts_the_job_and_usual_sizes_are_not_asked(
    qtbot, window, engine, questions, monkeypatch
):
    open_photo(window, photo(48, 64))
    _click_enhance(window, 2)  # 128 x 96: nothing to ask
    qtbot.waitUntil(lambda: not window.job_controller.is_busy(), timeout=JOB_TIMEOUT_MS)
    assert questions == [] and len(engine.jobs) == 1

    monkeypatch.setattr(large_results, "LARGE_RESULT_PIXELS", 10_000)  # this photo is "huge"
    questions.answer = True
    with qtbot.waitSignal(window.job_controller.result_applied, timeout=JOB_TIMEOUT_MS):
        _click_enhance(window, 2)
    assert len(questions) == 1 and len(engine.jobs) == 2
    assert window.document.image.shape[:2] == (192, 256)  # 48 x 64, doubled twice


def test_the_estimate_uses_the_speed_measured_on_this_computer():
    speeds = JobSpeeds()
    first = speeds.estimate(12000, 7500, "enhance:auto:x4", "builtin")
    assert first.pixels == 90_000_000 and first.is_large()
    assert first.memory_bytes > 1024**3  # gigabytes, not megabytes
    assert first.seconds == pytest.approx(90 / large_results.DEFAULT_SPEED_MP_PER_S["network"])
    speeds.record("enhance:auto:x4", 30_000_000, 10.0)  # 3 MP/s measured
    assert speeds.estimate(12000, 7500, "enhance:auto:x4", "builtin").seconds == pytest.approx(30)
    speeds.record("enhance:auto:x4", 10_000, 0.01)  # a tiny job is overhead, not speed
    assert speeds.estimate(12000, 7500, "enhance:auto:x4", "builtin").seconds == pytest.approx(30)
    question = large_result_question("Enhance x4", ResultEstimate(12000, 7500, 30))
    assert "12000 x 7500 pixel image (90 MP)" in question
    assert "about 1.7 GB of memory" in question and "about 30 s" in question
