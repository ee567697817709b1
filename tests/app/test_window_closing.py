"""Closing the main window: every question first, and nothing stops until it really closes."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWizard

from tests.app.panel_helpers import open_photo, paint_stroke, photo
from tests.app.test_training_wizard import _click, _open_wizard, _wait
from tests.training.conftest import write_photos


@pytest.mark.slow
def test_cancelling_the_save_question_keeps_training_running(window, qtbot, tmp_path, monkeypatch):
    open_photo(window, photo())
    paint_stroke(window.canvas, [(10, 10), (30, 20)])
    assert window.document.is_modified()
    photos = tmp_path / "photos"
    write_photos(photos, 4)
    wizard = _open_wizard(window, qtbot, "enhance", photos, steps=100_000)
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    _click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    live = wizard.live_page
    _wait(qtbot, live, lambda: live.progress.value() >= 2)

    questions: list[str] = []
    monkeypatch.setattr(
        type(wizard), "ask_stop_training", lambda self: questions.append("stop?") or True
    )
    monkeypatch.setattr(
        type(window), "ask_save_changes", lambda self: questions.append("save?") or "cancel"
    )
    window.close()
    assert questions == ["stop?", "save?"]
    # Cancel on the second question: the window stays and so does the training.
    assert window.isVisible() and live.running() and not live.stopped
    at_cancel = live.progress.value()
    _wait(qtbot, live, lambda: live.progress.value() > at_cancel)

    monkeypatch.setattr(type(window), "ask_save_changes", lambda self: "discard")
    window.close()
    assert not window.isVisible() and live.stopped and not live.running()
