"""Paint-like presets: oil painting, watercolour, cartoon and pop art.

Each effect takes an RGB tile ``(1, 3, H, W)`` in 0..1 and returns the styled tile; its
``*_reach`` companion says how many pixels of context it needs on every side.
"""

from __future__ import annotations

import math

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style.context import TileContext


def _shape(rgb: torch.Tensor) -> tuple[int, int]:
    return rgb.shape[2], rgb.shape[3]


def brush_relief(
    gray: torch.Tensor, ctx: TileContext, length: float, seed_offset: int
) -> torch.Tensor:
    """Height field of brush strokes laid along the image's contours (zero mean)."""
    noise = f.white_noise(ctx.origin, _shape(gray), ctx.seed + seed_offset, ctx.device)
    stroke_length = ctx.px(length)
    strokes = f.streak_noise(noise, stroke_length)
    weights = f.orientation_weights(gray, smooth=ctx.px(2.0))
    height = sum(s * w for s, w in zip(strokes, weights, strict=True))
    # Smearing n uniform samples leaves a std of 0.29 / sqrt(n); normalise to ~unit std.
    return (height - 0.5) * (math.sqrt(f.streak_span(stroke_length)) / 0.29)


def brush_relief_reach(ctx: TileContext, length: float) -> int:
    return f.streak_reach(ctx.px(length)) + 1 + f.gaussian_radius(ctx.px(2.0)) + 2


def oil_painting(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    paint = f.kuwahara(rgb, ctx.px(4), sharpness=8)
    paint = f.kuwahara(paint, ctx.px(2), sharpness=8)
    paint = f.saturate(paint, 1.2)
    paint = f.mix(paint, f.soft_quantise(paint, 12, 0.4), 0.5)
    gray = f.luminance(paint)
    height = brush_relief(gray, ctx, 9, 1)
    gx, gy = f.sobel(f.gaussian_blur(height, 0.6 * ctx.unit))
    # Light from the top left: slopes facing it brighten, the others darken.
    shade = (-gx - gy) * 0.09 / max(ctx.unit, 0.5)
    paint = paint * (1 + shade.clamp(-0.25, 0.25)) + 0.04 * shade.clamp_min(0)
    return paint.clamp(0, 1)


def oil_painting_reach(ctx: TileContext) -> int:
    return 2 * ctx.px(4) + 2 * ctx.px(2) + brush_relief_reach(ctx, 9) + 4


def watercolour(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    shape = _shape(rgb)
    base = f.kuwahara(rgb, ctx.px(5), sharpness=6)
    base = f.kuwahara(base, ctx.px(3), sharpness=6)
    # Wet-in-wet: in some areas neighbouring colours bleed into each other.
    wetness = f.fractal_noise(ctx.origin, shape, 90 * ctx.unit, ctx.seed + 1, ctx.device, 2)
    bled = f.gaussian_blur(base, 2.5 * ctx.unit)
    base = f.mix(base, bled, f.smoothstep(0.35, 0.75, wetness))
    base = f.saturate(base, 1.35)
    # A brush never follows a contour exactly: wobble the washes' edges a little.
    base = f.wobble(base, ctx.origin, 14 * ctx.unit, 2.5 * ctx.unit, ctx.seed + 9)
    # Watercolour is transparent: the paper shows through, so everything is lighter,
    # and washes are laid in a few layers, which flattens the tones.
    wash = 1 - (1 - base) * 0.7
    wash = f.mix(wash, f.soft_quantise(wash, 7, 0.5), 0.6)
    light = f.luminance(wash)
    wash = f.mix(wash, torch.ones_like(wash), f.smoothstep(0.82, 0.95, light))
    # Pigment pools at the edge of each wash and dries darker there.
    blurred = f.gaussian_blur(wash, 3.0 * ctx.unit)
    edge = (f.luminance(blurred) - f.luminance(wash)).abs()
    edge = f.gaussian_blur(edge, 0.7 * ctx.unit)
    turbulence = f.fractal_noise(ctx.origin, shape, 50 * ctx.unit, ctx.seed + 3, ctx.device)
    granulation = f.fractal_noise(ctx.origin, shape, 4 * ctx.unit, ctx.seed + 5, ctx.device, 2)
    # Pigment granulates where it is thick; pale washes stay clean.
    thickness = 1 - f.luminance(wash)
    density = 1 + 0.35 * (turbulence - 0.5) + 1.1 * thickness * (granulation - 0.5) + 9.0 * edge
    painted = wash - (wash - wash * wash) * (density - 1)
    paper = f.fractal_noise(ctx.origin, shape, 1.5 * ctx.unit, ctx.seed + 7, ctx.device, 2)
    paper_colour = torch.tensor([1.0, 0.985, 0.95], device=ctx.device).view(1, 3, 1, 1)
    return (painted * paper_colour * (0.96 + 0.06 * paper)).clamp(0, 1)


def watercolour_reach(ctx: TileContext) -> int:
    return (
        2 * ctx.px(5)
        + 2 * ctx.px(3)
        + math.ceil(2.5 * ctx.unit)
        + 1
        + f.gaussian_radius(2.5 * ctx.unit)
        + f.gaussian_radius(3.0 * ctx.unit)
        + f.gaussian_radius(0.7 * ctx.unit)
        + 2
    )


def cartoon(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    flat = f.kuwahara(rgb, ctx.px(3), sharpness=10)
    flat = f.kuwahara(flat, ctx.px(3), sharpness=10)
    light = f.luminance(flat)
    banded = f.soft_quantise(light, 6, 0.12)
    flat = (flat * ((banded + 0.02) / (light + 0.02))).clamp(0, 1)
    flat = f.saturate(flat, 1.35)
    lines = f.xdog_lines(f.luminance(rgb), 1.3 * ctx.unit, tau=0.985, threshold=-0.002)
    lines = f.gaussian_blur(f.dilate(lines, ctx.px(0.6) if ctx.unit >= 1.2 else 0), 0.5)
    return (flat * (1 - 0.92 * lines.clamp(0, 1))).clamp(0, 1)


def cartoon_reach(ctx: TileContext) -> int:
    lines = f.gaussian_radius(1.3 * ctx.unit * 1.6) + ctx.px(0.6) + 2
    return max(4 * ctx.px(3) + 2, lines)


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
    cell = max(3.0, 7.0 * ctx.unit)
    inks = [
        _halftone_ink(1 - flat[:, i : i + 1], ctx, cell, angle)
        for i, angle in enumerate(_HALFTONE_ANGLES)
    ]
    printed = 1 - torch.cat(inks, 1)
    # Solid areas stay solid; the dots show in the mid tones like a comic print.
    solid = f.smoothstep(0.15, 0.02, (1 - flat).clamp(0, 1) * flat.clamp(0, 1) * 4)
    printed = f.mix(printed, flat, solid)
    lines = f.xdog_lines(f.luminance(rgb), 1.5 * ctx.unit, tau=0.985, threshold=-0.002)
    lines = f.dilate(lines, ctx.px(0.6) if ctx.unit >= 1.2 else 0)
    return (printed * (1 - lines.clamp(0, 1))).clamp(0, 1)


def pop_art_reach(ctx: TileContext) -> int:
    return max(2 * ctx.px(3), f.gaussian_radius(1.5 * ctx.unit * 1.6) + ctx.px(0.6)) + 2
