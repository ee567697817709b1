"""Fine-tuning the shipped enhance model in the wizard, as a person would (issue 19): the
finish page says in words whether the new model is better on their own held-out photos,
shows them side by side, and the model is selected by name, never made the automatic
choice for every photo."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtWidgets import QWizard

from benchmarks.look_folders import render_look
from sdstudio.engine import catalog
from sdstudio.paths import bundled_models_dir
from tests.app.test_training_wizard import _click, _open_wizard, _wait
from tests.training.conftest import synthetic_photo

SHIPPED_X2 = bundled_models_dir() / "sdstudio-enhance-x2.safetensors"
SMALL_RUN = {
    "steps": 30,
    "batch_size": 4,
    "crop": 64,
    "val_size": 64,
    "max_side": 192,
    "checkpoint_every": 1000,
}


def _comic_folder(folder, count: int = 10):
    """A tiny folder of one look: flat colours and dark outlines (benchmarks' "comic")."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(count):
        photo = cv2.resize(synthetic_photo(rng), (192, 144), interpolation=cv2.INTER_CUBIC)
        comic = render_look("comic", photo, index)
        cv2.imwrite(str(folder / f"comic-{index:02d}.png"), comic[:, :, ::-1])
    return folder


def _train_from_the_shipped_x2(window, qtbot, tmp_path, name: str, **overrides):
    wizard = _open_wizard(window, qtbot, "enhance", _comic_folder(tmp_path / "comics"), 30)
    wizard.config_overrides = {**SMALL_RUN, **overrides}
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    settings = wizard.settings_page
    settings.base_combo.setCurrentIndex(settings.base_combo.findData(str(SHIPPED_X2)))
    settings.device_combo.setCurrentIndex(settings.device_combo.findData("cpu"))
    settings.name_edit.clear()
    qtbot.keyClicks(settings.name_edit, name)
    _click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    live = wizard.live_page
    _wait(qtbot, live, live.isComplete)
    _click(qtbot, wizard.button(QWizard.WizardButton.CommitButton))
    return wizard


def test_a_better_fine_tune_says_so_in_words_and_is_selected_only_by_name(window, qtbot, tmp_path):
    wizard = _train_from_the_shipped_x2(window, qtbot, tmp_path, "My comics")
    finish = wizard.finish_page
    assert finish.title() == "Your model is ready"
    assert finish.headline.text() == "Sharper on your photos"
    gain = wizard.outcome.gain_db
    assert gain is not None and gain > 0
    assert finish.detail.text() == f"+{gain:.1f} dB on 4 held-out image(s)"
    # Side by side on the person's own held-out photos: rows of base | tuned | original.
    assert finish.comparison.isVisibleTo(finish) and finish.comparison.pixmap() is not None
    picture = cv2.imread(wizard.outcome.comparison_path)
    assert picture.shape[:2] == (4 * 64, 3 * 64)
    _click(qtbot, finish.use_button)
    combo = window.task_panels.enhance.model_combo
    assert combo.currentData() == "My-comics" and combo.currentText() == "My comics"
    assert "Other photos keep the automatic choice" in finish.message.text()
    # "auto" still means the shipped model for everyone's other photos.
    assert catalog.best_method("enhance", scale=2).path == SHIPPED_X2
    wizard.reject()


def test_a_fine_tune_that_is_no_better_says_so_and_is_not_offered_as_better(
    window, qtbot, tmp_path
):
    # A learning rate of zero cannot improve on the base model.
    wizard = _train_from_the_shipped_x2(window, qtbot, tmp_path, "Unchanged", lr_g=0.0, steps=4)
    finish = wizard.finish_page
    assert finish.title() != "Your model is ready"
    assert finish.headline.text() == (
        "No better than the model you started from; it was not made the default"
    )
    assert "holds SD Studio Enhance x2 unchanged" in finish.detail.text()
    assert finish.use_button.text() == "Select it by name anyway"
    assert "no better" in wizard.live_page.status.text()
    assert catalog.best_method("enhance", scale=2).path == SHIPPED_X2
    wizard.reject()


def test_the_time_estimate_follows_the_base_models_recipe(window, qtbot, tmp_path):
    from sdstudio.training.config import TrainingConfig, format_duration
    from sdstudio.training.estimate import estimate_preset_seconds

    wizard = _open_wizard(window, qtbot, "enhance", _comic_folder(tmp_path / "comics"), 30)
    wizard.config_overrides = {}
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    settings = wizard.settings_page
    settings.device_combo.setCurrentIndex(settings.device_combo.findData("cpu"))
    settings.base_combo.setCurrentIndex(settings.base_combo.findData(str(SHIPPED_X2)))
    tuned_label = settings.preset_combo.itemText(settings.preset_combo.findData("quick"))
    config = TrainingConfig(
        task="enhance", data_dir=str(tmp_path / "comics"), name="x", base_model=str(SHIPPED_X2)
    )
    expected = estimate_preset_seconds(config, "quick", "cpu", image_count=10)
    assert tuned_label == f"Quick: 300 steps, about {format_duration(expected)}"
    # From scratch the step is adversarial (discriminator, R1): several times dearer.
    settings.base_combo.setCurrentIndex(settings.base_combo.findData(None))
    scratch_label = settings.preset_combo.itemText(settings.preset_combo.findData("quick"))
    scratch = estimate_preset_seconds(
        TrainingConfig(task="enhance", data_dir="", name="x"), "quick", "cpu", image_count=10
    )
    assert scratch_label == f"Quick: 300 steps, about {format_duration(scratch)}"
    assert scratch > 2 * expected
    wizard.reject()
