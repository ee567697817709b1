"""Networks for a run: the engine's generator (new or from a base model file), the patch
discriminator, the EMA copy, the device, and the final export."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sdstudio.engine.architectures import DISCRIMINATOR, is_guided
from sdstudio.engine.devices import resolve_device  # noqa: F401  (re-exported for the trainer)
from sdstudio.engine.model_file import (
    ModelInfo,
    build_network,
    load_network,
    read_model_info,
    save_model,
)
from sdstudio.errors import ModelLoadError, UserFacingError
from sdstudio.training.config import TrainingConfig
from sdstudio.training.objectives import objective_for

DEFAULT_DISCRIMINATOR = {"channels": 64, "layers": 3}


def model_search_dirs() -> list[Path]:
    from sdstudio.paths import bundled_models_dir, user_models_dir

    return [user_models_dir(), bundled_models_dir()]


def resolve_base_model(text: str, task: str) -> ModelInfo:
    """A base model given as a file path, a file name in the models folders, or a model's
    display name; it must be an SD Studio model for ``task``."""
    candidate = Path(text).expanduser()
    info = None
    if candidate.is_file():
        info = read_model_info(candidate)
    else:
        for folder in model_search_dirs():
            for path in sorted(folder.glob("*.safetensors")) if folder.is_dir() else []:
                try:
                    found = read_model_info(path)
                except ModelLoadError:
                    continue
                if text in (path.name, path.stem, found.name):
                    info = found
                    break
            if info is not None:
                break
    if info is None:
        raise UserFacingError(f"No SD Studio model named {text!r} was found to fine-tune from.")
    if info.task != task:
        raise UserFacingError(
            f"The base model {info.name} is a {info.task} model; a {task} run needs a {task} model."
        )
    return info


@dataclass(frozen=True)
class GeneratorPlan:
    """The network a run trains, decided before any is built: the base model's, or a
    fresh one of the configured architecture."""

    architecture: str
    hyperparameters: dict[str, Any]
    base: ModelInfo | None  # the model file the run starts from

    @property
    def guided(self) -> bool:
        return is_guided(self.architecture)

    @property
    def scale(self) -> int | None:
        return self.hyperparameters.get("scale")


def plan_generator(config: TrainingConfig) -> GeneratorPlan:
    """The run's generator; the one place a run resolves its base model."""
    if config.base_model:
        info = resolve_base_model(config.base_model, config.task)
        return GeneratorPlan(info.architecture, dict(info.hyperparameters), info)
    return GeneratorPlan(config.architecture, config.network_hyperparameters(), None)


def build_generator(plan: GeneratorPlan) -> nn.Module:
    """The planned network in training mode: the base model's weights, or fresh ones."""
    if plan.base is not None:
        return load_network(plan.base, "cpu").train()
    return build_network(plan.architecture, plan.hyperparameters).train()


def trainable_parameters(network: nn.Module, last_layers: int = 0) -> list[nn.Parameter]:
    """The parameters a run trains: all (``last_layers`` 0), or only those of the last
    ``last_layers`` modules that hold weights (the rest frozen): a fine-tune on a few
    photos then adapts the output without disturbing the features the base learnt."""
    layers = [m for m in network.modules() if list(m.parameters(recurse=False))]
    if last_layers <= 0 or last_layers >= len(layers):
        return list(network.parameters())
    network.requires_grad_(False)
    trained = [p for layer in layers[-last_layers:] for p in layer.parameters(recurse=False)]
    for parameter in trained:
        parameter.requires_grad_(True)
    return trained


def build_discriminator(config: TrainingConfig, in_channels: int) -> nn.Module:
    """The run's discriminator, judging ``in_channels`` (what its objective shows it)."""
    params = dict(DEFAULT_DISCRIMINATOR)
    params.update(config.discriminator_hyperparameters)
    params["in_channels"] = in_channels
    return build_network(DISCRIMINATOR, params).train()


class ExponentialMovingAverage:
    """Averaged generator weights, the ones exported; the decay warms up (as TensorFlow's
    ``num_updates``) so a short fine-tune is not dominated by the starting weights."""

    def __init__(
        self,
        network: nn.Module,
        architecture: str,
        hyperparameters: dict,
        decay: float,
        *,
        warmup: bool = True,
    ) -> None:
        self.decay = decay
        # A fine-tune starts from good weights: averaging in its first, noisiest steps at
        # full weight (the warm-up) was measured to lose 0.4 dB at step 1 (issue 19).
        self.warmup = warmup
        self.updates = 0
        self.shadow = build_network(architecture, hyperparameters).to(
            next(network.parameters()).device
        )
        self.shadow.load_state_dict(network.state_dict())
        self.shadow.eval().requires_grad_(False)

    @classmethod
    def for_run(
        cls, network: nn.Module, architecture: str, hyperparameters: dict, config: TrainingConfig
    ) -> ExponentialMovingAverage:
        return cls(
            network, architecture, hyperparameters, config.ema_decay, warmup=config.ema_warmup
        )

    @torch.no_grad()
    def update(self, network: nn.Module) -> None:
        self.updates += 1
        decay = self.decay
        if self.warmup:
            decay = min(decay, (1 + self.updates) / (10 + self.updates))
        for averaged, current in zip(self.shadow.parameters(), network.parameters(), strict=False):
            averaged.lerp_(current.detach(), 1.0 - decay)
        for averaged, current in zip(self.shadow.buffers(), network.buffers(), strict=False):
            averaged.copy_(current)


def export_model(
    path: Path,
    ema: nn.Module,
    config: TrainingConfig,
    architecture: str,
    hyperparameters: dict[str, Any],
    base: ModelInfo | None,
    *,
    steps: int,
    image_count: int,
    scores: dict[str, Any],
    processes: int = 1,
    extra: dict[str, str] | None = None,
) -> ModelInfo:
    base_name = base.name if base is not None else "none (trained from scratch)"
    description = (
        f"Trained in SD Studio for {steps} steps on {image_count} photo(s) from "
        f"{Path(config.data_dir).name}, starting from {base_name}."
    )
    if (extra or {}).get("fine_tune_outcome") == "no_better":
        description += (
            f" It was no better than {base_name} on the held-out photos, so this file holds "
            f"{base_name}'s weights unchanged."
        )
    extra = {
        **(extra or {}),
        "base_model": base.path.name if base is not None else "",
        "steps": str(steps),
        "image_count": str(image_count),
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "seed": str(config.seed),
        "config": config.to_json(),
        "validation": json.dumps(scores, sort_keys=True),
        "processes": str(processes),
    }
    task_fields = objective_for(config).export_fields(base, hyperparameters)
    extra.update(task_fields.extra)
    return save_model(
        path,
        ema.to("cpu"),
        task=config.task,
        architecture=architecture,
        hyperparameters=hyperparameters,
        name=config.name,
        description=description,
        scale=task_fields.scale,
        style=task_fields.style,
        extra_metadata=extra,
    )
