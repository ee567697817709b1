"""What a task's training learns from, behind one interface the generic parts call.

The adversarial step (``steps.GanStep``), the trainer, the validator and the export are
the same for every task; what differs is which batches are made, what the discriminator
judges, which reconstruction losses apply, how held-out photos are scored against the
classical method and which metadata the model file gets. Each task's module in this
package answers those questions for its task, so no shared code switches on task names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
import torch

from sdstudio.tasks import Task
from sdstudio.training import losses

if TYPE_CHECKING:
    from sdstudio.engine.model_file import ModelInfo
    from sdstudio.training.config import TrainingConfig
    from sdstudio.training.datasets import FolderReport, ImagePool
    from sdstudio.training.steps import Networks

Batch = dict[str, torch.Tensor]
FeatureMatcher = Callable[[list[torch.Tensor], list[torch.Tensor]], torch.Tensor]


class BatchMaker(Protocol):
    """Training batches as numpy ``float32`` arrays ``(N, C, H, W)`` in 0..1, by name
    (``input``, ``target``, ``mask``, ``style``); made without torch, so they are easy to
    test and to look at."""

    def make_batch(self, rng: np.random.Generator, size: int) -> dict[str, np.ndarray]: ...


@dataclass
class ValidationCase:
    """One held-out photo's fixed input, made once so every score compares like with like."""

    input: np.ndarray  # float32 (C, H, W): what the network sees
    mask: np.ndarray | None = None  # repair: the hole, uint8 0/255 at the photo's size


@dataclass
class ExportFields:
    """A task's own part of the model file's metadata."""

    scale: int | None = None
    style: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


class TrainingObjective(ABC):
    """A task's answers; the four abstract methods are what every task must give."""

    task: ClassVar[Task]
    photo_role: ClassVar[str] = "photo"  # what the photo folder holds, for its messages
    discriminator_channels: ClassVar[int] = 3
    # Whether a classical method makes the same kind of output, to be scored beside it.
    has_classical_baseline: ClassVar[bool] = True

    def __init__(
        self, config: TrainingConfig, *, guided: bool = False, scale: int | None = None
    ) -> None:
        self.config = config
        self.guided = guided  # the generator refines classical fills (repair)
        self.scale = scale if scale is not None else config.scale  # enhance's upscale

    # ----- data -----
    @abstractmethod
    def batch_maker(
        self, pool: ImagePool, report: FolderReport
    ) -> tuple[BatchMaker, list[np.ndarray]]:
        """Training batches from the photo pool, and the style examples the sample grid
        shows (if the task has any); unusable further files are added to ``report``."""

    # ----- losses -----
    def judged(self, batch: Batch, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """What the discriminator sees for the generated and for the real images."""
        return output, batch["target"]

    def reconstruction(self, nets: Networks, batch: Batch, output: torch.Tensor) -> Batch:
        """The generator's losses besides the adversarial ones, already weighted."""
        return {"l1": self.config.l1_weight * (output - batch["target"]).abs().mean()}

    def feature_matcher(self) -> FeatureMatcher:
        return losses.feature_matching

    def reference(self, batch: Batch) -> torch.Tensor:
        """What the output's spread is compared with (the stability guard's collapse check)."""
        return batch["target"]

    def patch_nce(self, generator: torch.nn.Module, pairs: BatchMaker, device: torch.device):
        """A contrastive loss trained beside the generator, or None."""
        return None

    # ----- validation -----
    def output_image(self, output: torch.Tensor) -> torch.Tensor:
        """The network's raw output as an image in 0..1 (a detector's logits: their
        probabilities), which validation scores and the sample grid shows."""
        return output

    def validation_size(self, size: int) -> int:
        return size

    @abstractmethod
    def validation_case(self, target: np.ndarray, index: int, seed: int) -> ValidationCase:
        """The fixed input of the ``index``-th held-out photo; ``seed`` makes it (masks,
        degradations) the same at every validation and for every model scored."""

    @abstractmethod
    def classical(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        """What the classical method makes of the case (uint8, the target's size)."""

    def pasted(self, output: np.ndarray, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        """The network's output as the user would see it in the photo."""
        return output

    @abstractmethod
    def scores(
        self, outputs: list[np.ndarray], targets: list[np.ndarray], cases: list[ValidationCase]
    ) -> dict[str, float]:
        """The task's scores of the outputs against the targets (named as in metadata)."""

    def shown_input(self, target: np.ndarray, case: ValidationCase) -> np.ndarray:
        """The sample grid's first column: the input as a picture."""
        return target

    # ----- export -----
    def export_fields(self, base: ModelInfo | None, hyperparameters: dict) -> ExportFields:
        return ExportFields()

    def scored_metadata(self, model_scores: dict[str, float]) -> dict[str, str]:
        """Metadata the exported weights' own validation decides (a detector's threshold)."""
        return {}
