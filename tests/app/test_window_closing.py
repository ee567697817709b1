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


class _Part:
    """A closing part that records what the window asked of it."""

    def __init__(self, name: str, log: list[str], agrees: bool = True) -> None:
        self.name, self.log, self.agrees = name, log, agrees

    def can_close(self) -> bool:
        self.log.append(f"{self.name}: can close?")
        return self.agrees

    def shut_down(self) -> None:
        self.log.append(f"{self.name}: shut down")


def test_every_part_is_asked_before_any_part_shuts_down(window):
    log: list[str] = []
    first, second = _Part("first", log), _Part("second", log, agrees=False)
    window.add_closing_part(first)
    window.add_closing_part(second)
    assert not window.close()
    assert log == ["first: can close?", "second: can close?"] and window.isVisible()

    log.clear()
    second.agrees = True
    assert window.close()
    assert log == [
        "first: can close?",
        "second: can close?",
        "first: shut down",
        "second: shut down",
    ]


def test_a_cancelled_close_leaves_autosave_and_model_checks_running(window, monkeypatch):
    from sdstudio.engine import model_checks

    monkeypatch.setattr(model_checks, "_defer_on_main_thread", True)  # as the GUI runs
    open_photo(window, photo())
    paint_stroke(window.canvas, [(10, 10), (30, 20)])
    monkeypatch.setattr(type(window), "ask_save_changes", lambda self: "cancel")
    assert not window.close()
    # Nothing stopped: the autosave still runs, new model files are still checked off
    # the GUI thread.
    assert window.autosave.timer.isActive() and model_checks._defer_on_main_thread

    monkeypatch.setattr(type(window), "ask_save_changes", lambda self: "discard")
    assert window.close()
    assert not window.autosave.timer.isActive() and not model_checks._defer_on_main_thread
