"""The CLI and the wizard build a new run's settings the same way."""

from __future__ import annotations

import pytest

from sdstudio.errors import UserFacingError
from sdstudio.training.config import PRESETS
from sdstudio.training.new_run import RunChoices, new_run_config
from sdstudio.training.stability_guard import GuardSettings
from tests.training.helpers import save_tiny_base


def test_the_preset_then_the_steps_then_the_overrides():
    choices = RunChoices(
        task="enhance", data_dir="/photos", name="big", scale=4, preset="standard", steps=50,
        overrides={"batch_size": 3, "guard": {"max_failures": 2}},
    )  # fmt: skip
    config = new_run_config(choices)
    assert config.steps == 50 and config.batch_size == 3
    assert config.crop == PRESETS["standard"]["crop"] and config.scale == 4
    assert config.guard == GuardSettings(max_failures=2)


def test_a_base_models_recipe_is_continued_and_the_overrides_win(tmp_path):
    base = save_tiny_base(tmp_path / "base.safetensors", "repair")
    choices = RunChoices(
        task="repair", data_dir=str(tmp_path), name="tuned", base_model=str(base),
        overrides={"validate_every": 7},
    )  # fmt: skip
    config = new_run_config(choices)
    assert config.base_recipe_applied and config.ema_warmup is False
    assert config.validate_every == 7


def test_unknown_settings_and_presets_are_refused():
    with pytest.raises(UserFacingError, match="nonsense"):
        new_run_config(RunChoices("repair", "/p", "x", overrides={"nonsense": 1}))
    with pytest.raises(UserFacingError, match="oil_painting"):
        new_run_config(RunChoices("style", "/p", "x", style_preset="finger_painting"))
