"""Prompt-based style presets: Stable Diffusion image-to-image over the whole photo.

The photo is resized so its long side is the model's native size (a multiple of the
UNet's downsampling), run through image-to-image (a text-to-image checkpoint) or through
the inpainting pipeline with a mask covering everything (an inpainting checkpoint), then
resized back and blended by the strength slider and the mask like every style preset.
A Progress is yielded per denoising step and Cancel lands between steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from sdstudio.engine.devices import describe_device, resolve_device
from sdstudio.engine.model_cache import model_cache
from sdstudio.engine.out_of_memory import steps_with_memory_fallbacks
from sdstudio.engine.style.blend import blend_into, effect_weight
from sdstudio.engine.style.presets_info import FREE_PROMPT_PRESET, check_diffusion_preset
from sdstudio.errors import UserFacingError
from sdstudio.imaging.colour import join_alpha, split_alpha
from sdstudio.jobs import JobResult, Progress, StyleJob

from .diffusion_pipeline import pipeline, require_diffusers, run_with_step_progress
from .diffusion_repair import CPU_NOTE, _round_to, lighten, steps_and_guidance

log = logging.getLogger(__name__)
DEFAULT_DENOISE = 0.6  # how far from the photo SD may go (diffusers' img2img ``strength``)


def _options(job: StyleJob) -> tuple[str, str, int, float, float]:
    """``(prompt, negative_prompt, steps, guidance, denoise)`` from the job, checked."""
    preset = check_diffusion_preset(job.preset)
    options = job.options or {}
    prompt = str(options.get("prompt") or "").strip() or preset.prompt
    if not prompt:
        raise UserFacingError("Type a prompt describing the style you want.")
    negative = str(options.get("negative_prompt", preset.negative_prompt))
    steps, guidance = steps_and_guidance(options)
    denoise = float(options.get("denoise", DEFAULT_DENOISE))
    if not 0.05 <= denoise <= 1.0:
        raise UserFacingError(f"Change amount must be between 0.05 and 1 (got {denoise}).")
    return prompt, negative, steps, guidance, denoise


def validate_diffusion_style(job: StyleJob) -> None:
    _options(job)


def _image_to_image_pipeline(pipe: Any) -> tuple[Any, bool]:
    """``(pipeline, needs_mask)``: img2img for 4-channel UNets, else the inpainting one."""
    if int(pipe.unet.config.in_channels) == 9:
        return pipe, True
    cached = getattr(pipe, "_sdstudio_img2img", None)
    if cached is None:
        import diffusers

        cls = (
            diffusers.StableDiffusionXLImg2ImgPipeline
            if "text_encoder_2" in pipe.components
            else diffusers.StableDiffusionImg2ImgPipeline
        )
        cached = cls.from_pipe(pipe)  # shares the loaded weights
        cached.set_progress_bar_config(disable=True)
        pipe._sdstudio_img2img = cached
    return cached, False


def _working_size(pipe: Any, height: int, width: int) -> tuple[int, int]:
    native = int(pipe.unet.config.sample_size) * int(pipe.vae_scale_factor)
    multiple = int(pipe.vae_scale_factor) * 2 ** (len(pipe.unet.config.block_out_channels) - 1)
    scale = native / max(height, width)
    return _round_to(width * scale, multiple), _round_to(height * scale, multiple)


def _denoise(
    rgb: np.ndarray,
    path: Path,
    device: torch.device,
    settings: tuple[str, str, int, float, float],
    seed: int,
    on_step: Any,
) -> np.ndarray:
    from PIL import Image

    prompt, negative, steps, guidance, denoise = settings
    pipe, needs_mask = _image_to_image_pipeline(pipeline(path, device, _dtype(device)))
    height, width = rgb.shape[:2]
    run_w, run_h = _working_size(pipe, height, width)
    shrinking = run_w * run_h < width * height
    picture = cv2.resize(
        rgb, (run_w, run_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    )
    extra: dict[str, Any] = {}
    if needs_mask:
        extra.update(
            mask_image=Image.fromarray(np.full((run_h, run_w), 255, np.uint8)),
            height=run_h,
            width=run_w,
        )
    output = pipe(
        prompt=prompt,
        negative_prompt=negative or None,
        image=Image.fromarray(picture),
        strength=denoise,
        num_inference_steps=steps,
        guidance_scale=guidance,
        generator=torch.Generator(device="cpu").manual_seed(int(seed)),
        output_type="np",
        callback_on_step_end=on_step,
        **extra,
    ).images[0]
    styled = np.clip(np.rint(output * 255.0), 0, 255).astype(np.uint8)
    back = cv2.INTER_CUBIC if shrinking else cv2.INTER_AREA
    return cv2.resize(styled, (width, height), interpolation=back)


def _dtype(device: torch.device) -> torch.dtype:
    return torch.float16 if device.type == "cuda" else torch.float32


def _steps_run(steps: int, denoise: float) -> int:
    return max(1, min(int(steps * denoise), steps))  # diffusers skips the first steps


def run_diffusion_style(job: StyleJob, method: Any) -> Generator[Progress, None, JobResult]:
    """Style ``job.image`` with the Stable Diffusion checkpoint ``method``."""
    require_diffusers()
    settings = _options(job)
    preset = check_diffusion_preset(job.preset)
    rgb, alpha = split_alpha(job.image)
    weight = effect_weight(job.mask, rgb.shape[:2], float(job.strength))
    params: dict[str, Any] = {
        "preset": preset.id,
        "method": method.id,
        "prompt": settings[0],
        "strength": float(job.strength),
        "seed": job.seed,
    }
    if weight is None:
        yield Progress(1.0, "Strength 0: nothing to change")
        return JobResult(job.image.copy(), ["Style strength is 0, so the image is unchanged."],
                         params)  # fmt: skip
    device = resolve_device(job.device)
    notes: list[str] = []
    started = time.perf_counter()
    yield Progress(0.0, "Loading Stable Diffusion")
    path = Path(method.path)
    pipeline(path, device, _dtype(device))  # load errors surface here
    total = _steps_run(settings[2], settings[4])

    def attempt() -> Generator[Progress, None, np.ndarray]:
        def call(on_step: Any) -> np.ndarray:
            return _denoise(rgb, path, device, settings, job.seed, on_step)

        return run_with_step_progress(call, total, "Stable Diffusion")

    def lighten_pipeline() -> bool:
        log.warning("out of memory in Stable Diffusion style; retrying with sliced attention")
        lighten(pipeline(path, device, _dtype(device)))
        return True

    def move_to_cpu() -> bool:
        nonlocal device  # the next try, and the notes, use the CPU
        log.warning("out of memory in Stable Diffusion style; running on the CPU")
        if device.type != "cpu":
            model_cache.forget(path)  # frees the GPU copy
        notes.append(CPU_NOTE)
        device = torch.device("cpu")
        return True

    # Out of GPU memory: sliced attention and a tiled VAE first, then the CPU (as repair).
    styled = yield from steps_with_memory_fallbacks(attempt, [lighten_pipeline, move_to_cpu])
    output = rgb.copy()
    blend_into(output, rgb, styled, weight, (0, 0, rgb.shape[0], rgb.shape[1]))
    _, _, steps, guidance, denoise = settings
    name = "your prompt" if preset.id == FREE_PROMPT_PRESET else preset.name
    notes.append(
        f"Stable Diffusion image-to-image ({name}; {steps} steps, change {denoise:g}, guidance "
        f"{guidance:g}, seed {job.seed}) on {describe_device(device)}."
    )
    params.update(
        steps=steps,
        guidance=guidance,
        denoise=denoise,
        device=describe_device(device),
        seconds=round(time.perf_counter() - started, 3),
    )
    return JobResult(join_alpha(output, alpha), notes, params)
