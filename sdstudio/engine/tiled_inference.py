"""Run an image-to-image network over a large image in overlapping tiles.

Memory stays bounded whatever the image size: one tile is on the device at a time and
``imaging.tiling.TileBlender`` keeps float accumulators for about two rows of tiles only.
Progress is yielded after every tile; nothing here checks for cancellation, the caller
stops by closing the generator between yields.

GPU out-of-memory is handled here: the pass restarts with tiles half the size, down to
``min_tile_size``; after that the network moves to the CPU in fp32 and the result carries
a note for the person.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from sdstudio.errors import UserFacingError
from sdstudio.imaging.tiling import TileBlender, plan_tiles
from sdstudio.jobs import Progress

log = logging.getLogger(__name__)

CPU_FALLBACK_NOTE = "GPU ran out of memory; finished on the CPU."
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


def release_cuda_memory() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


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
    notes: list[str] = []
    while True:
        try:
            result = yield from _one_pass(
                network, image, scale=scale, device=device, dtype=dtype,
                tile_size=tile_size, overlap=overlap, message=message,
            )  # fmt: skip
        except torch.cuda.OutOfMemoryError:
            release_cuda_memory()
            on_cpu_fp32 = device.type == "cpu" and dtype == torch.float32
            smaller = tile_size // 2
            if smaller >= min_tile_size and smaller < max(height, width):
                log.warning("out of memory with %d px tiles; retrying with %d", tile_size, smaller)
                tile_size = smaller
                if not notes:
                    notes.append("GPU memory was short; the image was processed in smaller tiles.")
                continue
            if on_cpu_fp32:
                raise UserFacingError(
                    "There is not enough memory to process this image. Close other programs "
                    "or try a smaller image."
                ) from None
            log.warning("out of memory on %s; finishing on the CPU", device)
            device, dtype = torch.device("cpu"), torch.float32
            network.to(device=device, dtype=dtype)
            release_cuda_memory()
            tile_size = max(tile_size, DEFAULT_TILE_SIZE)
            notes = [note for note in notes if "smaller tiles" not in note]
            notes.append(CPU_FALLBACK_NOTE)
            continue
        return TiledResult(image=result, notes=notes, device=device, tile_size=tile_size)


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
