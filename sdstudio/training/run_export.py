"""The end of a run: which weights are exported, with which scores and words, and the
side-by-side picture of the held-out photos the finish page shows.

Moved out of ``trainer`` so the loop stays readable; ``export_run`` is its only caller's
last step.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from sdstudio.engine.model_file import load_network
from sdstudio.training.events import RunFinished
from sdstudio.training.keep_best import BETTER, NO_BETTER, exported_scores
from sdstudio.training.model_setup import export_model
from sdstudio.training.recipe import RECIPE_KEY, recipe_of_config
from sdstudio.training.validation import save_png

if TYPE_CHECKING:
    from sdstudio.training.trainer import TrainingRun

COMPARISON_NAME = "comparison.png"
COMPARISON_ROWS = 4
# A model trained on someone's own photos is listed by name and never becomes the
# automatic choice for every photo (catalog.best_method skips variants when it can).
PERSONAL_VARIANT = "personal"


def exported_network(run: TrainingRun, outcome: str) -> torch.nn.Module:
    """The base model unchanged when nothing beat it, else the best validated weights."""
    if outcome == NO_BETTER and run.base is not None:
        return load_network(run.base, "cpu")
    network = copy.deepcopy(run.ema.shadow)
    if run.keeper.best_state is not None:
        network.load_state_dict(run.keeper.best_state)
    return network


def comparison_image(run: TrainingRun, network: torch.nn.Module) -> np.ndarray | None:
    """Rows of held-out photos: what the starting model made | what the new one makes |
    the original. None without held-out photos or a base model."""
    validator = run.validator
    if validator is None or not validator.targets or run.base is None:
        return None
    base = load_network(run.base, run.device).eval()
    tuned = network.to(run.device).eval()
    base_outputs = validator.outputs(lambda x: run._run_network(base, x))
    tuned_outputs = validator.outputs(lambda x: run._run_network(tuned, x))
    rows = [
        np.concatenate([before, after, target], axis=1)
        for before, after, target in zip(
            base_outputs[:COMPARISON_ROWS],
            tuned_outputs[:COMPARISON_ROWS],
            validator.targets[:COMPARISON_ROWS],
            strict=False,
        )
    ]
    return np.concatenate(rows, axis=0)


def export_run(run: TrainingRun, target: Path, elapsed_seconds: float) -> RunFinished:
    """Exports the run's model to ``target``; the event that tells the rest."""
    config = run.config
    outcome = run.keeper.outcome(run.scores.get("base") or {})
    gain = run.keeper.gain_db(run.scores.get("base") or {})
    scores = exported_scores(run.scores, run.keeper, outcome)
    network = exported_network(run, outcome)
    picture = comparison_image(run, network)
    picture_path = ""
    if picture is not None:
        picture_path = str(save_png(run.run_dir / COMPARISON_NAME, picture))
    extra = {RECIPE_KEY: json.dumps(recipe_of_config(config), sort_keys=True)}
    extra.update(run.objective.scored_metadata(scores.get("model") or {}))
    if run.base is not None:
        extra["variant"] = PERSONAL_VARIANT
        extra["fine_tune_outcome"] = outcome
        extra["held_out_images"] = str(len(run.val_paths))
        if gain is not None:
            extra["fine_tune_gain_db"] = f"{(gain if outcome == BETTER else 0.0):.3f}"
    info = export_model(
        target,
        network.to("cpu"),
        config,
        run.architecture,
        run.hyperparameters,
        run.base,
        steps=run.step,
        image_count=run.image_count,
        scores=scores,
        processes=run.context.world_size,
        extra=extra,
    )
    return RunFinished(
        step=run.step,
        model_path=str(info.path),
        scores=scores,
        outcome=outcome,
        gain_db=gain,
        comparison_path=picture_path,
        elapsed_seconds=elapsed_seconds,
        held_out_count=len(run.val_paths),
    )
