"""The training wizard, driven as a person would: menu, clicks, a real (tiny) training run."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard

from sdstudio.app.training_wizard import resumable_runs, run_labels
from sdstudio.app.training_wizard.wizard import FINISH_PAGE, LIVE_PAGE, TASK_PAGE
from sdstudio.paths import bundled_models_dir
from sdstudio.training import events as ev
from sdstudio.training.checkpoints import has_checkpoint
from sdstudio.training.run_names import run_dir_for
from tests.training.conftest import TINY_DISCRIMINATOR, TINY_NETWORKS, write_photos
from tests.training.helpers import of_type

TRAINING_TIMEOUT_MS = 120_000


def _tiny(task: str, steps: int) -> dict:
    return {
        "hyperparameters": dict(TINY_NETWORKS[task]),
        "discriminator_hyperparameters": dict(TINY_DISCRIMINATOR),
        "steps": steps,
        "batch_size": 2,
        "crop": 32,
        "val_count": 1,
        "val_size": 32,
        "max_side": 96,
        "checkpoint_every": 2,
        "validate_every": 2,
    }


def _menu(window):
    return window.services.training


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _wait(qtbot, live, condition) -> None:
    """Waits for ``condition``; a failed run fails the test with its own message."""

    def done() -> bool:
        assert "failed" not in live.status.text(), live.status.text()
        return condition()

    qtbot.waitUntil(done, timeout=TRAINING_TIMEOUT_MS)


def _choose_run(monkeypatch, menu, starting_with: str) -> list:
    """Answers the Resume list with the first line that starts with ``starting_with``;
    returns the lines it was offered."""
    offered: list[str] = []

    def choose(self, labels):
        offered.extend(labels)
        return next((label for label in labels if label.startswith(starting_with)), None)

    monkeypatch.setattr(type(menu), "ask_run_to_resume", choose)
    return offered


def _stopped_run(folder, name: str, steps: int, stop_at: int | None, **overrides) -> None:
    """A run trained in this process to ``stop_at`` and stopped with a checkpoint (the
    state a killed training process leaves), or to its end when ``stop_at`` is None."""
    import torch

    from sdstudio.training.trainer import train
    from tests.training.conftest import tiny_config

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the test machine's cores are shared
    try:
        run = train(tiny_config("enhance", folder, name, steps=steps, **overrides))
        for event in run:
            if isinstance(event, ev.StepDone) and event.step == stop_at:
                break
        run.close()
    finally:
        torch.set_num_threads(threads)


def _open_wizard(window, qtbot, task: str, folder, steps: int):
    menu = _menu(window)
    assert menu.new_action in window.train_menu.actions()
    menu.new_action.trigger()
    wizard = menu.wizard
    wizard.config_overrides = _tiny(task, steps)  # the quick preset, shrunk for the test
    wizard.process_threads = 1
    qtbot.waitExposed(wizard)
    assert wizard.currentId() == TASK_PAGE
    radio = wizard.task_page.buttons[task]
    # A radio button reacts on its indicator and label, not on empty space to the right.
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    assert wizard.task_page.selected_task() == task
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    qtbot.keyClicks(wizard.data_page.photos.path_edit, str(folder))
    qtbot.waitUntil(wizard.data_page.isComplete, timeout=15_000)
    return wizard


def test_wizard_trains_a_model_that_appears_selected_in_the_panel(window, qtbot, tmp_path):
    photos = tmp_path / "garden"
    write_photos(photos, 5)
    wizard = _open_wizard(window, qtbot, "repair", photos, steps=4)
    assert wizard.data_page.photos.thumbnails.count() == 5
    assert "Only 5 usable image(s)" in wizard.data_page.photos.warnings.text()
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))

    settings = wizard.settings_page
    # The shipped repair network is offered first: fine-tuning starts from it.
    shipped = str(bundled_models_dir() / "sdstudio-repair.safetensors")
    assert settings.base_combo.currentData() == shipped
    assert (
        settings.preset_combo.currentData() == "quick"
        and "about" in settings.preset_combo.currentText()
    )
    settings.device_combo.setCurrentIndex(settings.device_combo.findData("cpu"))
    settings.name_edit.clear()
    qtbot.keyClicks(settings.name_edit, "Garden repair")
    _click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    assert wizard.currentId() == LIVE_PAGE

    live = wizard.live_page
    _wait(qtbot, live, live.isComplete)
    assert live.progress.value() == live.progress.maximum() == 4
    assert live.plot.points["g_total"] and live.samples.pixmap() is not None
    assert "left" in live.eta.text()
    model_id = "Garden-repair"
    assert window.task_panels.repair.method_combo.findData(model_id) >= 0  # listed at once

    _click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    assert wizard.currentId() == FINISH_PAGE
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()  # no second run
    finish = wizard.finish_page
    assert finish.table.rowCount() == 2 and finish.table.item(0, 2).text() != "–"
    finish.name_edit.clear()
    qtbot.keyClicks(finish.name_edit, "Roses")
    _click(qtbot, finish.use_button)
    combo = window.task_panels.repair.method_combo
    assert combo.currentData() == model_id and combo.currentText() == "Roses"
    assert window.panel_tabs.currentWidget() is window.task_panels.repair
    _click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    assert not wizard.isVisible()


def test_data_page_refuses_a_folder_without_photos(window, qtbot, tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "list.txt").write_text("nothing to see")
    menu = _menu(window)
    menu.new_action.trigger()
    wizard = menu.wizard
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    qtbot.keyClicks(wizard.data_page.photos.path_edit, str(tmp_path / "junk"))
    qtbot.waitUntil(
        lambda: "no usable image" in wizard.data_page.photos.warnings.text(), timeout=10_000
    )
    assert not wizard.data_page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.reject()


@pytest.mark.slow
def test_closing_the_app_while_training_asks_and_leaves_a_resumable_run(
    window, qtbot, tmp_path, monkeypatch
):
    photos = tmp_path / "photos"
    write_photos(photos, 4)
    wizard = _open_wizard(window, qtbot, "enhance", photos, steps=100_000)
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    name = wizard.settings_page.name_edit.text()
    _click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    live = wizard.live_page
    _wait(qtbot, live, lambda: live.progress.value() >= 3)
    _click(qtbot, live.pause_button)
    _wait(qtbot, live, lambda: live.eta.text().startswith("Paused at step"))
    paused_at = live.progress.value()
    qtbot.wait(300)
    assert live.progress.value() == paused_at and live.pause_button.text() == "Resume"
    _click(qtbot, live.pause_button)
    _wait(qtbot, live, lambda: live.progress.value() > paused_at)

    asked = []
    monkeypatch.setattr(type(wizard), "ask_stop_training", lambda self: asked.append(1) or False)
    window.close()
    assert asked and window.isVisible() and live.running()  # "keep training" keeps the app

    monkeypatch.setattr(type(wizard), "ask_stop_training", lambda self: True)
    window.close()
    assert not window.isVisible() and live.stopped
    assert has_checkpoint(run_dir_for(name)) and name in [run.name for run in resumable_runs()]

    menu = _menu(window)
    _choose_run(monkeypatch, menu, name)
    menu.resume_action.trigger()
    resumed = menu.wizard
    assert resumed is not wizard and resumed.currentId() == LIVE_PAGE
    started = []
    original = resumed.live_page.handle
    resumed.live_page.handle = lambda event: (started.append(event), original(event))
    qtbot.waitUntil(
        lambda: any(isinstance(e, ev.StepDone) for e in started), timeout=TRAINING_TIMEOUT_MS
    )
    first = next(e for e in started if isinstance(e, ev.RunStarted))
    assert first.start_step >= 3
    resumed.reject()  # asks (patched: yes), stops with a checkpoint
    assert not resumed.live_page.running()


class _FinishedProcess:
    """Stands in for the training process where a test checks only which run opens."""

    finished, paused = True, False

    def poll(self):
        return []


def test_resume_list_offers_unfinished_runs_by_folder_and_explains_damaged_ones(
    window, qtbot, tmp_path, monkeypatch
):
    import shutil

    from sdstudio.app.training_wizard.wizard import TrainingWizard
    from sdstudio.training.run_names import runs_dir

    photos = tmp_path / "photos"
    write_photos(photos, 3)
    _stopped_run(photos, "Finished run", steps=2, stop_at=None)
    _stopped_run(photos, "Stopped run", steps=6, stop_at=2)
    _stopped_run(photos, "Broken run", steps=6, stop_at=2)
    settings = run_dir_for("Broken run") / "config.json"
    settings.write_text("[]")  # not settings at all: reading it used to raise, uncaught
    shutil.copytree(run_dir_for("Stopped run"), runs_dir() / "Stopped run copy")

    assert run_labels(resumable_runs()) == [
        "Broken-run (damaged: its settings cannot be read)",
        "Stopped run copy (step 2 of 6)",  # the copy is a run of its own, named as its folder
        "Stopped run (step 2 of 6)",
    ]
    menu = _menu(window)
    menu._update_actions()
    assert menu.resume_action.isEnabled()

    _choose_run(monkeypatch, menu, "Broken-run")
    menu.resume_action.trigger()
    assert menu.wizard is None
    ((title, message),) = window.errors
    assert title == "Resume training" and str(settings) in message and "damaged" in message

    opened = []
    monkeypatch.setattr(
        TrainingWizard, "start_process", lambda self: opened.append(self) or _FinishedProcess()
    )
    _choose_run(monkeypatch, menu, "Stopped run copy")
    menu.resume_action.trigger()
    (wizard,) = opened
    assert wizard.resume_dir == runs_dir() / "Stopped run copy"
    assert wizard.choices.name == "Stopped run copy" and wizard.currentId() == LIVE_PAGE
    wizard.reject()


def test_a_resumed_run_plots_its_earlier_losses_and_trains_the_remaining_steps(
    window, qtbot, tmp_path, monkeypatch
):
    photos = tmp_path / "photos"
    write_photos(photos, 3)
    _stopped_run(photos, "Crashed run", steps=10, stop_at=6, validate_every=10_000)

    menu = _menu(window)
    _choose_run(monkeypatch, menu, "Crashed run")
    menu.resume_action.trigger()
    wizard = menu.wizard
    live = wizard.live_page
    seen = []
    handle = live.handle
    live.handle = lambda event: (seen.append(event), handle(event))
    _wait(qtbot, live, live.isComplete)

    assert of_type(seen, ev.RunStarted)[0].start_step == 6
    assert [event.step for event in of_type(seen, ev.StepDone)] == [7, 8, 9, 10]
    assert [step for step, _ in live.plot.points["g_total"]] == list(range(1, 11))
    assert live.progress.value() == live.progress.maximum() == 10
    assert live.status.text().startswith("Done")
    assert resumable_runs() == []  # finished: no longer offered
    wizard.reject()
