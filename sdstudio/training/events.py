"""What a training run reports, as plain picklable values (no torch, no Qt).

The trainer yields these; the process runner sends them over a multiprocessing queue to
the wizard, and the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    total_steps: int
    start_step: int  # > 0 when resuming
    image_count: int
    device: str
    run_dir: str
    skipped_files: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # (step, generator loss, discriminator loss) of the steps before ``start_step`` as the
    # checkpoint kept them, so a resumed run's plot shows the whole run
    loss_history: tuple[tuple[int, float, float | None], ...] = ()


@dataclass(frozen=True)
class StepDone:
    step: int
    total_steps: int
    losses: dict[str, float]
    images_per_second: float
    eta_seconds: float
    learning_rate: float


@dataclass(frozen=True)
class GuardTriggered:
    step: int
    kind: str  # "non_finite", "exploding_loss", "discriminator_wins", "collapse"
    message: str
    rolled_back_to: int
    new_learning_rate: float
    failures: int


@dataclass(frozen=True)
class _FileSavedAt:
    """A file the run wrote at ``step``: what the wizard links to and the CLI prints."""

    step: int
    path: str


@dataclass(frozen=True)
class CheckpointSaved(_FileSavedAt):
    """A checkpoint to resume from."""


@dataclass(frozen=True)
class SampleGridSaved(_FileSavedAt):
    """The validation photos as the generator paints them now."""


@dataclass(frozen=True)
class Validated:
    step: int
    scores: dict[str, Any]  # {"model": {...}, "base": {...}, "classical": {...}}


@dataclass(frozen=True)
class RunFinished:
    step: int
    model_path: str
    scores: dict[str, Any] = field(default_factory=dict)  # the exported weights' (keep_best)
    # keep_best: "better", "no_better" (the base was exported unchanged) or "trained"
    outcome: str = ""
    gain_db: float | None = None  # exported model minus base, in the task's primary score
    comparison_path: str = ""  # held-out photos, starting model beside the exported one
    elapsed_seconds: float = 0.0  # wall time of this session of the run
    held_out_count: int = 0


@dataclass(frozen=True)
class RunCancelled:
    step: int
    checkpoint_path: str


@dataclass(frozen=True)
class RunFailed:
    message: str
    details: str = ""


@dataclass(frozen=True)
class _RunStateAt:
    step: int


@dataclass(frozen=True)
class RunPaused(_RunStateAt):
    """Paused by the person: the run waits between steps until resumed or cancelled."""


@dataclass(frozen=True)
class RunResumed(_RunStateAt):
    """Going on from the step it paused at."""


TrainingEvent = (
    RunStarted
    | StepDone
    | GuardTriggered
    | CheckpointSaved
    | SampleGridSaved
    | Validated
    | RunFinished
    | RunCancelled
    | RunFailed
    | RunPaused
    | RunResumed
)
