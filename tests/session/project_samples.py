"""Small projects for the session tests: every kind of history step, EXIF, ICC, DPI."""

from __future__ import annotations

import numpy as np

from sdstudio.session.project_model import EditRecord, Project, SourceInfo, build_project


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
    edits = [
        EditRecord(
            "Repair",
            {"task": "repair", "method": "telea", "seed": 7},
            "patch",
            (3, 2, 6, 4),
            original[2:6, 3:9].copy(),
            after_repair[2:6, 3:9].copy(),
        ),
        EditRecord("Enhance", {"task": "enhance", "denoise": 0.0}, "none"),
        EditRecord(
            "Enhance x2",
            {"task": "enhance", "scale": np.int64(2), "upscaler": "lanczos"},
            "replace",
            None,
            after_repair,
            upscaled,
        ),
        EditRecord(
            "Style: oil_painting",
            {"task": "style", "preset": "oil_painting", "strength": np.float32(0.5)},
            "patch",
            (4, 5, 16, 10),
            upscaled[5:15, 4:20].copy(),
            styled[5:15, 4:20].copy(),
        ),
    ]
    mask = np.zeros(styled.shape[:2], np.uint8)
    mask[1:4, 2:7] = 255
    source = SourceInfo(
        path="/photos/cat.jpg",
        format="JPEG",
        exif=b"Exif\x00\x00MM*",
        icc_profile=b"fake-icc-profile",
        dpi=(300.0, 300.0),
    )
    return build_project(original, styled, mask, edits, source)
