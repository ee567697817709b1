from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from sdstudio.engine.tiled_inference import CPU_FALLBACK_NOTE, run_network_tiled
from sdstudio.errors import UserFacingError
from sdstudio.jobs import Progress
from tests.engine.helpers import drive


class SmoothingNet(nn.Module):
    """Identity-ish: a fixed 5x5 blur (local, like a super-resolution body)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 5, padding=2, padding_mode="replicate", groups=3, bias=False)
        nn.init.constant_(self.conv.weight, 1 / 25)

    def forward(self, x):
        return self.conv(x)


class NearestUpscale(nn.Module):
    def forward(self, x):
        return nn.functional.interpolate(x, scale_factor=2, mode="nearest")


def _photo_like(height, width, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 128 + 60 * np.sin(x / 17.0)[..., None] * np.cos(y / 23.0)[..., None]
    return np.clip(base + rng.normal(0, 10, (height, width, 3)), 0, 255).astype(np.uint8)


def test_tiled_equals_whole_image_and_shows_no_seam():
    image = _photo_like(150, 170)
    network = SmoothingNet().eval()
    whole, _ = drive(
        run_network_tiled(network, image, scale=1, device=torch.device("cpu"), tile_size=512)
    )
    tiled, progress = drive(
        run_network_tiled(
            network, image, scale=1, device=torch.device("cpu"), tile_size=64, overlap=16,
            min_tile_size=32,
        )
    )  # fmt: skip
    assert len(progress) > 4 and all(isinstance(p, Progress) for p in progress)
    assert progress[-1].fraction == 1.0
    difference = np.abs(whole.image.astype(int) - tiled.image.astype(int))
    assert difference.max() <= 1
    # no seam: neighbouring columns differ no more across tile borders than elsewhere
    gradient = np.abs(np.diff(tiled.image.astype(int), axis=1)).mean(axis=(0, 2))
    assert gradient.max() < 3 * np.median(gradient)


def test_tiled_upscale_shape():
    image = _photo_like(70, 90)
    result, _ = drive(
        run_network_tiled(
            NearestUpscale(), image, scale=2, device=torch.device("cpu"), tile_size=32, overlap=8,
            min_tile_size=16,
        )
    )  # fmt: skip
    assert result.image.shape == (140, 180, 3)
    assert np.array_equal(result.image, image.repeat(2, axis=0).repeat(2, axis=1))


def _fail_while(network, condition):
    original = network.forward
    calls = {"failed": 0}

    def forward(x):
        if condition(x):
            calls["failed"] += 1
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return original(x)

    network.forward = forward
    return calls


def test_out_of_memory_retries_with_smaller_tiles():
    network = SmoothingNet().eval()
    calls = _fail_while(network, lambda x: x.shape[-1] > 64)
    image = _photo_like(100, 120)
    result, _ = drive(
        run_network_tiled(
            network, image, scale=1, device=torch.device("cpu"), tile_size=128, overlap=8,
            min_tile_size=32,
        )
    )  # fmt: skip
    assert calls["failed"] == 1 and result.tile_size == 64
    assert any("smaller tiles" in note for note in result.notes)
    assert result.image.shape == image.shape


def test_out_of_memory_then_finishes_on_the_cpu_with_a_note():
    """The 'GPU' here is fp16: the fallback is the CPU in fp32, with a note."""
    network = SmoothingNet().eval().to(torch.float16)
    calls = _fail_while(network, lambda x: x.dtype == torch.float16)
    image = _photo_like(40, 50)
    result, _ = drive(
        run_network_tiled(
            network, image, scale=1, device=torch.device("cpu"), dtype=torch.float16,
            tile_size=64, min_tile_size=64,
        )
    )  # fmt: skip
    assert calls["failed"] == 1
    assert result.notes == [CPU_FALLBACK_NOTE]
    assert next(network.parameters()).dtype == torch.float32


def test_out_of_memory_on_the_cpu_is_a_clear_error():
    network = SmoothingNet().eval()
    _fail_while(network, lambda x: True)
    with pytest.raises(UserFacingError, match="not enough memory"):
        drive(
            run_network_tiled(
                network, _photo_like(40, 40), scale=1, device=torch.device("cpu"),
                tile_size=64, min_tile_size=64,
            )
        )  # fmt: skip


def test_closing_the_generator_stops_between_tiles():
    network = SmoothingNet().eval()
    seen = []
    original = network.forward
    network.forward = lambda x: (seen.append(1), original(x))[1]
    work = run_network_tiled(
        network, _photo_like(200, 200), scale=1, device=torch.device("cpu"), tile_size=64,
        overlap=8, min_tile_size=32,
    )  # fmt: skip
    next(work)
    next(work)
    work.close()
    assert len(seen) == 2
