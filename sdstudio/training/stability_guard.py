"""Watches every training step for the ways adversarial training goes wrong.

It sees plain numbers (losses, how sure the discriminator is, how varied the outputs are)
and answers "fine" or names the problem; the trainer then rolls back to the last good
checkpoint, lowers the learning rate and carries on. After ``max_failures`` problems the
guard gives up with :class:`TrainingUnstable`, whose message says what happened and what
to try.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, fields
from statistics import median
from typing import Any

from sdstudio.errors import UserFacingError

PROBLEM_TEXT = {
    "non_finite": "a loss became NaN or infinite",
    "exploding_loss": "the generator loss exploded",
    "discriminator_wins": "the discriminator won completely for too long",
    "collapse": "the outputs collapsed to a nearly constant image",
}


class TrainingUnstable(UserFacingError):
    """Training kept failing even after rolling back and lowering the learning rate."""


@dataclass
class StepStats:
    losses: dict[str, float]
    d_real_accuracy: float | None = None  # fraction of real patches the discriminator calls real
    d_fake_accuracy: float | None = None  # fraction of fake patches it calls fake
    output_std: float | None = None  # mean per-image standard deviation of the outputs
    target_std: float | None = None  # the same for the targets (or inputs, unpaired)


@dataclass
class Problem:
    kind: str
    detail: str

    @property
    def message(self) -> str:
        return f"{PROBLEM_TEXT[self.kind].capitalize()} ({self.detail})."


@dataclass(frozen=True)
class GuardSettings:
    """The guard's thresholds: part of a run's ``TrainingConfig`` (its ``guard``), so a
    resumed run is watched exactly as it was."""

    loss_factor: float = 20.0  # a loss this many times its recent median is "exploding"
    d_win_steps: int = 200  # steps the discriminator may win completely before acting
    collapse_std: float = 0.01
    collapse_steps: int = 20
    lr_factor: float = 0.5  # the learning rate is multiplied by this after a rollback
    max_failures: int = 4

    @classmethod
    def from_flat(cls, values: dict[str, Any]) -> GuardSettings:
        """The settings of a config written before they were nested (``guard_*`` keys)."""
        names = {f.name for f in fields(cls)}
        return cls(**{name: values[f"guard_{name}"] for name in names if f"guard_{name}" in values})


@dataclass
class StabilityGuard:
    settings: GuardSettings = field(default_factory=GuardSettings)
    warmup_steps: int = 10  # steps of history before "exploding" means anything
    failures: int = 0
    history: list[dict] = field(default_factory=list)  # every problem, for the run log

    def __post_init__(self) -> None:
        self._recent: deque[float] = deque(maxlen=50)
        self._d_win_run = 0
        self._collapse_run = 0

    def check(self, stats: StepStats) -> Problem | None:
        """Looks at one step; a :class:`Problem` when the trainer must roll back."""
        for name, value in stats.losses.items():
            if not math.isfinite(value):
                return Problem("non_finite", f"{name} = {value}")
        limits = self.settings
        generator_loss = stats.losses.get("g_total")
        if generator_loss is not None:
            if len(self._recent) >= self.warmup_steps:
                typical = max(median(self._recent), 1e-3)
                if generator_loss > limits.loss_factor * typical:
                    return Problem(
                        "exploding_loss", f"{generator_loss:.3g}, typically {typical:.3g}"
                    )
            self._recent.append(generator_loss)
        if stats.d_real_accuracy is not None and stats.d_fake_accuracy is not None:
            wins = stats.d_real_accuracy > 0.99 and stats.d_fake_accuracy > 0.99
            self._d_win_run = self._d_win_run + 1 if wins else 0
            if self._d_win_run >= limits.d_win_steps:
                self._d_win_run = 0
                return Problem("discriminator_wins", f"{limits.d_win_steps} steps in a row")
        if stats.output_std is not None:
            target = stats.target_std if stats.target_std is not None else 1.0
            flat = stats.output_std < limits.collapse_std and target > 4 * limits.collapse_std
            self._collapse_run = self._collapse_run + 1 if flat else 0
            if self._collapse_run >= limits.collapse_steps:
                self._collapse_run = 0
                return Problem(
                    "collapse",
                    f"output spread {stats.output_std:.4f} for {limits.collapse_steps} steps",
                )
        return None

    def record(self, step: int, problem: Problem, rolled_back_to: int, new_lr: float) -> None:
        """Counts a failure; raises :class:`TrainingUnstable` once there are too many."""
        self.failures += 1
        self.history.append(
            {
                "step": step,
                "kind": problem.kind,
                "message": problem.message,
                "rolled_back_to": rolled_back_to,
                "learning_rate": new_lr,
            }
        )
        # A rollback starts a fresh run of statistics: the old ones described the failure.
        self._recent.clear()
        self._d_win_run = self._collapse_run = 0
        if self.failures >= self.settings.max_failures:
            kinds = ", ".join(sorted({entry["kind"] for entry in self.history}))
            raise TrainingUnstable(
                f"Training stopped at step {step}: it became unstable {self.failures} times "
                f"({kinds}), even after rolling back and lowering the learning rate to "
                f"{new_lr:.2g}. The last good checkpoint is kept. Try a smaller learning rate, "
                "fine-tuning from a base model instead of training from scratch, or more and "
                "more varied photos."
            )

    def state(self) -> dict:
        return {"failures": self.failures, "history": list(self.history)}

    def load_state(self, state: dict) -> None:
        self.failures = int(state.get("failures", 0))
        self.history = list(state.get("history", []))
