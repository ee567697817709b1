"""Graphic presets: cartoon and pop art (flat colour, ink outlines, halftone)."""

from __future__ import annotations

import math

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style.context import TileContext


def _shape(rgb: torch.Tensor) -> tuple[int, int]:
    return rgb.shape[2], rgb.shape[3]


def ink_lines(gray: torch.Tensor, ctx: TileContext, sigma: float, weight: float) -> torch.Tensor:
    """Bold ink outlines (0..1) along the main edges, ``weight`` style pixels thick.

    Busy texture (grass, fur) would be inked everywhere: lines are thinned out where
    they crowd, so outlines stay on the shapes. Thickness comes from a blur and a
    threshold, so it grows smoothly with the style unit.
    """
    lines = f.xdog_lines(gray, ctx.length(sigma), tau=0.985, threshold=-0.003).clamp(0, 1)
    crowding = f.box_blur(lines, ctx.px(5))
    lines = lines * (0.35 / (crowding + 1e-3)).clamp(max=1.0)
    thick = f.gaussian_blur(lines, ctx.length(weight))
    return f.smoothstep(0.12, 0.35, thick)


def ink_lines_reach(ctx: TileContext, sigma: float, weight: float) -> int:
    return (
        f.gaussian_radius(ctx.length(sigma * 1.6))
        + ctx.px(5)
        + f.gaussian_radius(ctx.length(weight))
    )


def cartoon(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Flat, bright colour areas in a few tones with bold dark outlines, like a cel."""
    flat = f.kuwahara(rgb, ctx.px(4), sharpness=10)
    flat = f.kuwahara(flat, ctx.px(4), sharpness=10)
    flat = f.gaussian_blur(flat, ctx.length(1.0))
    light = f.luminance(flat)
    # Outlines of the flattened shapes, not of every hair and blade of grass.
    lines = ink_lines(light, ctx, sigma=1.2, weight=0.7)
    banded = f.soft_quantise(light, 5, 0.1)
    flat = (flat * ((banded + 0.03) / (light + 0.03))).clamp(0, 1)
    flat = f.saturate(flat, 1.45)
    ink = torch.tensor([0.08, 0.06, 0.08], device=ctx.device).view(1, 3, 1, 1)
    return f.mix(flat, ink, lines).clamp(0, 1)


def cartoon_reach(ctx: TileContext) -> int:
    patches = 2 * ctx.px(4) + f.gaussian_radius(ctx.length(1.0))
    return patches + ink_lines_reach(ctx, 1.2, 0.7) + 2


_HALFTONE_ANGLES = (15.0, 75.0, 0.0)  # cyan, magenta, yellow screens, as in print


def _halftone_ink(
    coverage: torch.Tensor, ctx: TileContext, cell: float, angle_degrees: float
) -> torch.Tensor:
    """Round dots on a rotated grid whose area matches ``coverage`` (0..1), anti-aliased."""
    ys, xs = f.pixel_grid(ctx.origin, _shape(coverage), ctx.device)
    angle = math.radians(angle_degrees)
    u = (xs * math.cos(angle) + ys * math.sin(angle)) / cell
    v = (-xs * math.sin(angle) + ys * math.cos(angle)) / cell
    du = u - torch.floor(u) - 0.5
    dv = v - torch.floor(v) - 0.5
    distance = torch.sqrt(du * du + dv * dv) * cell
    radius = torch.sqrt(coverage.clamp(0, 1) / math.pi) * cell * 1.05
    return (radius - distance + 0.5).clamp(0, 1)


def pop_art(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    flat = f.kuwahara(rgb, ctx.px(3), sharpness=10)
    flat = f.saturate(flat, 2.0)
    flat = f.soft_quantise(flat, 3, 0.3)
    cell = ctx.length(7.0)  # 3.5 px at the smallest render unit
    inks = [
        _halftone_ink(1 - flat[:, i : i + 1], ctx, cell, angle)
        for i, angle in enumerate(_HALFTONE_ANGLES)
    ]
    printed = 1 - torch.cat(inks, 1)
    # Solid areas stay solid; the dots show in the mid tones like a comic print.
    solid = f.smoothstep(0.15, 0.02, (1 - flat).clamp(0, 1) * flat.clamp(0, 1) * 4)
    printed = f.mix(printed, flat, solid)
    lines = ink_lines(f.luminance(rgb), ctx, sigma=1.5, weight=0.6)
    return (printed * (1 - lines)).clamp(0, 1)


def pop_art_reach(ctx: TileContext) -> int:
    return max(2 * ctx.px(3), ink_lines_reach(ctx, 1.5, 0.6)) + 2
