"""Run an image-to-image network over a large image in overlapping tiles.

Memory stays bounded whatever the image size: one tile is on the device at a time and
``imaging.tiling.TileBlender`` keeps float accumulators for about two rows of tiles only.
Progress is yielded after every tile; nothing here checks for cancellation, the caller
stops by closing the generator between yields.

GPU out-of-memory is handled here (``out_of_memory``): the pass restarts with tiles half
the size, down to ``min_tile_size``; after that the network moves to the CPU in fp32 and
the result carries a note for the person.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sdstudio.engine.out_of_memory import (
    CPU_FALLBACK_NOTE,
    note_once,
    release_cuda_memory,
    steps_with_memory_fallbacks,
)
from sdstudio.errors import UserFacingError
from sdstudio.imaging.tiling import TileBlender, plan_tiles, snug_tile_size
from sdstudio.jobs import Progress

log = logging.getLogger(__name__)

SMALLER_TILES_NOTE = "GPU memory was short; the image was processed in smaller tiles."
DEFAULT_TILE_SIZE = 512
DEFAULT_OVERLAP = 32
MIN_TILE_SIZE = 128


@dataclass
class TiledResult:
    image: np.ndarray  # uint8 (H * scale, W * scale, C)
    notes: list[str] = field(default_factory=list)
    device: torch.device = torch.device("cpu")
    tile_size: int = DEFAULT_TILE_SIZE


def image_to_tensor(image: np.ndarray, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """uint8 (H, W, C) -> float (1, C, H, W) in [0, 1] on ``device``."""
    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)
    tensor = tensor.to(device=device, dtype=dtype, memory_format=torch.contiguous_format)
    return tensor.div_(255.0)[None]


def tensor_to_image(tensor: torch.Tensor) -> np.ndarray:
    """float (1, C, H, W) in [0, 1] -> float32 (H, W, C) on the CPU, clipped to [0, 1]."""
    return tensor[0].float().clamp(0.0, 1.0).permute(1, 2, 0).cpu().numpy()


def run_network_tiled(
    network: nn.Module,
    image: np.ndarray,
    *,
    scale: int,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
    tile_size: int = DEFAULT_TILE_SIZE,
    overlap: int = DEFAULT_OVERLAP,
    min_tile_size: int = MIN_TILE_SIZE,
    message: str = "Processing",
) -> Generator[Progress, None, TiledResult]:
    """Apply ``network`` (RGB [0, 1] -> RGB [0, 1], ``scale`` x larger) to a uint8 RGB image.

    ``network`` must already be on ``device`` in ``dtype``; after a CPU fallback it is left
    on the CPU (the network cache moves it back for the next job).
    """
    height, width = image.shape[:2]
    run = _TiledRun(device, dtype, tile_size)

    def shrink_tiles() -> bool:
        smaller = run.tile_size // 2
        log.warning("out of memory with %d px tiles; retrying with %d", run.tile_size, smaller)
        run.tile_size = smaller
        note_once(run.notes, SMALLER_TILES_NOTE)
        return True

    def finish_on_the_cpu() -> bool:
        if run.device.type == "cpu" and run.dtype == torch.float32:
            return False
        log.warning("out of memory on %s; finishing on the CPU", run.device)
        run.device, run.dtype = torch.device("cpu"), torch.float32
        network.to(device=run.device, dtype=run.dtype)
        release_cuda_memory()
        run.tile_size = max(run.tile_size, DEFAULT_TILE_SIZE)
        run.notes[:] = [note for note in run.notes if note != SMALLER_TILES_NOTE]
        run.notes.append(CPU_FALLBACK_NOTE)
        return True

    def fallbacks() -> Iterator[Callable[[], bool]]:
        while min_tile_size <= run.tile_size // 2 < max(height, width):
            yield shrink_tiles
        yield finish_on_the_cpu

    def attempt() -> Generator[Progress, None, np.ndarray]:
        return _one_pass(
            network, image, scale=scale, device=run.device, dtype=run.dtype,
            tile_size=run.tile_size, overlap=overlap, message=message,
        )  # fmt: skip

    try:
        result = yield from steps_with_memory_fallbacks(attempt, fallbacks())
    except torch.cuda.OutOfMemoryError:
        raise UserFacingError(
            "There is not enough memory to process this image. Close other programs "
            "or try a smaller image."
        ) from None
    return TiledResult(image=result, notes=run.notes, device=run.device, tile_size=run.tile_size)


@dataclass
class _TiledRun:
    """Where a tiled pass runs; the out-of-memory fallbacks change it between tries."""

    device: torch.device
    dtype: torch.dtype
    tile_size: int
    notes: list[str] = field(default_factory=list)


def _one_pass(
    network: nn.Module,
    image: np.ndarray,
    *,
    scale: int,
    device: torch.device,
    dtype: torch.dtype,
    tile_size: int,
    overlap: int,
    message: str,
) -> Generator[Progress, None, np.ndarray]:
    height, width, channels = image.shape
    overlap = min(overlap, tile_size // 4)
    tile_size = snug_tile_size(height, width, tile_size, overlap)
    overlap = min(overlap, tile_size // 4)  # a photo smaller than a tile is one tile
    tiles = plan_tiles(height, width, tile_size, overlap)
    blender = TileBlender(height, width, channels, scale=scale)
    for index, tile in enumerate(tiles):
        tensor = image_to_tensor(image[tile.y0 : tile.y1, tile.x0 : tile.x1], device, dtype)
        with torch.inference_mode():
            output = network(tensor)
        expected = (tile.height * scale, tile.width * scale)
        if tuple(output.shape[-2:]) != expected:
            raise RuntimeError(f"network returned {tuple(output.shape)}, expected {expected}")
        blender.add(tile, tensor_to_image(output))
        del tensor, output
        suffix = f" (tile {index + 1} of {len(tiles)})" if len(tiles) > 1 else ""
        yield Progress((index + 1) / len(tiles), message + suffix)
    return blender.result()
