"""Keep-best for a run: the best-scoring weights seen at any validation, and the verdict
on whether they beat the model the run started from.

A fine-tune on a few photos can end worse than it started (noisy batches, a step too
big). The run therefore exports the weights of its best validation, and when even those
are not better than the base model on the held-out photos, it exports the base model's
weights unchanged and says so (``FINE_TUNE_OUTCOME`` metadata), so nobody is offered a
worse model as an improvement. The scores written with the file are the exported
weights' own, which is what the catalog's "auto" rule (``engine.model_checks``) reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from sdstudio.engine.model_checks import PRIMARY_SCORES

BETTER, NO_BETTER, TRAINED = "better", "no_better", "trained"
# Below this a "gain" is noise in a 5-photo validation, not an improvement worth a model.
MIN_GAIN_DB = 0.05


@dataclass
class KeepBest:
    task: str
    has_base: bool
    best_state: dict | None = None  # generator state_dict of the best validation
    best_scores: dict[str, float] = field(default_factory=dict)
    best_step: int = -1

    @property
    def key(self) -> str | None:
        return PRIMARY_SCORES.get(self.task)

    def offer(self, step: int, model_scores: dict[str, float], state: dict) -> None:
        """Remembers ``state`` when its score is the best so far (no score: the latest)."""
        key = self.key
        if key is None or key not in model_scores:
            self.best_state = copy.deepcopy(state)
            self.best_scores, self.best_step = dict(model_scores), step
            return
        if self.best_step < 0 or model_scores[key] > self.best_scores.get(key, float("-inf")):
            self.best_state = copy.deepcopy(state)
            self.best_scores, self.best_step = dict(model_scores), step

    def outcome(self, base_scores: dict[str, float]) -> str:
        key = self.key
        if not self.has_base or key is None or key not in base_scores:
            return TRAINED
        if self.best_step < 0:
            return NO_BETTER
        gain = self.best_scores.get(key, float("-inf")) - base_scores[key]
        return BETTER if gain >= MIN_GAIN_DB else NO_BETTER

    def gain_db(self, base_scores: dict[str, float]) -> float | None:
        key = self.key
        if key is None or key not in base_scores or key not in self.best_scores:
            return None
        return float(self.best_scores[key] - base_scores[key])

    # ----- checkpoint (a resumed run keeps its best) -----
    def meta(self) -> dict[str, Any]:
        return {"best_scores": self.best_scores, "best_step": self.best_step}

    def load_meta(self, meta: dict[str, Any] | None) -> None:
        if meta:
            self.best_scores = dict(meta.get("best_scores") or {})
            self.best_step = int(meta.get("best_step", -1))


def exported_scores(scores: dict[str, Any], keeper: KeepBest, outcome: str) -> dict[str, Any]:
    """The ``validation`` metadata of the exported file: the exported weights' scores."""
    result = dict(scores)
    if outcome == NO_BETTER and "base" in scores:
        result["model"] = dict(scores["base"])  # the base's own weights are exported
        result["step"] = 0
    elif keeper.best_step >= 0:
        result["model"] = dict(keeper.best_scores)
        result["step"] = keeper.best_step
    return result
