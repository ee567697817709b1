"""Recognise Stable Diffusion checkpoints without torch or diffusers.

A single-file ``.safetensors`` checkpoint is told apart by its tensor names and shapes
(read from the safetensors header only); a diffusers folder by its ``model_index.json``
and ``unet/config.json``. The answer picks the configuration folder shipped in
``resources/diffusion_configs/`` that single-file loading needs offline.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from sdstudio import paths
from sdstudio.errors import ModelLoadError

ENABLE_HINT = (
    "Stable Diffusion is an optional part of SD Studio. To enable it, install the extra: "
    'pip install "sdstudio[diffusion]" and restart SD Studio.'
)
VARIANT_NAMES = {"sd1": "SD 1.x", "sd2": "SD 2.x", "sdxl": "SDXL"}
_UNET_IN = "model.diffusion_model.input_blocks.0.0.weight"
_SD2_CONTEXT = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"


def diffusers_available() -> bool:
    """True when the optional diffusion extra (diffusers + transformers) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("diffusers", "transformers"))


def _shape(header: dict[str, Any], key: str, rank: int) -> list[int]:
    """The tensor's shape, checked: a damaged or hand-made header must fail with a reason."""
    entry = header.get(key)
    shape = entry.get("shape") if isinstance(entry, dict) else None
    if (
        not isinstance(shape, list)
        or len(shape) != rank
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in shape)
    ):
        raise ModelLoadError(
            f"This Stable Diffusion file is damaged: the tensor {key} has shape {shape}, "
            f"not {rank} dimensions. Download it again."
        )
    return shape


def describe_checkpoint_header(header: dict[str, Any]) -> tuple[str, bool]:
    """``(variant, is_inpainting)`` of a single-file SD checkpoint from its header."""
    keys = header.keys()
    if _UNET_IN not in header:
        raise ModelLoadError("This Stable Diffusion file has no UNet (is it a LoRA or a VAE?).")
    in_channels = _shape(header, _UNET_IN, 4)[1]  # a convolution: out, in, height, width
    if any(key.startswith("conditioner.embedders.1.") for key in keys):
        variant = "sdxl"
    elif any(key.startswith("conditioner.embedders.0.") for key in keys):
        raise ModelLoadError("SDXL refiner checkpoints are not supported; use an SDXL base model.")
    elif any(key.startswith("cond_stage_model.model.") for key in keys) or (
        _SD2_CONTEXT in header and _shape(header, _SD2_CONTEXT, 2)[-1] == 1024
    ):
        variant = "sd2"
    else:
        variant = "sd1"
    if in_channels not in (4, 9):
        raise ModelLoadError(
            f"This Stable Diffusion file's UNet takes {in_channels} channels; "
            "SD Studio uses text-to-image (4) and inpainting (9) models."
        )
    return variant, in_channels == 9


def describe_diffusers_folder(folder: Path) -> tuple[str, bool]:
    """``(variant, is_inpainting)`` of a diffusers-format pipeline folder."""
    try:
        index = json.loads((folder / "model_index.json").read_text(encoding="utf-8"))
        unet = json.loads((folder / "unet" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelLoadError(
            f"{folder.name} is not a complete diffusers folder (model_index.json and "
            f"unet/config.json are needed): {error}"
        ) from None
    if not isinstance(index, dict) or not isinstance(unet, dict):
        raise ModelLoadError(f"{folder.name}: model_index.json or unet/config.json is damaged.")
    if "unet" not in index or "vae" not in index:
        raise ModelLoadError(f"{folder.name} is not a Stable Diffusion pipeline (no UNet/VAE).")
    variant = "sdxl" if "text_encoder_2" in index else "sd1"
    if variant == "sd1" and int(unet.get("cross_attention_dim", 768)) == 1024:
        variant = "sd2"
    in_channels = int(unet.get("in_channels", 4))
    if in_channels not in (4, 9):
        raise ModelLoadError(f"{folder.name}: a UNet with {in_channels} input channels.")
    return variant, in_channels == 9


def config_folder(variant: str, inpainting: bool) -> Path:
    """The shipped diffusers configuration for single-file loading."""
    return paths.resource_path("diffusion_configs", variant + ("-inpaint" if inpainting else ""))


def tokenizer_vocabulary_path() -> Path:
    return paths.resource_path("diffusion_configs", "clip_bpe_simple_vocab_16e6.txt.gz")
