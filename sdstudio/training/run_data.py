"""The photos of a run: its folders scanned, validation held out, the task's batch maker.

Everything here is decided before the first step, so a folder without a usable photo
fails at once with a message that says what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sdstudio.errors import TrainingDataError
from sdstudio.training.config import TrainingConfig
from sdstudio.training.datasets import FolderReport, ImagePool, scan_folder, split_validation
from sdstudio.training.degradation_profiles import degrader
from sdstudio.training.model_setup import resolve_base_model
from sdstudio.training.pairs import EnhancePairs, RepairPairs, StylePairs


@dataclass
class RunData:
    report: FolderReport  # of the photo folder, with the style folder's skipped files added
    pairs: object  # RepairPairs, EnhancePairs, StylePairs or PresetStylePairs: make_batch()
    val_paths: list[Path]
    guided: bool  # repair: the generator refines classical fills (7-channel input)
    style_paths: list[Path] = field(default_factory=list)  # style examples, if any

    @property
    def image_count(self) -> int:
        return len(self.report.images)


def uses_guided_repair(config: TrainingConfig) -> bool:
    """Whether the repair generator refines classical fills (its input differs)."""
    from sdstudio.engine.repair_guides import GUIDED_ARCHITECTURES

    architecture = config.architecture
    if config.base_model:
        architecture = resolve_base_model(config.base_model, config.task).architecture
    return architecture in GUIDED_ARCHITECTURES


def held_out_count(config: TrainingConfig, image_count: int) -> int:
    """Validation photos of a folder: ``val_fraction`` of it, at least ``val_count``
    (``datasets.split_validation`` validates on training photos when that is over half)."""
    count = config.val_count
    if config.val_fraction:
        count = max(count, round(config.val_fraction * image_count))
    return count if image_count >= 2 * count else min(count, image_count)


def load_run_data(config: TrainingConfig) -> RunData:
    c = config
    report = scan_folder(c.data_dir, c.crop)
    report.raise_if_unusable("photo" if c.task != "style" else "content photo")
    held_out = held_out_count(c, report.count)
    train_paths, val_paths = split_validation(report.images, held_out, c.seed)
    pool = ImagePool(train_paths, c.max_side)
    guided = c.task == "repair" and uses_guided_repair(c)
    style_paths: list[Path] = []
    if c.task == "repair":
        pairs = RepairPairs(pool, c.crop, c.color_jitter, guided, c.crop_zoom)
    elif c.task == "enhance":
        scale = c.network_hyperparameters()["scale"]
        degrade = degrader(c.degradation)
        pairs = EnhancePairs(pool, c.crop, scale, c.color_jitter, degrade, c.crop_zoom)
    elif c.style_source == "preset":
        from sdstudio.training.preset_pairs import PresetStylePairs

        if not c.style_preset:
            raise TrainingDataError("Learning a style preset needs the preset's name.")
        pairs = PresetStylePairs(pool, c.style_preset, c.crop, c.color_jitter)
    else:
        if not c.style_data_dir:
            raise TrainingDataError("Style training needs a folder of style examples.")
        style_report = scan_folder(c.style_data_dir, c.crop)
        style_report.raise_if_unusable("style example")
        style_paths = style_report.images
        report.absorb_skipped(style_report)
        pairs = StylePairs(pool, ImagePool(style_paths, c.max_side), c.crop, c.color_jitter)
    return RunData(report, pairs, val_paths, guided, style_paths)
