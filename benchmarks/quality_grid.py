"""The side-by-side image grid of ``quality.py``: crops of one photo, one row per case."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# The enhance rows: the hardest x2 input and the clean x4 the earlier grids showed.
GRID_ENHANCE_CASES = ("x2 degraded", "x4 pil_bicubic")


def crop_for(mask: np.ndarray | None, height: int, width: int, tile: int) -> tuple[int, int]:
    """Top-left of a ``tile`` square: on the mask's centre, else the image's centre."""
    if mask is not None and mask.any():
        ys, xs = np.nonzero(mask)
        cy, cx = int(ys.mean()), int(xs.mean())
    else:
        cy, cx = height // 2, width // 2
    return (
        int(np.clip(cy - tile // 2, 0, max(0, height - tile))),
        int(np.clip(cx - tile // 2, 0, max(0, width - tile))),
    )


def label(tile: np.ndarray, text: str) -> np.ndarray:
    tile = np.array(tile)  # a copy: drawing must never touch the photo the crop views
    cv2.rectangle(tile, (0, 0), (tile.shape[1], 16), (0, 0, 0), -1)
    cv2.putText(tile, text[:28], (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1)
    return tile


def _enhance_row(samples: dict, case: str, truth: np.ndarray, tile: int) -> list[np.ndarray]:
    keys = [key for key in samples if key[0] == "enhance" and key[1] == case]
    if not keys:
        return []
    height, width = truth.shape[:2]
    y, x = crop_for(None, height, width, tile)
    small = samples[keys[0]][1]
    scale = height // small.shape[0]
    nearest = cv2.resize(
        small, (small.shape[1] * scale, small.shape[0] * scale), interpolation=cv2.INTER_NEAREST
    )
    tiles = [label(nearest[y : y + tile, x : x + tile], f"input {case}")]
    for key in keys:
        tiles.append(label(samples[key][0][y : y + tile, x : x + tile], key[2]))
    return tiles + [label(truth[y : y + tile, x : x + tile], "original")]


def make_grid(samples: dict, path: Path, tile: int = 192) -> Path | None:
    """Rows: the box repair, the degraded x2 and clean x4 enhance, and each learnt style,
    as crops of one photo. ``samples``: ``(task, case, method) -> (output, mask or input)``
    and ``"truth"``, the photo."""
    truth = samples["truth"]
    height, width = truth.shape[:2]
    rows = []
    box = [key for key in samples if key[0] == "repair" and key[1] == "box"]
    if box:
        mask = samples[box[0]][1]
        y, x = crop_for(mask, height, width, tile)
        shown = truth.copy()
        shown[mask > 0] = (255, 0, 255)
        tiles = [label(shown[y : y + tile, x : x + tile], "mask")]
        for key in box:
            tiles.append(label(samples[key][0][y : y + tile, x : x + tile], key[2]))
        rows.append(tiles + [label(truth[y : y + tile, x : x + tile], "original")])
    for case in GRID_ENHANCE_CASES:
        row = _enhance_row(samples, case, truth, tile)
        if row:
            rows.append(row)
    for preset in dict.fromkeys(key[1] for key in samples if key[0] == "style"):
        keys = [key for key in samples if key[0] == "style" and key[1] == preset]
        y, x = crop_for(None, height, width, tile)
        tiles = [label(truth[y : y + tile, x : x + tile], "photo")]
        for key in keys:
            text = f"{preset} (procedural)" if key[2] == "preset" else key[2]
            tiles.append(label(samples[key][0][y : y + tile, x : x + tile], text))
        rows.append(tiles)
    if not rows:
        return None
    columns = max(len(row) for row in rows)
    blank = np.full((tile, tile, 3), 32, np.uint8)

    def padded(t: np.ndarray) -> np.ndarray:  # photos smaller than a tile
        return cv2.copyMakeBorder(
            t, 0, tile - t.shape[0], 0, tile - t.shape[1], cv2.BORDER_CONSTANT
        )

    grid = np.concatenate(
        [
            np.concatenate([padded(t) for t in row + [blank] * (columns - len(row))], axis=1)
            for row in rows
        ],
        axis=0,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path, quality=85)
    return path
