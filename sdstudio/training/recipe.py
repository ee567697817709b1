"""A model's training recipe, written into its file and continued by a fine-tune.

A fine-tune that trains a model on other inputs, losses or learning rates than it was
made with pulls it away from what it is good at (issue 19: the shipped x2, tuned on the
trainer's heavy default degradations, got worse on its own kind of photo). So the
recipe travels in the model file (``recipe`` metadata, JSON) and a run that starts from
a base model continues it: same degradation profile, same loss weights (an L1-only model
stays L1-only), its optimiser settings, and an averaging window and validation schedule
sized to the run's length.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sdstudio.tasks import Task
from sdstudio.training.config import TrainingConfig
from sdstudio.training.degradation_profiles import SECOND_ORDER, profile_named_by

if TYPE_CHECKING:
    from sdstudio.engine.model_file import ModelInfo

RECIPE_KEY = "recipe"
# The settings that make up a recipe: what the inputs look like and what is optimised.
RECIPE_FIELDS = (
    "degradation",
    "l1_weight",
    "mask_l1_weight",
    "adv_weight",
    "fm_weight",
    "betas",
    "lr_g",
    "lr_d",
    "color_jitter",
)
# The base's own rate (after a warm-up): on the look folders of benchmarks/fine_tune.py
# twice the rate gained no more for enhance (+0.39 vs +0.37 dB) and made the repair
# refiner drift down faster (issue 19).
FINE_TUNE_LR_FACTOR = 1.0
VALIDATIONS_PER_RUN = 6  # how often a fine-tune scores itself (keep-best picks among them)
HELD_OUT_FRACTION = 0.2
# Adam's first steps move every weight by about the learning rate whatever its gradient;
# on a trained model that alone lost 0.4 dB at step 1 (issue 19), so the rate ramps up.
WARMUP_SHARE = 5  # a fifth of the run


def warmup_factor(step: int, config: TrainingConfig) -> float:
    """The learning rate's share at ``step`` (0-based) of a linear warm-up."""
    if config.warmup_steps <= 0:
        return 1.0
    return min(1.0, (step + 1) / config.warmup_steps)


def recipe_of_config(config: TrainingConfig) -> dict[str, Any]:
    """What the exported file records about how it was trained."""
    recipe: dict[str, Any] = {key: getattr(config, key) for key in RECIPE_FIELDS}
    recipe["betas"] = list(config.betas)
    if config.task == Task.ENHANCE:
        recipe["degradation"] = config.degradation or SECOND_ORDER
    else:
        recipe.pop("degradation")
    recipe["crop"] = config.crop
    recipe["task"] = config.task
    if config.task == Task.STYLE:
        recipe["style_source"] = config.style_source
    return recipe


def read_recipe(metadata: dict[str, str]) -> dict[str, Any]:
    """The recipe a model file records; older files are read from their ``config`` and
    ``degradation`` metadata (the shipped models before issue 19)."""
    try:
        stored = json.loads(metadata.get(RECIPE_KEY, "") or "null")
    except json.JSONDecodeError:
        stored = None
    if isinstance(stored, dict):
        return stored
    try:
        config = json.loads(metadata.get("config", "") or "{}")
    except json.JSONDecodeError:
        config = {}
    recipe = {
        key: config[key] for key in RECIPE_FIELDS if isinstance(config, dict) and key in config
    }
    try:
        values = json.loads(metadata.get("degradation", "") or "null")
    except json.JSONDecodeError:
        values = None
    named = profile_named_by(values)
    if named is not None:
        recipe["degradation"] = named
    elif recipe.get("degradation") is None and config:
        recipe["degradation"] = SECOND_ORDER
    for key in ("crop", "style_source"):
        if isinstance(config, dict) and key in config:
            recipe[key] = config[key]
    if isinstance(config, dict) and config.get("task") not in (None, Task.ENHANCE):
        recipe.pop("degradation", None)  # only enhance inputs are degraded
    return recipe


def ema_decay_for(steps: int) -> float:
    """An averaging window of about a tenth of the run: a 300-step fine-tune must export
    what it learnt, not weights that are still mostly the base (0.999 did that)."""
    return min(0.999, max(0.9, 1.0 - 10.0 / max(1, steps)))


def continue_base_recipe(config: TrainingConfig, metadata: dict[str, str]) -> TrainingConfig:
    """``config`` changed in place to continue the base model's recipe (see module doc).

    Settings the base does not record keep the config's values. Called once per run
    (``base_recipe_applied``), before the person's own overrides."""
    recipe = read_recipe(metadata)
    if config.task == Task.STYLE and recipe.get("style_source", config.style_source) != (
        config.style_source
    ):
        # A style learnt from preset renders (L1) fine-tuned on unpaired examples needs the
        # example losses (adversarial, PatchNCE): its recipe's losses do not apply.
        recipe = {}
    for key in RECIPE_FIELDS:
        if key in recipe and key not in ("lr_g", "lr_d", "degradation"):
            setattr(config, key, recipe[key])
    if config.task == Task.ENHANCE and recipe.get("degradation"):
        config.degradation = (
            None if recipe["degradation"] == SECOND_ORDER else recipe["degradation"]
        )
    for key in ("lr_g", "lr_d"):
        if key in recipe:
            setattr(config, key, float(recipe[key]) * FINE_TUNE_LR_FACTOR)
    config.betas = tuple(config.betas)
    config.ema_decay = ema_decay_for(config.steps)
    config.ema_warmup = False
    config.warmup_steps = max(10, config.steps // WARMUP_SHARE)
    config.validate_every = max(10, config.steps // VALIDATIONS_PER_RUN)
    config.val_fraction = HELD_OUT_FRACTION
    config.base_recipe_applied = True
    return config


def apply_base_recipe(config: TrainingConfig, base: ModelInfo | None = None) -> TrainingConfig:
    """Continues the base model's recipe when the run starts from one (once). ``base``:
    the base model, when the caller has resolved it already."""
    if not config.base_model or config.base_recipe_applied:
        return config
    if base is None:
        from sdstudio.training.model_setup import resolve_base_model

        base = resolve_base_model(config.base_model, config.task)
    return continue_base_recipe(config, base.metadata)
