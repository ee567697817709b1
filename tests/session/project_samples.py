"""Small projects for the session tests: every kind of history step, EXIF, ICC, DPI."""

from __future__ import annotations

import numpy as np

from sdstudio.session.history import Edit
from sdstudio.session.project_model import Project, SourceInfo, build_project


def noise(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def sample_project(height: int = 12, width: int = 16, channels: int = 3) -> Project:
    """original -> patch (repair) -> no change -> replace (upscale x2) -> patch (style)."""
    original = noise(height, width, channels, seed=1)
    after_repair = original.copy()
    after_repair[2:6, 3:9] = noise(4, 6, channels, seed=2)
    upscaled = np.repeat(np.repeat(after_repair, 2, axis=0), 2, axis=1)
    styled = upscaled.copy()
    styled[5:15, 4:20] = noise(10, 16, channels, seed=3)
    mask = np.zeros(styled.shape[:2], np.uint8)
    mask[1:4, 2:7] = 255
    edits = [
        Edit(
            "Repair",
            {"task": "repair", "method": "telea", "seed": 7},
            "patch",
            (3, 2, 6, 4),
            original[2:6, 3:9].copy(),
            after_repair[2:6, 3:9].copy(),
        ),
        Edit("Enhance", {"task": "enhance", "denoise": 0.0}, "none"),
        Edit(
            "Enhance x2",
            {"task": "enhance", "scale": np.int64(2), "upscaler": "lanczos"},
            "replace",
            None,
            after_repair,
            upscaled,
            mask_before=np.zeros(after_repair.shape[:2], np.uint8),
            mask_after=mask,  # painted after the upscale
        ),
        Edit(
            "Style: oil_painting",
            {"task": "style", "preset": "oil_painting", "strength": np.float32(0.5)},
            "patch",
            (4, 5, 16, 10),
            upscaled[5:15, 4:20].copy(),
            styled[5:15, 4:20].copy(),
        ),
    ]
    source = SourceInfo(
        path="/photos/cat.jpg",
        format="JPEG",
        exif=b"Exif\x00\x00MM*",
        icc_profile=b"fake-icc-profile",
        dpi=(300.0, 300.0),
    )
    return build_project(original, styled, mask, edits, source)


State = tuple[np.ndarray, np.ndarray]  # (image, mask)


def sample_project_with_mask_steps(channels: int = 3) -> tuple[Project, list[State]]:
    """:func:`mask_sample_history` as a project, and the state after each step."""
    original, edits, states = mask_sample_history(channels)
    image, mask = states[-1]
    project = build_project(original, image, mask, edits, SourceInfo(path="/photos/dog.png"))
    return project, states


def mask_sample_history(
    channels: int = 3,
) -> tuple[np.ndarray, list[Edit], list[State]]:
    """Image and mask steps as the app makes them, and the state after each one.

    paint mask -> repair -> invert mask -> enhance x2 (the mask starts empty at the new
    size) -> paint mask -> style -> erase mask. The states are worked out here with plain
    numpy, not with the project model, so tests can check the model against them.
    """
    image = noise(12, 16, channels, seed=1)
    original = image.copy()
    mask = np.zeros((12, 16), np.uint8)
    edits: list[Edit] = []
    states: list[State] = []

    def mask_patch(title: str, rect: tuple[int, int, int, int], values: np.ndarray) -> None:
        nonlocal mask
        x, y, w, h = rect
        before = mask[y : y + h, x : x + w].copy()
        mask = mask.copy()
        mask[y : y + h, x : x + w] = values
        after = mask[y : y + h, x : x + w].copy()
        edits.append(Edit.mask_patch(title, rect, before, after))
        states.append((image, mask))

    def image_patch(title: str, params: dict, rect: tuple[int, int, int, int], seed: int) -> None:
        nonlocal image
        x, y, w, h = rect
        before = image[y : y + h, x : x + w].copy()
        image = image.copy()
        image[y : y + h, x : x + w] = noise(h, w, channels, seed=seed)
        after = image[y : y + h, x : x + w].copy()
        edits.append(Edit(title, params, "patch", rect, before, after))
        states.append((image, mask))

    mask_patch("Paint mask", (2, 1, 5, 3), np.full((3, 5), 255, np.uint8))
    image_patch("Repair", {"task": "repair", "method": "telea"}, (3, 2, 6, 4), seed=2)
    mask = 255 - mask
    edits.append(Edit.mask_inversion())
    states.append((image, mask))
    upscaled = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)
    edits.append(
        Edit(
            "Enhance x2",
            {"task": "enhance", "scale": 2},
            "replace",
            None,
            image,
            upscaled,
            mask_before=mask,
            mask_after=np.zeros((24, 32), np.uint8),
        )
    )
    image, mask = upscaled, np.zeros((24, 32), np.uint8)
    states.append((image, mask))
    mask_patch("Paint mask", (4, 5, 10, 6), np.full((6, 10), 128, np.uint8))
    image_patch("Style: ink", {"task": "style", "preset": "ink"}, (4, 5, 16, 10), seed=3)
    mask_patch("Erase mask", (8, 7, 4, 2), np.zeros((2, 4), np.uint8))
    return original, edits, states
