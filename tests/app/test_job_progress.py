"""Job progress as the person sees it: a bar that moves evenly, and the time left."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sdstudio.app.job_status import TimeLeftEstimate, time_left_text
from sdstudio.engine.enhance import run_enhance
from sdstudio.job_queue import JobEventKind
from sdstudio.jobs import EnhanceJob
from tests.app.fake_engine import FakeEngine
from tests.app.panel_helpers import open_photo, paint_stroke, photo

JOB_TIMEOUT_MS = 10_000
TIME_LEFT = re.compile(r"^(about \d+ (s|min) left|a few seconds left)$")


def test_bar_moves_by_each_steps_share_and_the_time_left_appears(qtbot, window):
    steps = 12
    engine = FakeEngine(steps=steps, step_seconds=0.12, setup_seconds=0.4)
    controller = window.job_controller
    controller.use_engine(engine)
    open_photo(window, photo(120, 160))
    paint_stroke(window.canvas, [(40, 40), (60, 45)])
    panel = window.task_panels.repair
    qtbot.waitUntil(panel.repair_button.isEnabled)
    status = controller.status_widget
    seen: list[tuple[int, str]] = []

    def record_screen(event) -> None:
        if event.kind is JobEventKind.PROGRESS:
            seen.append((status.progress_bar.value(), status.time_left_label.text()))

    # Connected after the controller's own slot: each record is what was on screen.
    controller.worker.event.connect(record_screen)
    QTest.mouseClick(panel.repair_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.time_left_label.isVisible(), timeout=JOB_TIMEOUT_MS)
    window.grab().save("/tmp/shots/job_progress_time_left.png")
    qtbot.waitUntil(lambda: not controller.is_busy(), timeout=JOB_TIMEOUT_MS)

    values = [value for value, _ in seen]
    assert values == sorted(values) and values[-1] == 1000
    share = 1000 / steps  # one step of work, in progress-bar units
    assert max(b - a for a, b in zip([0, *values], values, strict=False)) <= share + 1
    labels = [label for _, label in seen]
    assert not labels[0] and not labels[1]  # no guess before there is a rate
    shown = [label for label in labels if label]
    assert shown and all(TIME_LEFT.match(label) for label in shown), shown
    assert shown[0] == "a few seconds left"  # 1.4 s of steps: not the 0.4 s setup, scaled
    assert not status.isVisible()


def test_time_left_follows_the_rate_and_leaves_the_setup_out():
    now = [0.0]
    estimate = TimeLeftEstimate(clock=lambda: now[0])
    readings = []
    # 10 s loading a model at 0 %, then 5 % a second.
    for moment, fraction in [(0, 0.0), (10, 0.05), (11, 0.10), (12, 0.15), (13, 0.20)]:
        now[0] = moment
        readings.append(estimate.update(fraction))
    assert readings[:3] == [None, None, None]  # two rates are needed before a guess
    assert readings[3] == pytest.approx(17.0)  # 85 % left at 5 % a second
    assert readings[4] == pytest.approx(16.0)
    assert time_left_text(readings[4]) == "about 16 s left"
    now[0] = 13.5  # between updates the estimate counts down
    assert estimate.seconds_left() == pytest.approx(15.5)
    # The job speeds up: the estimate follows, smoothly.
    now[0], fast = 14.0, estimate.update(0.40)
    assert 5.0 < fast < 15.0
    now[0] = 60.0
    assert estimate.seconds_left() == 0.0  # never below zero
    estimate.reset()
    assert estimate.seconds_left() is None


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        (2.2, "a few seconds left"),
        (12.4, "about 12 s left"),
        (59.4, "about 59 s left"),
        (150, "about 2 min left"),
        (3600 + 20 * 60, "about 1 h 20 min left"),
        (7200, "about 2 h left"),
    ],
)
def test_time_left_text(seconds, text):
    assert time_left_text(seconds) == text


def _enhance_fractions(job: EnhanceJob) -> list[float]:
    work = run_enhance(job)
    fractions = []
    while True:
        try:
            fractions.append(next(work).fraction)
        except StopIteration:
            return fractions


def test_an_upscale_alone_fills_the_whole_bar_evenly():
    image = photo(1100, 300)  # 5 strips of 256 rows for the Lanczos upscaler
    fractions = _enhance_fractions(EnhanceJob(image, scale=2, model="lanczos"))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    steps = [b - a for a, b in zip(fractions, fractions[1:], strict=False)]
    # It used to start at 30 %, the share of a denoise that did not run.
    assert max(steps) == pytest.approx(1 / 5)
    assert [f for f in fractions if f > 0][0] == pytest.approx(1 / 5)


def test_each_stage_gets_its_share_and_no_more():
    image = photo(600, 200)  # 3 strips upscaled, then 3 strips (of 512 rows) sharpened
    fractions = _enhance_fractions(EnhanceJob(image, scale=2, model="lanczos", sharpen=0.5))
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    steps = np.diff(fractions)
    upscale_share = 0.6 / 0.65  # the upscale's weight over the weights of what runs
    assert steps.max() <= upscale_share / 3 + 1e-9
