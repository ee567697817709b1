"""Tiles for the filter presets: each tile owns a core and reads a margin around it.

The presets are local filters, so styling a tile with at least ``reach`` pixels of real
neighbours around its core gives exactly the pixels the whole image would; the cores are
cut where neighbouring tiles meet in the middle of their overlap, so no blending is needed.
"""

from __future__ import annotations

from typing import NamedTuple

from sdstudio.imaging.tiling import plan_tiles

Box = tuple[int, int, int, int]  # top, left, bottom, right (exclusive)


class StyleTile(NamedTuple):
    core: Box  # pixels this tile writes
    padded: Box  # pixels it reads (core plus margin, inside the image)


def plan_style_tiles(height: int, width: int, tile_size: int, reach: int) -> list[StyleTile]:
    overlap = 2 * reach
    tile_size = max(tile_size, 2 * overlap)
    tiles = []
    for tile in plan_tiles(height, width, tile_size, overlap):
        top = tile.y0 + tile.overlap_top // 2
        left = tile.x0 + tile.overlap_left // 2
        bottom = tile.y1 - (tile.overlap_bottom - tile.overlap_bottom // 2)
        right = tile.x1 - (tile.overlap_right - tile.overlap_right // 2)
        tiles.append(StyleTile((top, left, bottom, right), (tile.y0, tile.x0, tile.y1, tile.x1)))
    return tiles
