"""Tiny networks and model files for engine tests (random weights, small configs)."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import torch

from sdstudio.engine.model_file import save_model
from sdstudio.engine.networks import CompactSRNet, FFCInpaintGenerator, StyleTransferNet

TINY_FFC = {"base_channels": 8, "downsamplings": 2, "residual_blocks": 1, "max_channels": 16}
TINY_SR = {"features": 8, "convs": 2}
TINY_STYLE = {"channels": 4, "residual_blocks": 1}


def validation_scores(task: str, *, model: float = 30.0, classical: float = 25.0) -> dict:
    """Validation metadata as the trainer writes it (sdstudio.training.validation). By
    default the model beat its base and the classical method, so "auto" may pick it."""
    key = {"repair": "psnr_hole", "enhance": "psnr"}[task]
    return {
        "model": {key: model, "ssim": 0.9},
        "base": {key: 20.0, "ssim": 0.8},
        "classical": {key: classical, "ssim": 0.85},
        "step": 3,
    }


def save_tiny_repair_model(
    folder: Path, name: str = "tiny-repair", seed: int = 0, validation: dict | None = None
) -> Path:
    """A tiny repair model whose validation beat classical (``validation`` overrides it)."""
    torch.manual_seed(seed)
    network = FFCInpaintGenerator(**TINY_FFC)
    path = folder / f"{name}.safetensors"
    extra = {"steps": 3, "seed": seed, "validation": validation or validation_scores("repair")}
    save_model(
        path, network, task="repair", architecture="ffc_inpaint", hyperparameters=TINY_FFC,
        name=name, description="tiny test model", extra_metadata=extra,
    )  # fmt: skip
    return path


def save_tiny_enhance_model(
    folder: Path, scale: int, name: str | None = None, validation: dict | None = None
) -> Path:
    """A tiny x``scale`` model whose validation beat classical (``validation`` overrides it)."""
    torch.manual_seed(scale)
    hyperparameters = {**TINY_SR, "scale": scale}
    network = CompactSRNet(**hyperparameters)
    name = name or f"tiny-sr-x{scale}"
    path = folder / f"{name}.safetensors"
    save_model(
        path, network, task="enhance", architecture="compact_sr",
        hyperparameters=hyperparameters, name=name, scale=scale,
        extra_metadata={"validation": validation or validation_scores("enhance")},
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


def rewrite_metadata(path: Path, **changes: str) -> None:
    """Edit a file's metadata in place, as a hand-edited or mislabelled file would be."""
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header["__metadata__"].update(changes)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + length :])
    stat = path.stat()  # a new stamp even where the clock is coarse
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000))


def drive(work):
    """Runs an engine generator to its end: (its return value, the Progress it yielded)."""
    progress = []
    while True:
        try:
            progress.append(next(work))
        except StopIteration as stop:
            return stop.value, progress
