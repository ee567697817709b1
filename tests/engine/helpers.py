"""Tiny networks and model files for engine tests (random weights, small configs)."""

from __future__ import annotations

from pathlib import Path

import torch

from sdstudio.engine.model_file import save_model
from sdstudio.engine.networks import CompactSRNet, FFCInpaintGenerator, StyleTransferNet

TINY_FFC = {"base_channels": 8, "downsamplings": 2, "residual_blocks": 1, "max_channels": 16}
TINY_SR = {"features": 8, "convs": 2}
TINY_STYLE = {"channels": 4, "residual_blocks": 1}


def save_tiny_repair_model(folder: Path, name: str = "tiny-repair", seed: int = 0) -> Path:
    torch.manual_seed(seed)
    network = FFCInpaintGenerator(**TINY_FFC)
    path = folder / f"{name}.safetensors"
    save_model(
        path, network, task="repair", architecture="ffc_inpaint", hyperparameters=TINY_FFC,
        name=name, description="tiny test model", extra_metadata={"steps": 3, "seed": seed},
    )  # fmt: skip
    return path


def save_tiny_enhance_model(folder: Path, scale: int, name: str | None = None) -> Path:
    torch.manual_seed(scale)
    hyperparameters = {**TINY_SR, "scale": scale}
    network = CompactSRNet(**hyperparameters)
    name = name or f"tiny-sr-x{scale}"
    path = folder / f"{name}.safetensors"
    save_model(
        path, network, task="enhance", architecture="compact_sr",
        hyperparameters=hyperparameters, name=name, scale=scale,
    )  # fmt: skip
    return path


def save_tiny_style_model(
    folder: Path, style: str = "oil_painting", extra_metadata: dict | None = None
) -> Path:
    torch.manual_seed(1)
    network = StyleTransferNet(**TINY_STYLE)
    path = folder / f"tiny-style-{style}.safetensors"
    save_model(
        path, network, task="style", architecture="style_resnet", hyperparameters=TINY_STYLE,
        name=f"tiny {style}", style=style, extra_metadata=extra_metadata,
    )  # fmt: skip
    return path


def drive(work):
    """Runs an engine generator to its end: (its return value, the Progress it yielded)."""
    progress = []
    while True:
        try:
            progress.append(next(work))
        except StopIteration as stop:
            return stop.value, progress
