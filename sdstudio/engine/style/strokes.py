"""Marks a hand makes: strokes along the picture's contours, paper and canvas texture.

Every size here is in style pixels (``TileContext.unit`` photo pixels each), and the
noise behind every mark sits on a lattice fixed to whole-image coordinates in those
units. So a photo twice the size gets the same strokes twice as big, in the same
places: its result shrunk is the smaller photo's result (``scale.py``), and tiles agree.
"""

from __future__ import annotations

import math

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style.context import TileContext

# The finest texture any preset draws, in style pixels (one photo pixel at unit 0.5).
FINEST = 2.0
# Smoothed value noise averaged along a line of n lattice cells has a spread of about
# 0.24 / sqrt(n) (measured on 512 px fields): the factor that brings strokes to unit spread.
_STREAK_SPREAD = 0.24


def _shape(x: torch.Tensor) -> tuple[int, int]:
    return x.shape[2], x.shape[3]


def noise(ctx: TileContext, shape: tuple[int, int], cell: float, seed: int) -> torch.Tensor:
    """Smooth noise in [0, 1) with features ``cell`` style pixels wide (at least FINEST)."""
    cell_pixels = max(cell, FINEST) * ctx.unit
    return f.value_noise(ctx.origin, shape, cell_pixels, ctx.seed + seed, ctx.device)


def grain(ctx: TileContext, shape: tuple[int, int], cell: float, seed: int) -> torch.Tensor:
    """Noise like :func:`noise` without its square lattice: two lattices whose cells do not
    line up are averaged (with the spread of one), so a 20 MP photo seen at 100 % shows
    paper grain and granulation, not a grid of soft squares."""
    first = noise(ctx, shape, cell, seed)
    second = noise(ctx, shape, cell * 1.37, seed + 7919)
    return (0.5 + (first + second - 1.0) * 0.7071).clamp(0, 1)


def contour_weights(gray: torch.Tensor, ctx: TileContext, smooth: float) -> list[torch.Tensor]:
    """Per-pixel weights of the four stroke directions, following the contours of ``gray``."""
    return f.orientation_weights(gray, smooth=ctx.length(smooth))


def contour_weights_reach(ctx: TileContext, smooth: float) -> int:
    return 1 + f.gaussian_radius(ctx.length(smooth))


def stroke_texture(
    weights: list[torch.Tensor], ctx: TileContext, length: float, width: float, seed: int
) -> torch.Tensor:
    """Zero-mean, unit-spread marks ``width`` wide and ``length`` long along the contours."""
    shape = _shape(weights[0])
    cell = max(width, FINEST)
    field = noise(ctx, shape, cell, seed)
    span = f.streak_span(ctx.px(length))
    streaks = f.streak_noise(field, ctx.px(length))
    mixed = sum(s * w for s, w in zip(streaks, weights, strict=True))
    return (mixed - 0.5) * (math.sqrt(max(1.0, span / (cell * ctx.unit))) / _STREAK_SPREAD)


def stroke_texture_reach(ctx: TileContext, length: float) -> int:
    return f.streak_reach(ctx.px(length)) + 1


def hatching(ctx: TileContext, shape: tuple[int, int], length: float, width: float,
             seed: int, direction: int) -> torch.Tensor:  # fmt: skip
    """Straight parallel marks in one of the four directions (0, 45, 90, 135 degrees)."""
    cell = max(width, FINEST)
    field = noise(ctx, shape, cell, seed)
    span = f.streak_span(ctx.px(length))
    streak = f.streak_noise(field, ctx.px(length))[direction]
    return (streak - 0.5) * (math.sqrt(max(1.0, span / (cell * ctx.unit))) / _STREAK_SPREAD)


def smear(x: torch.Tensor, weights: list[torch.Tensor], ctx: TileContext, length: float):
    """``x`` averaged along the contours over ``length`` style pixels: a brush's drag."""
    streaks = f.streak_noise(x, ctx.px(length))
    return sum(s * w for s, w in zip(streaks, weights, strict=True))


def smear_reach(ctx: TileContext, length: float) -> int:
    return f.streak_reach(ctx.px(length)) + 1


def relief_shade(height: torch.Tensor, ctx: TileContext, soften: float) -> torch.Tensor:
    """Light from the top left on a height field: slope per style pixel, about -1..1."""
    gx, gy = f.sobel(f.gaussian_blur(height, ctx.length(soften)))
    return (-gx - gy) * ctx.unit


def relief_shade_reach(ctx: TileContext, soften: float) -> int:
    return f.gaussian_radius(ctx.length(soften)) + 1


def canvas_weave(ctx: TileContext, shape: tuple[int, int], period: float) -> torch.Tensor:
    """A woven canvas's bumps, -1..1, ``period`` style pixels per thread pair."""
    ys, xs = f.pixel_grid(ctx.origin, shape, ctx.device)
    step = 2 * math.pi / (period * ctx.unit)
    warp = torch.sin(xs.to(torch.float32) * step)
    weft = torch.sin(ys.to(torch.float32) * step)
    return warp * weft


def paper(ctx: TileContext, shape: tuple[int, int], tint: tuple[float, float, float],
          grain: float, cell: float = 2.5, seed: int = 11) -> torch.Tensor:  # fmt: skip
    """Drawing paper: ``tint`` darkened by up to ``grain`` in its fibres."""
    colour = torch.tensor(tint, device=ctx.device).view(1, 3, 1, 1)
    texture = f.fractal_noise(
        ctx.origin, shape, max(cell, FINEST * 2) * ctx.unit, ctx.seed + seed, ctx.device, 2
    )
    return colour * (1 - grain * texture)
