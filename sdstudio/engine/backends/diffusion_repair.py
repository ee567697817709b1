"""Repair with a Stable Diffusion checkpoint, region by region, at the model's resolution.

The engine's ``region_fill.repair_image`` chooses the region around each painted area, shrinks crops
larger than the model's native size and pastes the fill back with a feathered edge; the
:class:`DiffusionFiller` scales smaller crops *up* to the native size (SD draws poorly
below it) and runs the inpainting pipeline. ``repair_image`` runs on a helper thread so
that a Progress can be yielded after every denoising step and Cancel lands between steps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from sdstudio.engine.devices import describe_device, resolve_device
from sdstudio.engine.model_cache import model_cache
from sdstudio.engine.out_of_memory import with_memory_fallbacks
from sdstudio.engine.region_fill import blend_ring_width, repair_image
from sdstudio.errors import UserFacingError
from sdstudio.jobs import Progress, RepairJob

from .diffusion_pipeline import DEFAULT_GUIDANCE, DEFAULT_STEPS, pipeline, run_with_step_progress

log = logging.getLogger(__name__)
MAX_STEPS = 150
CPU_NOTE = "The GPU ran out of memory; Stable Diffusion ran on the CPU."


def lighten(pipe: Any) -> None:
    """Less peak memory at some speed: attention in slices, the VAE in tiles."""
    pipe.enable_attention_slicing()
    pipe.vae.enable_tiling()


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def steps_and_guidance(options: dict[str, Any]) -> tuple[int, float]:
    """A diffusion job's denoising steps and guidance scale, checked, defaults filled in."""
    steps = int(options.get("steps", DEFAULT_STEPS))
    if not 1 <= steps <= MAX_STEPS:
        raise UserFacingError(f"Steps must be between 1 and {MAX_STEPS} (got {steps}).")
    guidance = float(options.get("guidance", DEFAULT_GUIDANCE))
    if not 0.0 <= guidance <= 30.0:
        raise UserFacingError(f"Guidance must be between 0 and 30 (got {guidance}).")
    return steps, guidance


@dataclass
class DiffusionFiller:
    """A RegionFiller (see ``sdstudio.engine.region_fill``) backed by a diffusers pipeline."""

    path: Path
    device: torch.device
    prompt: str = ""
    negative_prompt: str = ""
    steps: int = DEFAULT_STEPS
    guidance: float = DEFAULT_GUIDANCE
    seed: int = 0
    blend_colours: bool = False  # SD already matches the surroundings' colours
    notes: list[str] = field(default_factory=list)
    step_callback: Callable[..., dict] | None = None
    _pipe: Any = None

    @classmethod
    def for_job(cls, method: Any, job: RepairJob) -> DiffusionFiller:
        options = job.options or {}
        steps, guidance = steps_and_guidance(options)
        return cls(
            path=Path(method.path),
            device=resolve_device(job.device),
            prompt=job.prompt or "",
            negative_prompt=str(options.get("negative_prompt", "")),
            steps=steps,
            guidance=guidance,
            seed=int(job.seed),
        )

    @property
    def dtype(self) -> torch.dtype:
        return torch.float16 if self.device.type == "cuda" else torch.float32

    @property
    def pipe(self) -> Any:
        if self._pipe is None:
            self._pipe = pipeline(self.path, self.device, self.dtype)
        return self._pipe

    @property
    def size_multiple(self) -> int:
        unet = self.pipe.unet.config
        return int(self.pipe.vae_scale_factor) * 2 ** (len(unet.block_out_channels) - 1)

    @property
    def working_size(self) -> int:
        return int(self.pipe.unet.config.sample_size) * int(self.pipe.vae_scale_factor)

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        return with_memory_fallbacks(
            lambda: self._inpaint(image, hole), [self._lighten, self._move_to_cpu]
        )

    def _lighten(self) -> bool:
        log.warning("out of memory in Stable Diffusion; retrying with sliced attention")
        lighten(self.pipe)
        return True

    def _move_to_cpu(self) -> bool:
        if self.device.type == "cpu":
            return False
        model_cache.forget(self.path)  # frees the GPU copy
        self.device = torch.device("cpu")
        self._pipe = None
        self.notes.append(CPU_NOTE)
        return True

    def _inpaint(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray:
        from PIL import Image

        height, width = hole.shape
        scale = self.working_size / max(height, width)
        multiple = self.size_multiple
        run_w, run_h = _round_to(width * scale, multiple), _round_to(height * scale, multiple)
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        picture = cv2.resize(image, (run_w, run_h), interpolation=interpolation)
        mask = cv2.resize(hole.astype(np.uint8) * 255, (run_w, run_h), cv2.INTER_NEAREST)
        generator = torch.Generator(device="cpu").manual_seed(self.seed)
        output = self.pipe(
            prompt=self.prompt,
            negative_prompt=self.negative_prompt or None,
            image=Image.fromarray(picture),
            mask_image=Image.fromarray(mask),
            height=run_h,
            width=run_w,
            strength=1.0,
            num_inference_steps=self.steps,
            guidance_scale=self.guidance,
            generator=generator,
            output_type="np",
            callback_on_step_end=self.step_callback,
        ).images[0]
        filled = np.clip(np.rint(output * 255.0), 0, 255).astype(np.uint8)
        back = cv2.INTER_AREA if scale > 1 else cv2.INTER_CUBIC
        return cv2.resize(filled, (width, height), interpolation=back)


def _region_count(hole: np.ndarray) -> int:
    from sdstudio.imaging.masks import dilate, mask_regions

    ring = blend_ring_width(*hole.shape)
    return max(1, len(mask_regions(dilate(hole, ring), context=0, merge_distance=2 * ring)))


def _drain(work: Generator[Progress, None, Any]) -> Any:
    while True:
        try:
            next(work)
        except StopIteration as stop:
            return stop.value


def repair_with_diffusion(
    image: np.ndarray, hole: np.ndarray, filler: DiffusionFiller
) -> Generator[Progress, None, np.ndarray]:
    """``repair_image`` with ``filler``, yielding a Progress per denoising step."""
    yield Progress(0.0, "Loading Stable Diffusion")
    filler.pipe  # noqa: B018 - load before counting steps, errors surface here
    total = filler.steps * _region_count(hole)

    def call(on_step: Callable[..., dict]) -> np.ndarray:
        filler.step_callback = on_step
        return _drain(repair_image(image, hole, filler))

    result = yield from run_with_step_progress(call, total, "Stable Diffusion")
    filler.notes.append(
        f"Stable Diffusion ({filler.steps} steps, guidance {filler.guidance:g}, seed "
        f"{filler.seed}) on {describe_device(filler.device)}."
    )
    return result
