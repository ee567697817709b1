"""Folders of photos that share one distinct look, made from ``photos/train``.

Each look is a deterministic render of an ordinary photo (no file is committed: the
folders are written at benchmark or test time), so a fine-tune has something of its own
to adapt to, as a person's scans or art would:

- ``comic``: flat posterised colours and dark outlines;
- ``sepia_grain``: grainy sepia prints;
- ``halftone``: a dot-screened newspaper scan;
- ``pencil``: grey pencil drawings;
- ``textile``: one texture family (woven fabric made from the photo's colours).

    .venv/bin/python benchmarks/look_folders.py OUT_DIR [--count 30] [--looks comic,pencil]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "photos" / "train"
LONG_SIDE = 512  # renders are small: fast to train on, still several crops per photo


def comic(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    smooth = image
    for _ in range(2):
        smooth = cv2.bilateralFilter(smooth, 7, 60, 7)
    levels = 5
    posterised = (np.floor(smooth.astype(np.float32) / 256.0 * levels) + 0.5) * (256.0 / levels)
    grey = cv2.cvtColor(cv2.medianBlur(image, 5), cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, 60, 140)
    edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    out = np.clip(posterised, 0, 255).astype(np.uint8)
    out[edges > 0] = (20, 16, 24)
    return out


def sepia_grain(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    grey = 0.12 + 0.8 * grey  # lifted blacks, dimmed whites of an old print
    tone = np.stack([grey * 1.07, grey * 0.86, grey * 0.62], axis=2)
    grain = rng.normal(0.0, 0.06, grey.shape).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), 0.7)[:, :, None]
    return (np.clip(tone + grain, 0, 1) * 255.0 + 0.5).astype(np.uint8)


def halftone(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    cell = 6
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = np.deg2rad(45.0)
    u = (xs * np.cos(angle) + ys * np.sin(angle)) / cell
    v = (-xs * np.sin(angle) + ys * np.cos(angle)) / cell
    distance = np.hypot(u - np.round(u), v - np.round(v))  # 0 at a dot's centre .. 0.707
    ink = 1.0 - cv2.GaussianBlur(image, (0, 0), cell / 2.5).astype(np.float32) / 255.0
    radius = np.sqrt(np.clip(ink, 0, 1)) * 0.62
    dots = np.clip((radius - distance[:, :, None]) * 8.0 + 0.5, 0, 1)
    paper = np.array([242, 236, 222], np.float32)
    return np.clip(paper * (1.0 - dots) + 0.15 * paper * dots, 0, 255).astype(np.uint8)


def pencil(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    blurred = cv2.GaussianBlur(255.0 - grey, (0, 0), 6.0)
    sketch = np.clip(grey * 255.0 / np.maximum(1.0, 255.0 - blurred), 0, 255)
    paper = cv2.GaussianBlur(rng.normal(0, 6.0, grey.shape).astype(np.float32), (0, 0), 1.2)
    sketch = np.clip(sketch * 0.94 + paper + 8.0, 0, 255).astype(np.uint8)
    return np.repeat(sketch[:, :, None], 3, axis=2)


def textile(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    period = 5.0
    warp = 0.5 + 0.5 * np.sin(2 * np.pi * xs / period)
    weft = 0.5 + 0.5 * np.sin(2 * np.pi * ys / period)
    over = ((np.floor(xs / period) + np.floor(ys / period)) % 2)[:, :, None]
    thread = over * warp[:, :, None] + (1 - over) * weft[:, :, None]
    colours = cv2.GaussianBlur(image, (0, 0), 4.0).astype(np.float32)
    return np.clip(colours * (0.55 + 0.55 * thread), 0, 255).astype(np.uint8)


LOOKS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "comic": comic,
    "sepia_grain": sepia_grain,
    "halftone": halftone,
    "pencil": pencil,
    "textile": textile,
}


def source_photos(count: int, seed: int, photos: Path = PHOTOS) -> list[Path]:
    files = sorted(p for p in photos.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    order = np.random.default_rng(seed).permutation(len(files))[:count]
    return [files[int(i)] for i in order]


def fit_long_side(image: np.ndarray, long_side: int) -> np.ndarray:
    height, width = image.shape[:2]
    factor = long_side / max(height, width)
    size = (max(16, round(width * factor)), max(16, round(height * factor)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def render_look(look: str, image: np.ndarray, seed: int) -> np.ndarray:
    return LOOKS[look](np.ascontiguousarray(image), np.random.default_rng(seed))


def write_look_folder(
    look: str,
    out_dir: Path,
    count: int,
    *,
    photos: Path = PHOTOS,
    long_side: int = LONG_SIDE,
    seed: int | None = None,
) -> list[Path]:
    """``count`` renders of ``look`` as PNG files in ``out_dir``; each look draws its own
    photos (the seed defaults to the look's place in ``LOOKS``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    seed = list(LOOKS).index(look) if seed is None else seed
    written = []
    for index, path in enumerate(source_photos(count, seed, photos)):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            continue
        image = fit_long_side(image[:, :, ::-1], long_side)
        rendered = render_look(look, image, seed * 1000 + index)
        target = out_dir / f"{look}-{index:02d}.png"
        cv2.imwrite(str(target), np.ascontiguousarray(rendered[:, :, ::-1]))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--looks", default=",".join(LOOKS))
    args = parser.parse_args(argv)
    for look in args.looks.split(","):
        files = write_look_folder(look, args.out / look, args.count)
        print(f"{look}: {len(files)} images in {args.out / look}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
