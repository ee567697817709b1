"""Drawing presets: pencil sketch (grey), colour pencil and charcoal.

Sizes are in style pixels and every mark comes from noise fixed to whole-image
coordinates in those units (``strokes.py``), so a drawing looks the same at any size.
"""

from __future__ import annotations

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style import strokes as s
from sdstudio.engine.style.context import TileContext

PAPER = (0.97, 0.96, 0.93)
CHARCOAL_PAPER = (0.94, 0.92, 0.88)
CHARCOAL_STICK = (0.07, 0.07, 0.08)


def _shape(x: torch.Tensor) -> tuple[int, int]:
    return x.shape[2], x.shape[3]


def _dodge_lines(gray: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Classic pencil look: colour-dodge the image with its blurred negative."""
    blurred_negative = f.gaussian_blur(1 - gray, ctx.length(5.0))
    sketch = (gray / (1 - blurred_negative + 1e-3)).clamp(0, 1)
    return sketch**2.2  # graphite is darker than the raw dodge result


def _dodge_reach(ctx: TileContext) -> int:
    return f.gaussian_radius(ctx.length(5.0))


def _cross_hatching(
    tone: torch.Tensor, ctx: TileContext, length: float, seed: int, levels: tuple[float, float]
) -> torch.Tensor:
    """Two layers of diagonal strokes: the first where ``tone`` passes ``levels[0]``,
    the second, crossing it, where it passes ``levels[1]`` (0 = none, 1 = solid)."""
    shape = _shape(tone)
    first = s.hatching(ctx, shape, length, 2.0, seed, direction=1)
    second = s.hatching(ctx, shape, length, 2.0, seed + 1, direction=3)
    layer1 = f.smoothstep(-0.5, 0.5, 0.45 * first + 3.0 * (tone - levels[0]))
    layer2 = f.smoothstep(-0.5, 0.5, 0.45 * second + 3.0 * (tone - levels[1]))
    return 1 - (1 - layer1) * (1 - layer2)


def _hatching_reach(ctx: TileContext, length: float) -> int:
    return s.stroke_texture_reach(ctx, length)


# -- pencil sketch ----------------------------------------------------------------------------


def pencil_sketch(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    gray = f.luminance(rgb)
    lines = _dodge_lines(gray, ctx)
    darkness = 1 - f.gaussian_blur(gray, ctx.length(2.0))
    hatching = _cross_hatching(darkness, ctx, 24, 21, (0.45, 0.7))
    graphite = lines * (1 - 0.4 * hatching)
    paper = s.paper(ctx, _shape(rgb), PAPER, 0.08)
    return (paper * graphite).clamp(0, 1)


def pencil_sketch_reach(ctx: TileContext) -> int:
    hatching = f.gaussian_radius(ctx.length(2.0)) + _hatching_reach(ctx, 24)
    return max(_dodge_reach(ctx), hatching) + 2


# -- colour pencil ----------------------------------------------------------------------------


def pencil_colour(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Graphite outlines and the photo's colours laid in hatched strokes on white paper:
    light areas are mostly paper, dark and saturated ones densely hatched."""
    shape = _shape(rgb)
    gray = f.luminance(rgb)
    lines = _dodge_lines(gray, ctx)
    colour = f.saturate(f.gaussian_blur(rgb, ctx.length(2.0)), 1.7)
    smooth = f.gaussian_blur(rgb, ctx.length(2.0))
    darkness = 1 - f.luminance(smooth)
    chroma = smooth.amax(1, keepdim=True) - smooth.amin(1, keepdim=True)
    pigment = (0.75 * darkness + 0.5 * chroma).clamp(0, 1)
    coverage = _cross_hatching(pigment, ctx, 20, 23, (0.38, 0.66))
    # The pencil only catches on the paper's ridges.
    grain = s.grain(ctx, shape, 2.0, 27)
    coverage = coverage * (0.6 + 0.4 * grain) * 0.9
    tinted = f.mix(torch.ones_like(colour), colour, coverage)
    paper = s.paper(ctx, shape, PAPER, 0.06)
    return (paper * tinted * lines).clamp(0, 1)


def pencil_colour_reach(ctx: TileContext) -> int:
    hatching = f.gaussian_radius(ctx.length(2.0)) + _hatching_reach(ctx, 20)
    return max(_dodge_reach(ctx), hatching) + 2


# -- charcoal ---------------------------------------------------------------------------------


def charcoal(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Smudged tones in every grey, laid in strokes along the forms, breaking up on the
    paper's grain in the light areas, with dark accents on the main edges."""
    shape = _shape(rgb)
    gray = f.luminance(f.gaussian_blur(rgb, ctx.length(1.0)))
    tone = f.smoothstep(0.04, 0.96, gray)
    smudged = f.gaussian_blur(tone, ctx.length(2.5))
    darkness = f.smoothstep(0.0, 0.9, 1 - smudged) ** 0.9  # rich blacks, every grey
    weights = s.contour_weights(smudged, ctx, smooth=3.0)
    strokes = s.stroke_texture(weights, ctx, length=28, width=4, seed=31)
    grain = s.grain(ctx, shape, 2.5, 33)
    coverage = darkness * (0.82 + 0.16 * strokes.clamp(-2.5, 2.5))
    # Charcoal catches on the ridges: light strokes break up, dark areas fill in.
    coverage = coverage * (1 - 0.55 * grain * (1 - darkness))
    # Accents on the forms' edges, not on fur or grass: found on the smudged tones.
    lines = f.xdog_lines(smudged, ctx.length(2.0), tau=0.98, threshold=-0.006, sharpness=250)
    coverage = torch.maximum(coverage, 0.8 * lines.clamp(0, 1) * (0.7 + 0.3 * (1 - grain)))
    paper = s.paper(ctx, shape, CHARCOAL_PAPER, 0.07)
    stick = torch.tensor(CHARCOAL_STICK, device=ctx.device).view(1, 3, 1, 1)
    return f.mix(paper, stick, coverage.clamp(0, 0.96)).clamp(0, 1)


def charcoal_reach(ctx: TileContext) -> int:
    blur = f.gaussian_radius(ctx.length(1.0))
    smudge = f.gaussian_radius(ctx.length(2.5)) + s.contour_weights_reach(ctx, 3.0)
    strokes = smudge + s.stroke_texture_reach(ctx, 28)
    lines = f.gaussian_radius(ctx.length(2.5)) + f.gaussian_radius(ctx.length(2.0 * 1.6))
    return blur + max(strokes, lines) + 2
