"""How long a run will take, before it starts: the time shown on the wizard's settings page
and printed by ``sdstudio train``.

The cost of a step depends far more on *what* is trained than on the preset: an L1-only
fine-tune of a fidelity model has no discriminator, R1 or feature matching, and a guided
repair network spends most of its step building the classical fills of its crops. The
rates below are crops per second at a 128 px crop on one thread of this project's 2-core
CPU (``benchmarks/fine_tune.py`` prints estimate beside actual time); other devices scale
the CPU rows by how much faster their steps were measured to be. Validation, the
base model's score and the export are counted separately, since a short fine-tune spends
a large share of its time on them.
"""

from __future__ import annotations

from sdstudio.tasks import Task
from sdstudio.training.config import THROUGHPUT_CROPS_PER_S, TrainingConfig

_REFERENCE_CROP = 128
# (task, kind of step) -> crops per second at 128 px, one CPU thread (measured).
CPU_CROPS_PER_S = {
    (Task.REPAIR, "l1"): 9.0,
    (Task.REPAIR, "adversarial"): 2.5,
    (Task.REPAIR, "guided_l1"): 9.0,
    (Task.ENHANCE, "l1"): 36.0,
    (Task.ENHANCE, "adversarial"): 6.0,
    (Task.STYLE, "l1"): 8.3,
    (Task.STYLE, "adversarial"): 3.0,
    (Task.DAMAGE, "l1"): 40.0,  # no discriminator; the segmentation loss is the "l1" step
}
START_SECONDS = 8.0  # torch import, folder scan, networks, the first checkpoint
# Seconds per validation photo at the default 192 px validation size (guided repair
# builds its fills once, at the start).
VALIDATION_SECONDS_PER_IMAGE = {
    Task.REPAIR: 0.15,
    Task.ENHANCE: 0.05,
    Task.STYLE: 0.2,
    Task.DAMAGE: 0.1,  # the detector, the classical finder and 11 thresholds' scores
}
GUIDED_SETUP_SECONDS_PER_IMAGE = 1.5


def step_kind(config: TrainingConfig, guided: bool) -> str:
    if config.adv_weight > 0:
        return "adversarial"
    return "guided_l1" if guided else "l1"


def device_speedup(device_kind: str, task: str) -> float:
    """How many times a CPU thread's rate the device's steps run (from the throughput
    table, which holds adversarial rates for every device)."""
    cpu = THROUGHPUT_CROPS_PER_S[("cpu", task)]
    return THROUGHPUT_CROPS_PER_S.get((device_kind, task), cpu) / cpu


def estimate_run_seconds(
    config: TrainingConfig,
    device_kind: str = "cpu",
    *,
    guided: bool | None = None,
    held_out: int | None = None,
) -> float:
    """Wall time of ``config`` from start to exported file on ``device_kind``."""
    if guided is None or (config.base_model and not config.base_recipe_applied):
        from sdstudio.training.model_setup import plan_generator
        from sdstudio.training.recipe import apply_base_recipe

        plan = plan_generator(config)  # resolves the base model once for both
        config = apply_base_recipe(config, plan.base)
        guided = plan.guided if guided is None else guided
    rate = CPU_CROPS_PER_S[(config.task, step_kind(config, guided))]
    rate *= device_speedup(device_kind, config.task)
    pixels = (config.crop / _REFERENCE_CROP) ** 2
    training = config.steps * config.batch_size * pixels / rate
    photos = config.val_count if held_out is None else held_out
    validations = 2 + config.steps // max(1, config.validate_every)
    size_factor = (config.val_size / 192) ** 2
    scoring = validations * photos * VALIDATION_SECONDS_PER_IMAGE[config.task] * size_factor
    setup = photos * GUIDED_SETUP_SECONDS_PER_IMAGE * size_factor if guided else 0.0
    return START_SECONDS + training + scoring + setup


def estimate_preset_seconds(
    config: TrainingConfig, preset: str, device_kind: str, image_count: int = 0
) -> float:
    """The estimate of ``config`` run with ``preset`` (the settings page's choices), for a
    folder of ``image_count`` photos (0: unknown)."""
    from dataclasses import replace

    from sdstudio.training.recipe import apply_base_recipe
    from sdstudio.training.run_data import held_out_count

    # The recipe sizes validation to the run's length: derive it for this preset.
    candidate = apply_base_recipe(replace(config, base_recipe_applied=False).with_preset(preset))
    held_out = held_out_count(candidate, image_count) if image_count else None
    return estimate_run_seconds(candidate, device_kind, held_out=held_out)
