"""Training batches for the damage detector: photo pool, crops, rendered damage.

Photos are decoded once into memory (``PhotoPool``). A crop is cut as if the photo had
been scaled so its long side is 384-1024 px (the sizes people open, and the benchmark's
768), then rendered with the damage that whole photo would get (the renderer's ``unit``
comes from the scaled photo, not the crop). Inputs are built by the engine's own
``network_input``, so training and detection cannot disagree about the cue channels.
numpy + cv2 (+ PIL to decode); no torch, so render worker processes stay light.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from sdstudio.engine.damage import network_input
from sdstudio.training.damage_render import render_damage_sample

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
SCALED_LONG_SIDE = (384, 1024)
# One crop in five has no damage at all: most of a real photo is not damaged, and the
# detector must learn to stay quiet on it.
DAMAGED_FRACTION = 0.8
# Stains and tears cover many pixels but are rare per photo, and a crop sees only part of
# one: show them more often than the benchmark's photos have them.
TRAINING_KIND_PROBABILITIES = {"water_stain": 0.3, "torn_corner": 0.2, "cracks": 0.4}


def photo_files(folder: str | Path) -> list[Path]:
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no photos in {folder}")
    return files


def split_holdout(files: list[Path], count: int) -> tuple[list[Path], list[Path]]:
    """(training files, held-out files): a fixed choice by name hash, not by order."""
    ranked = sorted(files, key=lambda p: hashlib.sha256(p.name.encode()).hexdigest())
    count = min(count, max(0, len(files) - 1))
    held = set(ranked[:count])
    return [p for p in files if p not in held], [p for p in files if p in held]


def load_rgb(path: Path, max_side: int = 1024) -> np.ndarray:
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        return np.asarray(image).copy()


def resize_long_side(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=interpolation)


@dataclass
class DamageBatch:
    inputs: np.ndarray  # float32 (B, C, crop, crop)
    masks: np.ndarray  # float32 (B, 1, crop, crop), 1 = damage


class PhotoPool:
    def __init__(self, files: list[Path]) -> None:
        self.photos = [load_rgb(path) for path in files]

    def crop(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, float]:
        """A ``size`` square crop and the damage unit of the photo it came from."""
        photo = self.photos[int(rng.integers(0, len(self.photos)))]
        height, width = photo.shape[:2]
        scale = rng.uniform(*SCALED_LONG_SIDE) / max(height, width)
        scale = max(scale, size / min(height, width))  # the crop must fit
        region = min(int(np.ceil(size / scale)), height, width)
        top = int(rng.integers(0, height - region + 1))
        left = int(rng.integers(0, width - region + 1))
        piece = photo[top : top + region, left : left + region]
        interpolation = cv2.INTER_AREA if region > size else cv2.INTER_CUBIC
        piece = cv2.resize(piece, (size, size), interpolation=interpolation)
        if rng.random() < 0.5:
            piece = piece[:, ::-1]
        if rng.random() < 0.25:
            piece = np.rot90(piece)
        unit = min(height, width) * scale / 256.0
        return np.ascontiguousarray(piece), unit

    def batch(
        self, seed: int, *, batch_size: int, size: int, in_channels: int, cue_kernel: int
    ) -> DamageBatch:
        rng = np.random.default_rng(seed)
        inputs, masks = [], []
        for _ in range(batch_size):
            piece, unit = self.crop(rng, size)
            sample = render_damage_sample(
                rng, piece, unit=unit, damage_probability=DAMAGED_FRACTION,
                kind_probabilities=TRAINING_KIND_PROBABILITIES,
            )  # fmt: skip
            inputs.append(
                network_input(sample.damaged, in_channels=in_channels, cue_kernel=cue_kernel)
            )
            masks.append(sample.mask)
        return DamageBatch(
            inputs=np.stack(inputs).transpose(0, 3, 1, 2).copy(),
            masks=(np.stack(masks)[:, None] > 0).astype(np.float32),
        )


# --- render worker processes (spawn): each holds its own pool --------------------------
_worker_pool: PhotoPool | None = None


def start_worker(files: list[str]) -> None:
    global _worker_pool
    cv2.setNumThreads(1)
    _worker_pool = PhotoPool([Path(f) for f in files])


def worker_batch(seed: int, batch_size: int, size: int, in_channels: int, cue_kernel: int):
    assert _worker_pool is not None, "start_worker was not run in this process"
    batch = _worker_pool.batch(
        seed, batch_size=batch_size, size=size, in_channels=in_channels, cue_kernel=cue_kernel
    )
    return batch.inputs, batch.masks
