"""Networks for a run: the engine's generator (new or from a base model file), the patch
discriminator, the EMA copy, the device, and the final export."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sdstudio.engine.devices import resolve_device  # noqa: F401  (re-exported for the trainer)
from sdstudio.engine.model_file import (
    ModelInfo,
    build_network,
    load_network,
    read_model_info,
    save_model,
)
from sdstudio.engine.style.effects import preset_finish
from sdstudio.errors import ModelLoadError, UserFacingError
from sdstudio.training.config import DISCRIMINATOR_ARCHITECTURE, TrainingConfig, run_slug

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


def build_generator(
    config: TrainingConfig,
) -> tuple[nn.Module, str, dict[str, Any], ModelInfo | None]:
    """(network, architecture, hyperparameters, base model info or None)."""
    if config.base_model:
        info = resolve_base_model(config.base_model, config.task)
        return (
            load_network(info, "cpu").train(),
            info.architecture,
            dict(info.hyperparameters),
            info,
        )
    hyperparameters = config.network_hyperparameters()
    network = build_network(config.architecture, hyperparameters)
    return network.train(), config.architecture, hyperparameters, None


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


def build_discriminator(config: TrainingConfig) -> nn.Module:
    params = dict(DEFAULT_DISCRIMINATOR)
    params.update(config.discriminator_hyperparameters)
    # Repair judges the filled image together with its mask: it learns what a seam looks like.
    params["in_channels"] = 4 if config.task == "repair" else 3
    return build_network(DISCRIMINATOR_ARCHITECTURE, params).train()


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


def unique_model_path(name: str, previous: str | None = None) -> Path:
    """Where the exported model goes; an earlier export of the same run is replaced, any
    other existing file is not."""
    from sdstudio.paths import user_models_dir

    if previous:
        return Path(previous)
    folder = user_models_dir()
    stem = run_slug(name)
    path = folder / f"{stem}.safetensors"
    counter = 2
    while path.exists():
        path = folder / f"{stem}-{counter}.safetensors"
        counter += 1
    return path


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
    # The Style panel runs a trained model through the preset it backs: the one chosen for
    # the run, else the base model's; a model for neither gets an id of its own.
    style = None
    if config.task == "style":
        style = config.style_preset or (base.style if base is not None else None)
        style = style or f"user_{run_slug(config.name)}"
        finish = preset_finish(style) if config.style_source == "preset" else None
        if finish:  # it learnt the preset without its finish; the engine adds it
            extra["finish"] = finish
    return save_model(
        path,
        ema.to("cpu"),
        task=config.task,
        architecture=architecture,
        hyperparameters=hyperparameters,
        name=config.name,
        description=description,
        scale=hyperparameters.get("scale", config.scale) if config.task == "enhance" else None,
        style=style,
        extra_metadata=extra,
    )
