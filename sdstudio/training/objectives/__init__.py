"""The training objective of each task the trainer trains (see ``base``).

The damage finder trains here too (``damage``: a segmentation loss, no discriminator);
``scripts/train_damage_detector.py`` is the stand-alone loop that made the shipped one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sdstudio.tasks import Task
from sdstudio.training.objectives.base import TrainingObjective, ValidationCase
from sdstudio.training.objectives.damage import DamageObjective
from sdstudio.training.objectives.enhance import EnhanceObjective
from sdstudio.training.objectives.repair import RepairObjective
from sdstudio.training.objectives.style import StyleObjective

if TYPE_CHECKING:
    from sdstudio.training.config import TrainingConfig

OBJECTIVES: dict[Task, type[TrainingObjective]] = {
    Task.REPAIR: RepairObjective,
    Task.ENHANCE: EnhanceObjective,
    Task.STYLE: StyleObjective,
    Task.DAMAGE: DamageObjective,
}
TRAINED_TASKS = tuple(OBJECTIVES)


def objective_for(
    config: TrainingConfig, *, guided: bool = False, scale: int | None = None
) -> TrainingObjective:
    """The objective of ``config``'s task. ``guided``: the repair generator refines
    classical fills; ``scale``: the generator's own upscale (a base model's), if known."""
    return OBJECTIVES[Task(config.task)](config, guided=guided, scale=scale)


__all__ = ["OBJECTIVES", "TRAINED_TASKS", "TrainingObjective", "ValidationCase", "objective_for"]
