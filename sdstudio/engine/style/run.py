"""Run a :class:`StyleJob`: the preset's effect, tile by tile, blended by strength and mask."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from sdstudio.engine import catalog
from sdstudio.engine.backends import styler_for
from sdstudio.engine.devices import describe_device, resolve_device
from sdstudio.engine.methods import FROM_JOB, MethodInfo, Resolution
from sdstudio.engine.out_of_memory import steps_with_memory_fallbacks
from sdstudio.engine.style.blend import blend_into, effect_weight
from sdstudio.engine.style.context import TileContext, style_unit
from sdstudio.engine.style.effects import EFFECTS, Effect
from sdstudio.engine.style.presets_info import check_diffusion_preset, check_preset
from sdstudio.engine.style.scale import render_size
from sdstudio.engine.style.tiles import StyleTile, plan_style_tiles
from sdstudio.engine.tiled_inference import image_to_tensor
from sdstudio.errors import UserFacingError
from sdstudio.imaging.colour import join_alpha, split_alpha
from sdstudio.jobs import JobResult, Progress, StyleJob

RENDERERS = ("auto", "filters")

# Longest tile edge: big enough that the margins are a small share of the work, small
# enough that a tile's few dozen float intermediates stay well under a gigabyte.
TILE_SIZE = {"cpu": 2048, "default": 2048}


def uses_diffusion(job: StyleJob) -> bool:
    """A prompt-based preset: ``options["method"]`` names a Stable Diffusion checkpoint."""
    return bool((job.options or {}).get("method"))


def renderer(job: StyleJob) -> str:
    """``options["renderer"]``: "auto" (a trained network where one backs the preset)."""
    return str((job.options or {}).get("renderer", "auto"))


def validate_style_job(job: StyleJob) -> None:
    if uses_diffusion(job):
        check_diffusion_preset(job.preset)
    else:
        check_preset(job.preset)
    image = job.image
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise UserFacingError("The image to style must be 8-bit RGB or RGBA pixels.")
    if image.ndim != 3 or image.shape[2] not in (3, 4) or min(image.shape[:2]) < 1:
        raise UserFacingError(f"The image to style has an unusable shape {image.shape}.")
    if renderer(job) not in RENDERERS:
        raise UserFacingError(
            f"Unknown style renderer '{renderer(job)}'. Choose one of: {', '.join(RENDERERS)}."
        )
    if not 0.0 <= float(job.strength) <= 1.0:
        raise UserFacingError(f"Style strength must be between 0 and 1 (got {job.strength}).")


def choose_style_method(job: StyleJob) -> MethodInfo | None:
    """The job's method: the Stable Diffusion checkpoint it names, else the trained network
    backing its preset (unless "filters" asks for the procedural preset), else None."""
    if uses_diffusion(job):
        return catalog.diffusion_checkpoint(str(job.options["method"]))
    if renderer(job) == "filters":
        return None
    return catalog.style_network(job.preset)


def run_style(
    job: StyleJob, method: MethodInfo | None | Resolution = FROM_JOB
) -> Generator[Progress, None, JobResult]:
    """Style the whole image; yields after every tile, returns the blended result.

    ``method`` is what the runner resolved (None: the procedural preset); its backend's
    styler runs it, with :func:`render_preset` for the backends that feed the preset.
    """
    validate_style_job(job)
    if isinstance(method, Resolution):
        method = choose_style_method(job)
    if method is None:
        return (yield from render_preset(job))
    return (yield from styler_for(method)(job, method, render_preset))


def render_preset(
    job: StyleJob,
    network: MethodInfo | None = None,
    paint: NetworkPass | None = None,
    finish: FinishLookup | None = None,
) -> Generator[Progress, None, JobResult]:
    """The preset over the photo, tile by tile; ``paint`` (a trained network) first paints
    the source the tiles read, and ``finish`` gives the effect left for after it."""
    preset = check_preset(job.preset)
    rgb, alpha = split_alpha(job.image)
    weight = effect_weight(job.mask, rgb.shape[:2], float(job.strength))
    params = {"preset": preset.id, "strength": float(job.strength), "seed": job.seed}
    if weight is None:
        yield Progress(1.0, "Strength 0: nothing to change")
        params["method"] = "none"
        notes = ["Style strength is 0, so the image is unchanged."]
        return JobResult(job.image.copy(), notes, params)
    device = resolve_device(job.device)
    notes: list[str] = []
    stage = _NetworkStage(network, paint, finish) if network is not None else None
    started = time.perf_counter()

    def attempt() -> Generator[Progress, None, np.ndarray]:
        return _styled(job, rgb, weight, device, stage, notes)

    def on_the_cpu() -> bool:
        nonlocal device
        if device.type == "cpu":
            return False
        notes.append("The GPU ran out of memory, so the style was applied on the CPU.")
        device = torch.device("cpu")
        return True

    output = yield from steps_with_memory_fallbacks(attempt, [on_the_cpu])
    params.update(
        method=network.id if network is not None else "filters",
        device=describe_device(device),
        seconds=round(time.perf_counter() - started, 3),
    )
    if network is not None:
        notes.append(f"Used the trained style network '{network.display_name}'.")
    return JobResult(join_alpha(output, alpha), notes, params)


NetworkPass = Callable[..., Generator[Progress, None, np.ndarray]]
FinishLookup = Callable[[MethodInfo, list[str]], Effect | None]


@dataclass(frozen=True)
class _NetworkStage:
    """A trained network that paints before the tiles, and how to find its finish."""

    method: MethodInfo
    paint: NetworkPass
    finish: FinishLookup


def _styled(
    job: StyleJob,
    rgb: np.ndarray,
    weight: np.ndarray | float,
    device: torch.device,
    stage: _NetworkStage | None,
    notes: list[str],
) -> Generator[Progress, None, np.ndarray]:
    height, width = rgb.shape[:2]
    source, effect = rgb, EFFECTS[job.preset]
    if stage is not None:
        source = yield from stage.paint(stage.method, rgb, device, notes)
        effect = stage.finish(stage.method, notes)
        if effect is None:
            output = rgb.copy()
            blend_into(output, rgb, source, weight, (0, 0, height, width))
            return output
    enlarged = render_size((height, width))
    if enlarged != (height, width):
        # Too small for the preset's finest texture (scale.py): render it enlarged and
        # shrink the result, so it is a downscale of the look a larger photo gets.
        big = cv2.resize(source, (enlarged[1], enlarged[0]), interpolation=cv2.INTER_CUBIC)
        styled_big = yield from _render_tiles(job, big, big, 1.0, effect, device)
        styled = cv2.resize(styled_big, (width, height), interpolation=cv2.INTER_AREA)
        output = rgb.copy()
        blend_into(output, rgb, styled, weight, (0, 0, height, width))
        return output
    return (yield from _render_tiles(job, source, rgb, weight, effect, device))


def _render_tiles(
    job: StyleJob,
    source: np.ndarray,
    rgb: np.ndarray,
    weight: np.ndarray | float,
    effect,
    device: torch.device,
) -> Generator[Progress, None, np.ndarray]:
    """``effect`` over ``source`` tile by tile, blended over ``rgb`` by ``weight``."""
    height, width = rgb.shape[:2]
    output = rgb.copy()
    probe = TileContext((0, 0), (height, width), style_unit((height, width)), job.seed, device)
    reach = effect.reach(probe)
    tile_size = TILE_SIZE["cpu" if device.type == "cpu" else "default"]
    tiles = [
        t for t in _region_tiles(weight, height, width, tile_size, reach) if _needed(t, weight)
    ]
    label = check_preset(job.preset).name
    with torch.inference_mode():
        for index, tile in enumerate(tiles, start=1):
            with _one_cpu_thread(device):
                styled = _style_tile(source, tile, effect, probe)
            blend_into(output, rgb, styled, weight, tile.core)
            yield Progress(index / max(len(tiles), 1), f"{label}: tile {index}/{len(tiles)}")
    return output


@contextmanager
def _one_cpu_thread(device: torch.device) -> Iterator[None]:
    """Run the filters on one CPU thread, restoring torch's setting before the next yield.

    They are a long chain of cheap element-wise operations; with two OpenMP threads every
    one of them waits for the other thread, which on a shared 2-core machine (load 4)
    made a preset 5-7x slower than on one thread (benchmarks/jobs.py, --threads).
    """
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _region_tiles(
    weight: np.ndarray | float, height: int, width: int, tile_size: int, reach: int
) -> list[StyleTile]:
    """Tiles over the painted area plus ``reach`` (the whole image without a mask).

    The effects are local and know their whole-image position, so styling a region gives
    exactly the pixels styling the whole image would: a small mask costs little.
    """
    top, left, bottom, right = 0, 0, height, width
    if isinstance(weight, np.ndarray):
        rows = np.flatnonzero(weight.any(axis=1))
        cols = np.flatnonzero(weight.any(axis=0))
        top, bottom = max(0, rows[0] - reach), min(height, rows[-1] + 1 + reach)
        left, right = max(0, cols[0] - reach), min(width, cols[-1] + 1 + reach)
    tiles = []
    for tile in plan_style_tiles(bottom - top, right - left, tile_size, reach):
        core = tile.core[0] + top, tile.core[1] + left, tile.core[2] + top, tile.core[3] + left
        padded = (tile.padded[0] + top, tile.padded[1] + left,
                  tile.padded[2] + top, tile.padded[3] + left)  # fmt: skip
        tiles.append(StyleTile(core, padded))
    return tiles


def _needed(tile: StyleTile, weight: np.ndarray | float) -> bool:
    if not isinstance(weight, np.ndarray):
        return True
    top, left, bottom, right = tile.core
    return bool(weight[top:bottom, left:right].any())


def _style_tile(rgb: np.ndarray, tile: StyleTile, effect, probe: TileContext) -> np.ndarray:
    """The effect on the tile with its margin; returns the core region as uint8."""
    top, left, bottom, right = tile.padded
    x = image_to_tensor(rgb[top:bottom, left:right], probe.device, torch.float32)
    ctx = TileContext((top, left), probe.image_size, probe.unit, probe.seed, probe.device)
    y = effect.apply(x, ctx)
    core_top, core_left, core_bottom, core_right = tile.core
    y = y[:, :, core_top - top : core_bottom - top, core_left - left : core_right - left]
    y = (y.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8)
    return y[0].permute(1, 2, 0).cpu().numpy()
