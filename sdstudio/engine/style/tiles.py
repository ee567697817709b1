"""Tiles for the filter presets: each tile owns a core and reads a margin around it.

The presets are local filters, so styling a tile with at least ``reach`` pixels of real
neighbours around its core gives exactly the pixels the whole image would; the cores are
cut where neighbouring tiles meet in the middle of their overlap, so no blending is needed.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from sdstudio.imaging.tiling import plan_tiles

Box = tuple[int, int, int, int]  # top, left, bottom, right (exclusive)


class StyleTile(NamedTuple):
    core: Box  # pixels this tile writes
    padded: Box  # pixels it reads (core plus margin, inside the image)


def _spans(length: int, max_tile: int, reach: int) -> list[tuple[int, int, int, int]]:
    """(start, end, core_start, core_end) along one axis, with as little overlap as possible.

    Tiles are sized to the axis (not one square size for both), so the work beyond the
    image's own pixels stays near ``2 * reach`` per seam.
    """
    overlap = 2 * reach
    if length <= max_tile or max_tile <= overlap:
        return [(0, length, 0, length)]
    count = math.ceil((length - overlap) / (max_tile - overlap))
    tile = min(length, math.ceil((length - overlap) / count) + overlap)
    spans = []
    for t in plan_tiles(length, 1, tile, overlap):
        core_start = t.y0 + t.overlap_top // 2
        core_end = t.y1 - (t.overlap_bottom - t.overlap_bottom // 2)
        spans.append((t.y0, t.y1, core_start, core_end))
    return spans


def plan_style_tiles(height: int, width: int, max_tile: int, reach: int) -> list[StyleTile]:
    """Row-major tiles of at most ``max_tile`` pixels a side whose margins cover ``reach``."""
    max_tile = max(max_tile, 4 * reach)
    return [
        StyleTile((ct, cl, cb, cr), (top, left, bottom, right))
        for top, bottom, ct, cb in _spans(height, max_tile, reach)
        for left, right, cl, cr in _spans(width, max_tile, reach)
    ]
