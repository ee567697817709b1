"""Damage: find scratches, dust, cracks, stains and tears (a mask, not an edit).

The detector (``engine.networks.damage_unet``) is a segmentation network: it learns from
crops of the person's photos with rendered damage (``damage_batches``, as
``scripts/train_damage_detector.py`` trains the shipped model) and, when a masks folder
is given, from their own scans with the damage they marked (white = damage, one mask per
photo of the same file stem). A batch then takes ``marked_share`` of its crops from the
marked scans, so a handful of them counts beside every rendered crop. The loss is the
script's: BCE with positive weighting plus soft dice; there is no discriminator.

Held-out photos are scored by pixel F1 with a 2 px tolerance (``damage_scores``) on
fixed rendered damage, or on the person's own marks for a held-out marked scan, beside
the classical top-hat finder. The score picks the operating threshold the model file
names (``engine.damage.operating_threshold``): the best F1 among thresholds that mark at
most ``MAX_FALSE_MARKED`` of the pixels away from any damage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from sdstudio.engine.damage import network_input
from sdstudio.engine.damage_classical import find_damage_classical
from sdstudio.errors import TrainingDataError
from sdstudio.tasks import Task
from sdstudio.training.damage_batches import PhotoPool
from sdstudio.training.damage_render import render_damage
from sdstudio.training.damage_scores import MaskCounts
from sdstudio.training.datasets import (
    FolderReport,
    ImagePool,
    candidate_files,
    decode_image,
    split_validation,
)
from sdstudio.training.objectives.base import Batch, ExportFields, TrainingObjective, ValidationCase

# The candidate operating thresholds and the quiet-photo limit of the stand-alone script
# (the target: at most 0.2 % of an undamaged photo marked).
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95)
MAX_FALSE_MARKED = 0.002
TOLERANCE_PX = 2
# DamageUNet's defaults: a run without hyperparameters builds this input.
DEFAULT_INPUT = {"in_channels": 5, "cue_kernel": 9}
MASK_LEVEL = 127  # a mask pixel above this is damage (white = damage)


@dataclass
class MarkedScan:
    """A person's photo and the damage they marked on it, at the run's photo size."""

    path: Path
    image: np.ndarray  # uint8 (H, W, 3)
    mask: np.ndarray  # uint8 (H, W), 255 = damage


@dataclass
class DamageCase(ValidationCase):
    damaged: np.ndarray | None = None  # uint8 (H, W, 3): the photo the detector looks at


def mask_files(folder: str | Path) -> dict[str, Path]:
    """The image files of a masks folder by file stem (the first of a repeated stem)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise TrainingDataError(f"The masks folder {folder} does not exist or is not a folder.")
    found: dict[str, Path] = {}
    for path in candidate_files(folder)[0]:
        found.setdefault(path.stem, path)
    return found


def read_mask(path: Path, height: int, width: int) -> np.ndarray:
    """uint8 (H, W) 0/255; a mask of another size is resized with nearest (no new grey)."""
    pixels = decode_image(path).max(axis=2)
    if pixels.shape != (height, width):
        pixels = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_NEAREST)
    return np.where(pixels > MASK_LEVEL, 255, 0).astype(np.uint8)


def pair_marked_scans(
    report: FolderReport, paths: Sequence[Path], masks: dict[str, Path]
) -> list[MarkedScan]:
    """The photos among ``paths`` that have a mask; unreadable masks join the report."""
    scans = []
    for path in paths:
        mask_path = masks.get(path.stem)
        if mask_path is None:
            continue
        image = report.image(path)
        try:
            mask = read_mask(mask_path, *image.shape[:2])
        except Exception as error:  # any decoder failure: skip this pair and say so
            report.unreadable.append((mask_path, str(error) or type(error).__name__))
            continue
        scans.append(MarkedScan(path, image, mask))
    return scans


def crop_pair(
    rng: np.random.Generator, scan: MarkedScan, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """The same random ``size`` square of a scan and its mask, flipped and turned alike."""
    image, mask = scan.image, scan.mask
    height, width = mask.shape
    if min(height, width) < size:
        factor = size / min(height, width)
        new_size = (max(size, round(width * factor)), max(size, round(height * factor)))
        image = cv2.resize(image, new_size, interpolation=cv2.INTER_CUBIC)
        mask = cv2.resize(mask, new_size, interpolation=cv2.INTER_NEAREST)
        height, width = mask.shape
    top = int(rng.integers(0, height - size + 1))
    left = int(rng.integers(0, width - size + 1))
    image = image[top : top + size, left : left + size]
    mask = mask[top : top + size, left : left + size]
    if rng.random() < 0.5:
        image, mask = image[:, ::-1], mask[:, ::-1]
    if rng.random() < 0.25:
        image, mask = np.rot90(image), np.rot90(mask)
    return np.ascontiguousarray(image), np.ascontiguousarray(mask)


class _PoolPhotos:
    """The run's image pool as the list of photos ``PhotoPool`` crops from."""

    def __init__(self, pool: ImagePool) -> None:
        self.pool = pool

    def __len__(self) -> int:
        return len(self.pool)

    def __getitem__(self, index: int) -> np.ndarray:
        return self.pool.get(index)


class PooledPhotoPool(PhotoPool):
    """The script's crops and rendered damage, on the photos the run's scan decoded."""

    def __init__(self, pool: ImagePool) -> None:
        # Not PhotoPool's own: that decodes files, which the run's scan has done already.
        self.photos = _PoolPhotos(pool)


class DamageBatches:
    """Inputs (RGB and cues, as the engine builds them) and damage masks (``target``)."""

    def __init__(
        self,
        rendered: PhotoPool | None,
        marked: list[MarkedScan],
        crop: int,
        network: dict[str, int],
        marked_share: float,
    ) -> None:
        if rendered is None and not marked:
            raise TrainingDataError("There are no photos to train the damage finder on.")
        self.rendered, self.marked, self.crop = rendered, marked, crop
        self.network, self.marked_share = network, marked_share

    def marked_count(self, size: int) -> int:
        if not self.marked:
            return 0
        if self.rendered is None:
            return size
        return min(size, max(1, round(size * self.marked_share)))

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        inputs, masks = [], []
        for _ in range(self.marked_count(size)):
            image, mask = crop_pair(
                rng, self.marked[int(rng.integers(len(self.marked)))], self.crop
            )
            inputs.append(network_input(image, **self.network).transpose(2, 0, 1))
            masks.append((mask > 0).astype(np.float32)[None])
        rendered = size - len(inputs)
        if rendered:
            batch = self.rendered.batch(
                int(rng.integers(2**62)), batch_size=rendered, size=self.crop, **self.network
            )
            inputs.extend(batch.inputs)
            masks.extend(batch.masks)
        return {"input": np.ascontiguousarray(np.stack(inputs)), "target": np.stack(masks)}


def centre_square_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """``validation.centre_square`` for a mask: the same square, resized with nearest."""
    height, width = mask.shape
    short = min(height, width)
    top, left = (height - short) // 2, (width - short) // 2
    square = mask[top : top + short, left : left + short]
    return np.ascontiguousarray(cv2.resize(square, (size, size), interpolation=cv2.INTER_NEAREST))


def detector_scores(probabilities: list[np.ndarray], truths: list[np.ndarray]) -> dict[str, float]:
    """Pooled pixel scores (2 px tolerance) at the operating threshold they choose, from
    uint8 probability maps (x 255) and 0/255 true masks."""
    counts = {threshold: MaskCounts() for threshold in THRESHOLDS}
    for probability, truth in zip(probabilities, truths, strict=True):
        for threshold, count in counts.items():
            count.add(probability > threshold * 255.0, truth, TOLERANCE_PX)

    def false_marked(count: MaskCounts) -> float:
        wrong = count.predicted - count.predicted_near_truth
        return wrong / count.pixels if count.pixels else 0.0

    quiet = [t for t in THRESHOLDS if false_marked(counts[t]) <= MAX_FALSE_MARKED]
    chosen = max(quiet or THRESHOLDS, key=lambda t: counts[t].f1)
    best = counts[chosen]
    return {
        "f1": best.f1,
        "precision": best.precision,
        "recall": best.recall,
        "false_marked_percent": 100 * false_marked(best),
        "operating_threshold": chosen,
    }


class DamageObjective(TrainingObjective):
    task = Task.DAMAGE
    discriminator_channels = 1  # never trained (adversarial weight 0): a logit map

    def __init__(self, config, *, guided: bool = False, scale: int | None = None) -> None:
        super().__init__(config, guided=guided, scale=scale)
        # The person's marks of the validation photos (None: rendered damage), by index.
        self.validation_marks: list[np.ndarray | None] = []

    @cached_property
    def input_settings(self) -> dict[str, int]:
        """Which cue channels the trained network reads: the base model's, else the run's."""
        params = dict(self.config.network_hyperparameters())
        if self.config.base_model:
            from sdstudio.training.model_setup import resolve_base_model

            params = resolve_base_model(self.config.base_model, self.task).hyperparameters
        return {key: int(params.get(key, value)) for key, value in DEFAULT_INPUT.items()}

    # ----- data -----
    def batch_maker(self, pool: ImagePool, report: FolderReport) -> tuple[DamageBatches, list]:
        c = self.config
        marked: list[MarkedScan] = []
        plain = list(pool.paths)
        if c.mask_dir:
            masks = mask_files(c.mask_dir)
            marked = pair_marked_scans(report, pool.paths, masks)
            marked_paths = {scan.path for scan in marked}
            plain = [path for path in pool.paths if path not in marked_paths]
            self._note_masks(report, masks, sum(p.stem in masks for p in report.images))
            self.validation_marks = self._held_out_marks(report, masks)
        rendered = None
        if plain:
            plain_pool = (
                pool
                if len(plain) == len(pool)
                else ImagePool(plain, c.max_side, decoded=report.kept)
            )
            rendered = PooledPhotoPool(plain_pool)
        settings = self.input_settings
        return DamageBatches(rendered, marked, c.crop, settings, c.marked_share), []

    def _note_masks(self, report: FolderReport, masks: dict[str, Path], paired: int) -> None:
        photo_stems = {path.stem for path in report.images}
        orphans = sorted(path.name for stem, path in masks.items() if stem not in photo_stems)
        if orphans:
            shown = ", ".join(orphans[:5]) + (", …" if len(orphans) > 5 else "")
            report.notes.append(
                f"{len(orphans)} mask(s) have no photo of the same name in the photo folder "
                f"and are skipped: {shown}."
            )
        report.notes.append(
            f"{paired} of {report.count} photo(s) have a mask and train with the damage "
            "marked on them; the others get rendered damage."
        )

    def _held_out_marks(
        self, report: FolderReport, masks: dict[str, Path]
    ) -> list[np.ndarray | None]:
        """The marks of the validation photos (None: rendered damage), in the order the
        run holds them out (``run_data.load_run_data``)."""
        from sdstudio.training.run_data import held_out_count

        held = held_out_count(self.config, report.count)
        _, val_paths = split_validation(report.images, held, self.config.seed)
        scans = {scan.path: scan.mask for scan in pair_marked_scans(report, val_paths, masks)}
        return [scans.get(path) for path in val_paths]

    # ----- losses -----
    def reconstruction(self, nets, batch: Batch, output: torch.Tensor) -> Batch:
        c = self.config
        target = batch["target"]
        pos_weight = torch.tensor(c.damage_pos_weight, dtype=output.dtype, device=output.device)
        bce = F.binary_cross_entropy_with_logits(output, target, pos_weight=pos_weight)
        probability = torch.sigmoid(output)
        overlap = (probability * target).sum()
        dice = 1 - (2 * overlap + 1) / (probability.sum() + target.sum() + 1)
        return {"bce": bce, "dice": c.dice_weight * dice}

    # ----- validation -----
    def output_image(self, output: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(output)

    def validation_size(self, size: int) -> int:
        return max(16, size - size % 16)  # the network's total stride: no padding

    def validation_case(self, target: np.ndarray, index: int, seed: int) -> DamageCase:
        marks = self.validation_marks
        mark = marks[index] if index < len(marks) else None
        if mark is not None:  # a held-out marked scan: its own damage, as marked
            damaged, mask = target, centre_square_mask(mark, target.shape[0])
        else:
            damaged, mask = render_damage(np.random.default_rng(seed), target)
        planes = network_input(damaged, **self.input_settings)
        return DamageCase(np.ascontiguousarray(planes.transpose(2, 0, 1)), mask, damaged)

    def classical(self, target: np.ndarray, case: DamageCase) -> np.ndarray:
        return np.repeat(find_damage_classical(case.damaged)[:, :, None], 3, axis=2)

    def pasted(self, output: np.ndarray, target: np.ndarray, case: DamageCase) -> np.ndarray:
        return np.repeat(output[:, :, :1], 3, axis=2)  # the probability map, grey

    def scores(self, outputs, targets, cases) -> dict[str, float]:
        return detector_scores([output[:, :, 0] for output in outputs], [c.mask for c in cases])

    def shown_input(self, target: np.ndarray, case: DamageCase) -> np.ndarray:
        return case.damaged

    # ----- export -----
    def export_fields(self, base, hyperparameters: dict) -> ExportFields:
        data = "photos with rendered damage (sdstudio.training.damage_render)"
        if self.config.mask_dir:
            data += f", and scans with damage marked in {Path(self.config.mask_dir).name}"
        return ExportFields(extra={"training_data": data})

    def scored_metadata(self, model_scores: dict[str, float]) -> dict[str, str]:
        threshold = model_scores.get("operating_threshold", 0.5)
        return {"operating_threshold": str(threshold)}
