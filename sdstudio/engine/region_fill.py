"""Filling a painted mask region by region and pasting the fills back invisibly.

Each separate painted region is handled on its own crop (its box plus surrounding
context), so a few dust specks on a 24 MP photo cost a few small crops, not a pass over
the whole image. A crop larger than the filler's working size is filled in
full-resolution tiles along a thin hole (a scratch), or, for a thick hole (an object), at
the working size with the fill upscaled; only hole pixels ever come from an upscaled
fill. The fill is pasted back with a ramp from the hole edge to the edge of the dilated
mask: every pixel outside the dilated mask stays bit-identical to the input, and alpha is
never touched. Every backend's repair filler (``engine.backends``) runs through here.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import cv2
import numpy as np

from sdstudio.engine.classical import hole_diameter
from sdstudio.imaging.colour import join_alpha, match_colour_stats, split_alpha
from sdstudio.imaging.masks import dilate, mask_regions
from sdstudio.imaging.tiling import plan_tiles
from sdstudio.jobs import Progress


class RegionFiller(Protocol):
    """Fills one crop. ``fill`` gets RGB uint8 and a boolean hole mask of the same size and
    returns RGB uint8: the method's picture of the whole crop (hole pixels are used; the
    rest only in a thin blend ring). Every backend's filler implements this.
    """

    working_size: int  # longest crop side the method works at; larger crops are downscaled
    blend_colours: bool  # match the fill's colours to the surroundings (for networks)
    notes: list[str]

    def fill(self, image: np.ndarray, hole: np.ndarray) -> np.ndarray: ...


def blend_ring_width(height: int, width: int) -> int:
    """Pixels over which a fill fades into the photo: wider on larger photos."""
    return int(np.clip(round(max(height, width) / 400), 3, 16))


def repair_image(
    image: np.ndarray, hole: np.ndarray, filler: RegionFiller
) -> Generator[Progress, None, np.ndarray]:
    """Fill ``hole`` in ``image`` (RGB or RGBA uint8) with ``filler``; returns a new image."""
    rgb, alpha = split_alpha(image)
    result = rgb.copy()
    height, width = hole.shape
    ring = blend_ring_width(height, width)
    dilated = dilate(hole, ring)
    regions = mask_regions(dilated, context=0, merge_distance=2 * ring)
    if getattr(filler, "parallel_regions", False) and len(regions) > 1:
        yield from _repair_regions_in_parallel(rgb, result, hole, dilated, regions, filler, ring)
    else:
        for index, box in enumerate(regions):
            message = f"Repairing area {index + 1} of {len(regions)}"
            for part in _repair_region(result, hole, dilated, box, filler, ring):
                yield Progress((index + part) / len(regions), message)
    return join_alpha(result, None if alpha is None else alpha.copy())


def _repair_regions_in_parallel(
    rgb: np.ndarray,
    result: np.ndarray,
    hole: np.ndarray,
    dilated: np.ndarray,
    regions: list[tuple[int, int, int, int]],
    filler: RegionFiller,
    ring: int,
) -> Generator[Progress, None, None]:
    """Regions filled on a thread each (for fillers whose native code releases the GIL),
    pasted back in order. Every crop is cut from the input photo, not from the result so
    far, so the outcome does not depend on how many threads ran."""
    height, width = hole.shape
    plans = []
    for box in regions:
        x0, y0, x1, y1 = box
        diameter = hole_diameter(hole[y0:y1, x0:x1])
        plans.append((box, _context_box(box, max(32, diameter), height, width), diameter))

    def fill(plan) -> np.ndarray:
        _box, (cx0, cy0, cx1, cy1), diameter = plan
        steps = _fill_crop(rgb[cy0:cy1, cx0:cx1], hole[cy0:cy1, cx0:cx1], filler, ring, diameter)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value

    with ThreadPoolExecutor(min(len(plans), os.cpu_count() or 1)) as pool:
        futures = [pool.submit(fill, plan) for plan in plans]
        try:
            for index, (plan, future) in enumerate(zip(plans, futures, strict=True)):
                box, context_box, _diameter = plan
                _paste_region(result, hole, dilated, box, context_box, future.result(), ring)
                yield Progress(
                    (index + 1) / len(plans), f"Repaired area {index + 1} of {len(plans)}"
                )
        finally:  # cancelled (generator closed) or failed: start no more crops
            for future in futures:
                future.cancel()


def _context_box(box: tuple[int, int, int, int], context: int, height: int, width: int):
    x0, y0, x1, y1 = box
    return (
        max(0, x0 - context),
        max(0, y0 - context),
        min(width, x1 + context),
        min(height, y1 + context),
    )


def _repair_region(
    result: np.ndarray,
    hole: np.ndarray,
    dilated: np.ndarray,
    box: tuple[int, int, int, int],
    filler: RegionFiller,
    ring: int,
) -> Generator[float, None, None]:
    """Fill one region in ``result``; yields the fraction of the region done."""
    height, width = hole.shape
    x0, y0, x1, y1 = box
    diameter = hole_diameter(hole[y0:y1, x0:x1])
    # Context in proportion to how thick the hole is (not how long): a scratch across the
    # photo needs a few pixels either side, an object needs about its own size around it.
    cx0, cy0, cx1, cy1 = _context_box(box, max(32, diameter), height, width)
    crop = result[cy0:cy1, cx0:cx1]
    # Every hole pixel in the crop is a hole for the method (holes of other regions in the
    # context must not be copied from); only this region's pixels are written back.
    crop_hole = hole[cy0:cy1, cx0:cx1]
    fill = yield from _fill_crop(crop, crop_hole, filler, ring, diameter)
    _paste_region(result, hole, dilated, box, (cx0, cy0, cx1, cy1), fill, ring)
    yield 1.0


def _paste_region(
    result: np.ndarray,
    hole: np.ndarray,
    dilated: np.ndarray,
    box: tuple[int, int, int, int],
    context_box: tuple[int, int, int, int],
    fill: np.ndarray,
    ring: int,
) -> None:
    """Blend one region's fill into ``result``: only this region's dilated pixels change."""
    x0, y0, x1, y1 = box
    cx0, cy0, cx1, cy1 = context_box
    crop = result[cy0:cy1, cx0:cx1]
    crop_hole = hole[cy0:cy1, cx0:cx1]
    weight = _blend_weight(crop_hole, ring)
    blended = crop.astype(np.float32) + weight[..., None] * (
        fill.astype(np.float32) - crop.astype(np.float32)
    )
    blended = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    write = np.zeros_like(crop_hole)
    write[y0 - cy0 : y1 - cy0, x0 - cx0 : x1 - cx0] = dilated[y0:y1, x0:x1]
    write &= weight > 0
    crop[write] = blended[write]


def _fill_crop(
    crop: np.ndarray, crop_hole: np.ndarray, filler: RegionFiller, ring: int, diameter: int
) -> Generator[float, None, np.ndarray]:
    """The method's fill for a crop, at full resolution where the hole allows it.

    - the crop fits the working size: one call;
    - a thin hole in a large crop (a long scratch): full-resolution tiles along it, so
      the fill keeps the photo's sharpness;
    - a hole too thick for that (a large object): the crop is filled at the working size
      and the fill upscaled; known pixels keep full resolution.
    """
    working = filler.working_size
    if max(crop_hole.shape) <= working:
        fill = np.asarray(filler.fill(crop, crop_hole), dtype=np.uint8).copy()
        return _match_edge_colours(fill, crop, crop_hole, ring) if filler.blend_colours else fill
    needed = 4 * diameter + 64  # the hole's thickness with context on both sides
    if needed <= working:
        tile = min(working, max(128, -(-needed // 32) * 32))
        return (yield from _fill_in_tiles(crop, crop_hole, filler, ring, tile))
    return _fill_downscaled(crop, crop_hole, filler, ring)


def _fill_in_tiles(
    crop: np.ndarray, crop_hole: np.ndarray, filler: RegionFiller, ring: int, tile_size: int
) -> Generator[float, None, np.ndarray]:
    """Fill tile by tile in reading order; each tile sees earlier fills as known photo."""
    fill = crop.copy()
    remaining = crop_hole.copy()
    tiles = plan_tiles(*crop_hole.shape, tile_size, tile_size // 4)
    for index, tile in enumerate(tiles):
        rows, cols = slice(tile.y0, tile.y1), slice(tile.x0, tile.x1)
        tile_hole = remaining[rows, cols]
        if not tile_hole.any():
            continue
        known = fill[rows, cols]
        tile_fill = np.asarray(filler.fill(known, tile_hole), dtype=np.uint8)
        if filler.blend_colours:
            tile_fill = _match_edge_colours(tile_fill, known, tile_hole, ring)
        known[tile_hole] = tile_fill[tile_hole]
        remaining[rows, cols] = False
        yield 0.95 * (index + 1) / len(tiles)
    return fill


def _fill_downscaled(
    crop: np.ndarray, crop_hole: np.ndarray, filler: RegionFiller, ring: int
) -> np.ndarray:
    crop_h, crop_w = crop_hole.shape
    factor = filler.working_size / max(crop_h, crop_w)
    small_w, small_h = max(1, round(crop_w * factor)), max(1, round(crop_h * factor))
    small = cv2.resize(crop, (small_w, small_h), interpolation=cv2.INTER_AREA)
    # Any hole coverage makes a small pixel a hole, so no hole colour leaks into the fill.
    small_hole = cv2.resize(crop_hole.astype(np.float32), (small_w, small_h), cv2.INTER_AREA) > 0
    small_fill = np.asarray(filler.fill(small, small_hole), dtype=np.uint8)
    upscaled = cv2.resize(small_fill, (crop_w, crop_h), interpolation=cv2.INTER_CUBIC)
    if filler.blend_colours:
        upscaled = _match_edge_colours(upscaled, crop, crop_hole, ring)
    # Known pixels keep full resolution; only the hole takes the upscaled fill.
    return np.where(crop_hole[..., None], upscaled, crop)


def _match_edge_colours(
    fill: np.ndarray, crop: np.ndarray, crop_hole: np.ndarray, ring: int
) -> np.ndarray:
    """Remove a brightness or colour step at the hole edge (a known weakness of networks).

    Compares the fill with the photo on a band of known pixels around the hole and
    corrects the fill's mean and spread there; the correction is applied to the hole only.
    """
    band = dilate(crop_hole, 3 * ring) & ~crop_hole
    if band.sum() < 16:
        return fill
    corrected = match_colour_stats(fill, crop, band)
    return np.where(crop_hole[..., None], corrected, fill)


def _blend_weight(crop_hole: np.ndarray, ring: int) -> np.ndarray:
    """1 on the hole, falling linearly to 0 at ``ring`` pixels from it."""
    outside = (~crop_hole).astype(np.uint8)
    distance = cv2.distanceTransform(outside, cv2.DIST_L2, 5)
    weight = np.clip(1.0 - distance / (ring + 1.0), 0.0, 1.0).astype(np.float32)
    weight[crop_hole] = 1.0
    return weight
