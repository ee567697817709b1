"""The photos of a run: its folders scanned, validation held out, the task's batch maker.

Everything here is decided before the first step, so a folder without a usable photo
fails at once with a message that says what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sdstudio.training.config import TrainingConfig
from sdstudio.training.datasets import FolderReport, ImagePool, scan_folder, split_validation
from sdstudio.training.objectives import TrainingObjective
from sdstudio.training.objectives.base import BatchMaker


@dataclass
class RunData:
    report: FolderReport  # of the photo folder, with the style folder's skipped files added
    pairs: BatchMaker  # the objective's batch maker
    val_paths: list[Path]
    val_images: list[np.ndarray]  # the held-out photos, as the pool downscales them
    style_examples: list[np.ndarray] = field(default_factory=list)  # for the sample grid

    @property
    def image_count(self) -> int:
        return len(self.report.images)


def held_out_count(config: TrainingConfig, image_count: int) -> int:
    """Validation photos of a folder: ``val_fraction`` of it, at least ``val_count``
    (``datasets.split_validation`` validates on training photos when that is over half)."""
    count = config.val_count
    if config.val_fraction:
        count = max(count, round(config.val_fraction * image_count))
    return count if image_count >= 2 * count else min(count, image_count)


def load_run_data(objective: TrainingObjective) -> RunData:
    c = objective.config
    # Each photo is decoded once: the scan keeps it for the pool and for validation.
    report = scan_folder(c.data_dir, c.crop, keep_side=c.max_side)
    report.raise_if_unusable(objective.photo_role)
    held_out = held_out_count(c, report.count)
    train_paths, val_paths = split_validation(report.images, held_out, c.seed)
    pool = ImagePool(train_paths, c.max_side, decoded=report.kept)
    pairs, style_examples = objective.batch_maker(pool, report)
    val_images = [report.image(path) for path in val_paths]
    report.kept.clear()  # the pool holds what it trains on; the rest is handed on above
    return RunData(report, pairs, val_paths, val_images, style_examples)
