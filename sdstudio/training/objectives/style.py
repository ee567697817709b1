"""Style: restyle a photo, learnt from a user's examples or from a procedural preset.

From examples (unpaired) the discriminator compares the output with crops of the
examples, the generator keeps the content's structure (low-frequency luminance) and a
patch contrastive loss ties each output patch to its input patch; its features are
matched by their statistics, as no example corresponds to a given output. From a preset
(paired renders, how the default styles are made) it is a plain L1 fit of the renders.
There is no target for a held-out photo, so validation reports how much of the content's
structure survives beside how far the output moved from it.
"""

from __future__ import annotations

import numpy as np
import torch

from sdstudio.engine.style.effects import preset_finish
from sdstudio.errors import TrainingDataError
from sdstudio.tasks import Task
from sdstudio.training import losses
from sdstudio.training.datasets import (
    FolderReport,
    ImagePool,
    augment,
    random_crop,
    scan_folder,
    to_chw,
)
from sdstudio.training.objectives.base import (
    Batch,
    BatchMaker,
    ExportFields,
    FeatureMatcher,
    TrainingObjective,
    ValidationCase,
)
from sdstudio.training.run_names import run_slug
from sdstudio.training.validation import mean_psnr_and_ssim

EXAMPLES_SHOWN = 4  # style examples beside the sample grid's rows


class StylePairs:
    """Unpaired: content crops (to restyle) and crops of the style examples."""

    def __init__(self, content: ImagePool, style: ImagePool, crop: int, jitter: float) -> None:
        self.content, self.style, self.crop, self.jitter = content, style, crop, jitter

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
        contents, styles = [], []
        for _ in range(size):
            contents.append(
                to_chw(
                    augment(rng, random_crop(rng, self.content.sample(rng), self.crop), self.jitter)
                )
            )
            # Style crops keep their colours: colour is part of a style.
            styles.append(
                to_chw(augment(rng, random_crop(rng, self.style.sample(rng), self.crop), 0))
            )
        return {"input": np.stack(contents), "style": np.stack(styles)}


class StyleObjective(TrainingObjective):
    task = Task.STYLE
    photo_role = "content photo"
    has_classical_baseline = False

    @property
    def paired(self) -> bool:
        """Learning a preset from its renders: every content crop has its target."""
        return self.config.style_source == "preset"

    def batch_maker(
        self, pool: ImagePool, report: FolderReport
    ) -> tuple[BatchMaker, list[np.ndarray]]:
        c = self.config
        if self.paired:
            from sdstudio.training.preset_pairs import PresetStylePairs

            if not c.style_preset:
                raise TrainingDataError("Learning a style preset needs the preset's name.")
            return PresetStylePairs(pool, c.style_preset, c.crop, c.color_jitter), []
        if not c.style_data_dir:
            raise TrainingDataError("Style training needs a folder of style examples.")
        style_report = scan_folder(c.style_data_dir, c.crop, keep_side=c.max_side)
        style_report.raise_if_unusable("style example")
        report.absorb_skipped(style_report)
        style_pool = ImagePool(style_report.images, c.max_side, decoded=style_report.kept)
        shown = style_report.images[:EXAMPLES_SHOWN]
        examples = [style_report.image(path) for path in shown]
        style_report.kept.clear()  # the pool holds them now
        return StylePairs(pool, style_pool, c.crop, c.color_jitter), examples

    def judged(self, batch: Batch, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return output, batch["target"] if self.paired else batch["style"]

    def reconstruction(self, nets, batch: Batch, output: torch.Tensor) -> Batch:
        c = self.config
        if self.paired:
            return super().reconstruction(nets, batch, output)
        terms = {"structure": c.structure_weight * losses.structure_loss(output, batch["input"])}
        if nets.nce is not None and c.nce_weight > 0:
            terms["nce"] = c.nce_weight * nets.nce(nets.generator, batch["input"], output)
        return terms

    def feature_matcher(self) -> FeatureMatcher:
        return losses.feature_matching if self.paired else losses.feature_statistics_matching

    def reference(self, batch: Batch) -> torch.Tensor:
        return batch["input"]

    def patch_nce(self, generator: torch.nn.Module, pairs: BatchMaker, device: torch.device):
        c = self.config
        if c.nce_weight <= 0:
            return None
        sample = torch.from_numpy(pairs.make_batch(np.random.default_rng(0), 1)["input"])
        return losses.PatchNCE(
            generator, sample.to(device), patches=c.nce_patches, temperature=c.nce_temperature
        )

    def validation_case(self, target: np.ndarray, index: int, seed: int) -> ValidationCase:
        return ValidationCase(to_chw(target))

    def classical(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        return target.copy()

    def scores(self, outputs, targets, cases) -> dict[str, float]:
        change_psnr, structure_ssim = mean_psnr_and_ssim(outputs, targets)
        return {"structure_ssim": structure_ssim, "change_psnr": change_psnr}

    def export_fields(self, base, hyperparameters: dict) -> ExportFields:
        # The Style panel runs a trained model through the preset it backs: the one chosen
        # for the run, else the base model's; a model for neither gets an id of its own.
        c = self.config
        style = c.style_preset or (base.style if base is not None else None)
        style = style or f"user_{run_slug(c.name)}"
        finish = preset_finish(style) if self.paired else None
        # It learnt the preset without its finish (grain...); the engine adds it.
        return ExportFields(style=style, extra={"finish": finish} if finish else {})
