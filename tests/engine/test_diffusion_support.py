"""Builds a tiny random-weight Stable Diffusion 1.x pipeline on disk (no downloads).

``build_tiny_sd`` writes a diffusers folder and the same weights as one single-file
checkpoint in the original (LDM) layout. The LDM key renaming is the inverse of what
``diffusers`` does when it loads single files; the tables follow diffusers'
``scripts/convert_diffusers_to_original_stable_diffusion.py`` (Apache-2.0).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from sdstudio.engine.backends.diffusion_pipeline import clip_tokenizer

_UNET_TOP = [
    ("time_embed.0.", "time_embedding.linear_1."),
    ("time_embed.2.", "time_embedding.linear_2."),
    ("input_blocks.0.0.", "conv_in."),
    ("out.0.", "conv_norm_out."),
    ("out.2.", "conv_out."),
]
_UNET_RESNET = [
    ("in_layers.0", "norm1"),
    ("in_layers.2", "conv1"),
    ("out_layers.0", "norm2"),
    ("out_layers.3", "conv2"),
    ("emb_layers.1", "time_emb_proj"),
    ("skip_connection", "conv_shortcut"),
]


def _unet_layer_map() -> list[tuple[str, str]]:
    pairs = []
    for i in range(4):
        for j in range(2):
            pairs.append((f"input_blocks.{3 * i + j + 1}.0.", f"down_blocks.{i}.resnets.{j}."))
            if i < 3:
                pairs.append(
                    (f"input_blocks.{3 * i + j + 1}.1.", f"down_blocks.{i}.attentions.{j}.")
                )
        for j in range(3):
            pairs.append((f"output_blocks.{3 * i + j}.0.", f"up_blocks.{i}.resnets.{j}."))
            if i > 0:
                pairs.append((f"output_blocks.{3 * i + j}.1.", f"up_blocks.{i}.attentions.{j}."))
        if i < 3:
            pairs.append(
                (f"input_blocks.{3 * (i + 1)}.0.op.", f"down_blocks.{i}.downsamplers.0.conv.")
            )
            pairs.append(
                (f"output_blocks.{3 * i + 2}.{1 if i == 0 else 2}.", f"up_blocks.{i}.upsamplers.0.")
            )
    pairs.append(("middle_block.1.", "mid_block.attentions.0."))
    for j in range(2):
        pairs.append((f"middle_block.{2 * j}.", f"mid_block.resnets.{j}."))
    return pairs


def unet_to_ldm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        new = key
        for ldm, hf in _UNET_TOP:
            if new.startswith(hf):
                new = ldm + new[len(hf) :]
        if "resnets" in key:
            for ldm, hf in _UNET_RESNET:
                new = new.replace(hf, ldm)
        for ldm, hf in _unet_layer_map():
            new = new.replace(hf, ldm)
        out["model.diffusion_model." + new] = value
    return out


def _vae_map() -> list[tuple[str, str]]:
    pairs = [("nin_shortcut", "conv_shortcut"), ("norm_out", "conv_norm_out"),
             ("mid.attn_1.", "mid_block.attentions.0.")]  # fmt: skip
    for i in range(4):
        for j in range(2):
            pairs.append((f"encoder.down.{i}.block.{j}.", f"encoder.down_blocks.{i}.resnets.{j}."))
        if i < 3:
            pairs.append((f"down.{i}.downsample.", f"down_blocks.{i}.downsamplers.0."))
            pairs.append((f"up.{3 - i}.upsample.", f"up_blocks.{i}.upsamplers.0."))
        for j in range(3):
            pairs.append((f"decoder.up.{3 - i}.block.{j}.", f"decoder.up_blocks.{i}.resnets.{j}."))
    for i in range(2):
        pairs.append((f"mid.block_{i + 1}.", f"mid_block.resnets.{i}."))
    return pairs


_VAE_ATTENTION = [("norm.", "group_norm."), ("q.", "to_q."), ("k.", "to_k."), ("v.", "to_v."),
                  ("proj_out.", "to_out.0.")]  # fmt: skip


def vae_to_ldm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        new = key
        for ldm, hf in _vae_map():
            new = new.replace(hf, ldm)
        if "attentions" in key:
            for ldm, hf in _VAE_ATTENTION:
                new = new.replace(hf, ldm)
            if value.ndim == 2:  # linear in diffusers, 1x1 convolution in LDM
                value = value.reshape(*value.shape, 1, 1)
        out["first_stage_model." + new] = value
    return out


def build_tiny_sd(folder: Path, *, inpainting: bool = True, seed: int = 0) -> tuple[Path, Path]:
    """Write ``folder/tiny-sd`` (diffusers) and ``folder/tiny-sd.safetensors`` (single file).

    Returns ``(diffusers_folder, single_file)``. Native resolution 64 px.
    """
    from diffusers import (
        AutoencoderKL,
        DPMSolverMultistepScheduler,
        StableDiffusionInpaintPipeline,
        UNet2DConditionModel,
    )
    from safetensors.torch import save_file
    from transformers import CLIPTextConfig, CLIPTextModel

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=9 if inpainting else 4,
        out_channels=4,
        layers_per_block=2,
        block_out_channels=(8, 16, 16, 16),
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=16,
        attention_head_dim=2,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=2,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=49408, hidden_size=16, intermediate_size=32, num_attention_heads=2,
            num_hidden_layers=2, max_position_embeddings=77, projection_dim=16,
            bos_token_id=0, eos_token_id=2, pad_token_id=1,
        )
    )  # fmt: skip
    scheduler = DPMSolverMultistepScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    pipe = StableDiffusionInpaintPipeline(
        vae=vae, text_encoder=text_encoder, tokenizer=clip_tokenizer(), unet=unet,
        scheduler=scheduler, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False,
    )  # fmt: skip
    diffusers_folder = folder / "tiny-sd"
    pipe.save_pretrained(diffusers_folder, safe_serialization=True)
    text_state = {
        ("text_model." + k if not k.startswith("text_model.") else k): v
        for k, v in text_encoder.state_dict().items()
    }
    single = {
        **unet_to_ldm(unet.state_dict()),
        **vae_to_ldm(vae.state_dict()),
        **{"cond_stage_model.transformer." + k: v for k, v in text_state.items()},
    }
    single_file = folder / "tiny-sd.safetensors"
    save_file({k: v.contiguous() for k, v in single.items()}, str(single_file))
    return diffusers_folder, single_file


def tiny_config_folder(diffusers_folder: Path) -> Path:
    """The diffusers folder doubles as the config for the single file (no tokenizer)."""
    index = json.loads((diffusers_folder / "model_index.json").read_text())
    assert "unet" in index
    return diffusers_folder
