"""Small generated photo folders and tiny training configurations for the trainer tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from sdstudio.training.config import TrainingConfig

TINY_NETWORKS = {
    "repair": {"base_channels": 8, "downsamplings": 1, "residual_blocks": 1, "max_channels": 16},
    "enhance": {"features": 8, "convs": 2, "scale": 2},
    "style": {"channels": 4, "residual_blocks": 1},
}
TINY_DISCRIMINATOR = {"channels": 8, "layers": 2}


def synthetic_photo(rng: np.random.Generator, height: int = 72, width: int = 96) -> np.ndarray:
    """A picture with smooth shading, edges and texture (what the losses need to see)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(40, 200, size=3)
    image = np.stack([base[c] + 40 * np.sin(xs / rng.uniform(6, 20) + c) for c in range(3)], axis=2)
    image += 25 * np.cos(ys / rng.uniform(5, 15))[:, :, None]
    for _ in range(4):
        colour = tuple(float(v) for v in rng.uniform(0, 255, size=3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        cv2.circle(image, centre, int(rng.integers(4, 20)), colour, -1)
    image += rng.normal(0, 6, size=image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def write_photos(folder: Path, count: int, seed: int = 0, suffix: str = ".png") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        path = folder / f"photo_{index:02d}{suffix}"
        cv2.imwrite(str(path), synthetic_photo(rng)[:, :, ::-1])
        paths.append(path)
    return paths


@pytest.fixture
def photo_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    write_photos(folder, 6)
    return folder


def tiny_config(task: str, data_dir: Path, name: str, **overrides) -> TrainingConfig:
    values = dict(
        task=task,
        data_dir=str(data_dir),
        name=name,
        hyperparameters=dict(TINY_NETWORKS[task]),
        discriminator_hyperparameters=dict(TINY_DISCRIMINATOR),
        steps=6,
        batch_size=2,
        crop=32,
        val_count=1,
        val_size=32,
        checkpoint_every=2,
        validate_every=3,
        max_side=96,
        nce_patches=16,
        lr_g=2e-3,
        lr_d=2e-3,
        seed=1,
    )
    values.update(overrides)
    return TrainingConfig(**values)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The machine has 2 cores shared by several test runs; one thread avoids spinning."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
