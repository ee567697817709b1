"""The settings of a new run, from what a person chose in the CLI's flags or the wizard.

Both front ends build their run here, so the order that matters is the same for both:
the length preset, then the task's own starting settings (``config.TASK_DEFAULTS``),
then the base model's recipe (which sizes averaging and validation to
the run's steps), then the person's own settings, which win over the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sdstudio.errors import UserFacingError
from sdstudio.tasks import Task
from sdstudio.training.config import TASK_DEFAULTS, TrainingConfig
from sdstudio.training.recipe import apply_base_recipe


@dataclass
class RunChoices:
    task: str
    data_dir: str
    name: str
    style_data_dir: str | None = None
    mask_dir: str | None = None  # damage: masks the person marked, beside the photos
    base_model: str | None = None  # a model file, file name or model name to fine-tune
    style_preset: str | None = None
    scale: int = 2
    device: str = "auto"
    seed: int = 0
    preset: str = "quick"  # a config.PRESETS name: steps, batch size and crop
    steps: int | None = None  # instead of the preset's, before the recipe is sized to it
    # Further TrainingConfig fields; they win over the preset and the base model's recipe.
    overrides: dict[str, Any] = field(default_factory=dict)


def new_run_config(choices: RunChoices) -> TrainingConfig:
    """The complete settings of a new run; a :class:`UserFacingError` names a bad choice."""
    if choices.mask_dir and choices.task != Task.DAMAGE:
        raise UserFacingError("A masks folder is for training the damage finder (task damage).")
    config = TrainingConfig(
        task=choices.task,
        data_dir=choices.data_dir,
        name=choices.name,
        style_data_dir=choices.style_data_dir,
        mask_dir=choices.mask_dir,
        base_model=choices.base_model,
        style_preset=choices.style_preset,
        scale=choices.scale,
        device=choices.device,
        seed=choices.seed,
    ).with_preset(choices.preset)
    if choices.steps:
        config.steps = choices.steps
    for key, value in TASK_DEFAULTS.get(config.task, {}).items():
        setattr(config, key, value)
    apply_base_recipe(config)
    for key, value in choices.overrides.items():
        if not hasattr(config, key):
            raise UserFacingError(f"There is no training setting called {key!r}.")
        setattr(config, key, value)
    if config.style_preset:
        from sdstudio.style_presets import check_preset

        check_preset(config.style_preset)  # an unknown preset is named with the choices
    config.__post_init__()  # overrides given as JSON (a nested guard) become values again
    return config
