"""Drawing presets: pencil sketch (grey), colour pencil and charcoal."""

from __future__ import annotations

import math

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style.context import TileContext

PAPER = (0.97, 0.96, 0.93)


def _shape(x: torch.Tensor) -> tuple[int, int]:
    return x.shape[2], x.shape[3]


def _paper(ctx: TileContext, shape: tuple[int, int], grain: float) -> torch.Tensor:
    colour = torch.tensor(PAPER, device=ctx.device).view(1, 3, 1, 1)
    texture = f.fractal_noise(ctx.origin, shape, 1.6 * ctx.unit, ctx.seed + 11, ctx.device, 2)
    return colour * (1 - grain * texture)


def _dodge_lines(gray: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Classic pencil look: colour-dodge the image with its blurred negative."""
    blurred_negative = f.gaussian_blur(1 - gray, 5.0 * ctx.unit)
    sketch = (gray / (1 - blurred_negative + 1e-3)).clamp(0, 1)
    return sketch**2.2  # graphite is darker than the raw dodge result


def _hatching(gray: torch.Tensor, ctx: TileContext, length: float, seed_offset: int):
    """Two layers of diagonal strokes whose density follows the local darkness."""
    shape = _shape(gray)
    noise = f.white_noise(ctx.origin, shape, ctx.seed + seed_offset, ctx.device)
    stroke_length = ctx.px(length)
    strokes = f.streak_noise(noise, stroke_length)
    norm = math.sqrt(f.streak_span(stroke_length)) / 0.29
    tone = 1 - f.gaussian_blur(gray, 2.0 * ctx.unit)
    first = f.smoothstep(0.3, 1.0, 0.6 * (strokes[1] - 0.5) * norm + 2.5 * tone - 1.2)
    second = f.smoothstep(0.3, 1.0, 0.6 * (strokes[3] - 0.5) * norm + 2.5 * tone - 1.8)
    return (first + second).clamp(0, 1)


def _reach(ctx: TileContext, length: float) -> int:
    return (
        max(f.gaussian_radius(5.0 * ctx.unit), f.streak_reach(ctx.px(length)))
        + f.gaussian_radius(2.0 * ctx.unit)
        + 2
    )


def pencil_sketch(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    gray = f.luminance(rgb)
    lines = _dodge_lines(gray, ctx)
    hatching = _hatching(gray, ctx, 24, 21)
    graphite = lines * (1 - 0.35 * hatching)
    paper = _paper(ctx, _shape(rgb), 0.08)
    return (paper * graphite).clamp(0, 1)


def pencil_sketch_reach(ctx: TileContext) -> int:
    return _reach(ctx, 24)


def pencil_colour(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    gray = f.luminance(rgb)
    lines = _dodge_lines(gray, ctx) ** 0.7
    colour = f.saturate(f.gaussian_blur(rgb, 1.0 * ctx.unit), 1.4)
    hatching = _hatching(gray, ctx, 14, 23)
    # Coloured pencil leaves paper between its strokes; strokes are denser in dark areas.
    coverage = 0.45 + 0.5 * hatching
    tinted = f.mix(torch.ones_like(colour), colour, coverage)
    paper = _paper(ctx, _shape(rgb), 0.1)
    return (paper * tinted * lines).clamp(0, 1)


def pencil_colour_reach(ctx: TileContext) -> int:
    return _reach(ctx, 14) + f.gaussian_radius(ctx.unit)


def charcoal(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    shape = _shape(rgb)
    gray = f.luminance(f.gaussian_blur(rgb, 1.0 * ctx.unit))
    tone = f.smoothstep(0.12, 0.8, gray)
    smudged = f.gaussian_blur(tone, 3.0 * ctx.unit)
    darkness = 1 - smudged
    noise = f.white_noise(ctx.origin, shape, ctx.seed + 31, ctx.device)
    stroke_length = ctx.px(22)
    strokes = f.streak_noise(noise, stroke_length)
    weights = f.orientation_weights(smudged, smooth=ctx.px(3.0))
    stroke = sum(s * w for s, w in zip(strokes, weights, strict=True))
    stroke = (stroke - 0.5) * (math.sqrt(f.streak_span(stroke_length)) / 0.29)
    grain = f.fractal_noise(ctx.origin, shape, 2.2 * ctx.unit, ctx.seed + 33, ctx.device, 2)
    # Charcoal only catches on the paper's ridges, so light strokes break up on its grain.
    coverage = f.smoothstep(-0.3, 0.3, darkness * 1.2 - grain * 0.8 + 0.22 * stroke - 0.1)
    coverage = coverage * (0.7 + 0.3 * darkness) * (0.8 + 0.2 * (1 - grain))
    lines = f.xdog_lines(gray, 1.6 * ctx.unit, tau=0.98, threshold=-0.003, sharpness=200)
    coverage = (coverage + 0.8 * lines * (0.5 + 0.5 * grain)).clamp(0, 0.97)
    paper = _paper(ctx, shape, 0.06)
    stick = torch.tensor([0.08, 0.08, 0.09], device=ctx.device).view(1, 3, 1, 1)
    return f.mix(paper, stick, coverage).clamp(0, 1)


def charcoal_reach(ctx: TileContext) -> int:
    blur = f.gaussian_radius(ctx.unit)
    smudge = f.gaussian_radius(3.0 * ctx.unit) + f.gaussian_radius(ctx.px(3.0)) + 2
    lines = f.gaussian_radius(1.6 * ctx.unit * 1.6)
    return blur + max(smudge, f.streak_reach(ctx.px(22)), lines) + 2
