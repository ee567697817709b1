"""The training wizard's Find damage task: the task page offers it, the data page asks
for an optional masks folder, and the run's settings carry it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWizard

from sdstudio.app.training_wizard.wizard import DATA_PAGE, TrainingWizard
from sdstudio.paths import bundled_models_dir
from sdstudio.tasks import Task
from tests.training.test_objective_damage import marked_scans


def _pick_task(qtbot, wizard: TrainingWizard, task: str) -> None:
    radio = wizard.task_page.buttons[task]
    # A radio button reacts on its indicator and label, not on empty space to the right.
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.currentId() == DATA_PAGE


def test_find_damage_task_shows_the_masks_picker_and_passes_the_folder_on(qtbot, tmp_path):
    photos, masks = marked_scans(tmp_path)
    wizard = TrainingWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    assert wizard.task_page.buttons[Task.DAMAGE].text() == "Find damage"
    _pick_task(qtbot, wizard, Task.DAMAGE)
    data = wizard.data_page
    assert data.masks.isVisible() and data.masks_hint.isVisible()
    assert not data.styles.isVisible()

    qtbot.keyClicks(data.photos.path_edit, str(photos))
    qtbot.waitUntil(data.isComplete, timeout=15_000)
    qtbot.keyClicks(data.masks.path_edit, str(tmp_path / "nowhere"))
    assert not data.isComplete()  # a masks folder given must hold masks
    qtbot.waitUntil(lambda: "does not exist" in data.masks.warnings.text(), timeout=15_000)
    data.masks.path_edit.clear()
    qtbot.keyClicks(data.masks.path_edit, str(masks))
    qtbot.waitUntil(data.isComplete, timeout=15_000)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    assert wizard.choices.mask_dir == str(masks)

    # The shipped detector is offered to fine-tune, and the run's settings carry the masks.
    shipped = str(bundled_models_dir() / "sdstudio-damage.safetensors")
    assert wizard.settings_page.base_combo.currentData() == shipped
    wizard.choices.name = "My scans"
    config = wizard.build_config()
    assert config.task == Task.DAMAGE and config.mask_dir == str(masks)
    assert config.adv_weight == 0.0 and config.base_model == wizard.choices.base_model


def test_other_tasks_do_not_show_the_masks_picker(qtbot, tmp_path):
    wizard = TrainingWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    _pick_task(qtbot, wizard, Task.REPAIR)
    assert not wizard.data_page.masks.isVisible()
    assert wizard.data_page.photos.isVisible()


def test_the_wizard_fine_tunes_the_detector_on_marked_scans(window, qtbot, tmp_path):
    from sdstudio.app.training_wizard.wizard import FINISH_PAGE, LIVE_PAGE

    photos, masks = marked_scans(tmp_path)
    menu = window.services.training
    menu.new_action.trigger()
    wizard = menu.wizard
    wizard.config_overrides = {
        "steps": 3, "batch_size": 2, "crop": 32, "val_count": 1, "val_size": 32,
        "max_side": 96, "checkpoint_every": 2, "validate_every": 2,
    }  # fmt: skip
    wizard.process_threads = 1
    qtbot.waitExposed(wizard)
    _pick_task(qtbot, wizard, Task.DAMAGE)
    qtbot.keyClicks(wizard.data_page.photos.path_edit, str(photos))
    qtbot.keyClicks(wizard.data_page.masks.path_edit, str(masks))
    qtbot.waitUntil(
        lambda: wizard.data_page.masks.usable() and wizard.data_page.isComplete(), timeout=15_000
    )
    click = lambda button: qtbot.mouseClick(  # noqa: E731
        wizard.button(button), Qt.MouseButton.LeftButton
    )
    click(QWizard.WizardButton.NextButton)
    settings = wizard.settings_page
    settings.device_combo.setCurrentIndex(settings.device_combo.findData("cpu"))
    settings.name_edit.clear()
    qtbot.keyClicks(settings.name_edit, "My scans")
    click(QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == LIVE_PAGE
    live = wizard.live_page

    def finished() -> bool:
        assert "failed" not in live.status.text(), live.status.text()
        return live.isComplete()

    qtbot.waitUntil(finished, timeout=120_000)
    click(QWizard.WizardButton.CommitButton)
    assert wizard.currentId() == FINISH_PAGE
    finish = wizard.finish_page
    labels = [finish.table.verticalHeaderItem(row).text() for row in range(finish.table.rowCount())]
    assert any("pixel F1" in label for label in labels)
    qtbot.mouseClick(finish.use_button, Qt.MouseButton.LeftButton)
    assert "Find damage" in finish.message.text()
    assert window.panel_tabs.currentWidget() is window.task_panels.repair
    wizard.reject()
