"""Paint presets: oil painting and watercolour.

Each effect takes an RGB tile ``(1, 3, H, W)`` in 0..1 and returns the styled tile; its
``*_reach`` companion says how many pixels of context it needs on every side. Sizes are
in style pixels (``strokes.py``), so a preset looks the same on any photo size.
"""

from __future__ import annotations

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style import strokes as s
from sdstudio.engine.style.context import TileContext


def _shape(rgb: torch.Tensor) -> tuple[int, int]:
    return rgb.shape[2], rgb.shape[3]


# -- oil painting ---------------------------------------------------------------------------


def oil_painting(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Flat colour patches laid in strokes along the contours, with impasto and canvas."""
    paint = f.kuwahara(rgb, ctx.px(10), sharpness=8)
    paint = f.kuwahara(paint, ctx.px(5), sharpness=8)
    paint = f.saturate(paint, 1.35)
    # Painters simplify tones into a few values; it reads as paint even at a glance.
    light = f.luminance(paint)
    valued = f.soft_quantise(light, 9, 0.45)
    paint = f.mix(paint, paint * ((valued + 0.03) / (light + 0.03)), 0.6).clamp(0, 1)
    weights = s.contour_weights(f.luminance(paint), ctx, smooth=3.0)
    # Each stroke carries a slightly different mix of paint, dragged along the form.
    marks = s.stroke_texture(weights, ctx, length=16, width=3, seed=1)
    loaded = paint * (1 + 0.12 * marks.clamp(-2.5, 2.5))
    paint = s.smear(loaded, weights, ctx, length=12)
    # Impasto: the strokes' ridges catch the light from the top left.
    ridges = s.stroke_texture(weights, ctx, length=12, width=2, seed=2)
    shade = s.relief_shade(ridges, ctx, soften=0.8).clamp(-1.5, 1.5)
    paint = paint * (1 + 0.11 * shade) + 0.035 * shade.clamp_min(0)
    # Canvas weave shows through where the paint is thin (light, flat areas).
    weave = s.canvas_weave(ctx, _shape(rgb), period=5)
    paint = paint * (1 + 0.035 * weave)
    return paint.clamp(0, 1)


def oil_painting_reach(ctx: TileContext) -> int:
    patches = ctx.px(10) + ctx.px(5)
    direction = s.contour_weights_reach(ctx, 3.0)
    strokes = s.stroke_texture_reach(ctx, 16) + s.smear_reach(ctx, 12)
    relief = s.stroke_texture_reach(ctx, 12) + s.relief_shade_reach(ctx, 0.8)
    return patches + direction + max(strokes, relief) + 4


# -- watercolour ----------------------------------------------------------------------------


def watercolour(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Loose transparent washes on white paper: hard dark rims, granulation, bleeding,
    over a light pencil underdrawing."""
    shape = _shape(rgb)
    base = f.kuwahara(rgb, ctx.px(6), sharpness=6)
    base = f.kuwahara(base, ctx.px(3), sharpness=6)
    # Wet-in-wet: in places neighbouring colours run into each other.
    wetness = f.fractal_noise(ctx.origin, shape, ctx.length(120), ctx.seed + 1, ctx.device, 2)
    bled = f.gaussian_blur(base, ctx.length(4.0))
    base = f.mix(base, bled, f.smoothstep(0.45, 0.8, wetness))
    base = f.saturate(base, 1.3)
    # A brush never follows a contour exactly: the washes' edges wander.
    base = f.wobble(base, ctx.origin, ctx.length(18), ctx.length(3.0), ctx.seed + 9)
    # Laid in a few transparent layers: flat tones, lighter than the photo, and the
    # lightest areas are left as bare paper.
    light = f.luminance(base)
    tone = f.soft_quantise(light, 6, 0.35)
    wash = (base * ((tone + 0.03) / (light + 0.03))).clamp(0, 1)
    wash = 1 - (1 - wash) * 0.75
    paper_white = f.smoothstep(0.8, 0.92, f.luminance(wash))
    wash = f.mix(wash, torch.ones_like(wash), paper_white)
    # Pigment pools at the edge of each wash and dries darker there (the hard rim).
    soft = f.gaussian_blur(wash, ctx.length(3.0))
    rim = (f.luminance(soft) - f.luminance(wash)).clamp_min(0)
    rim = f.gaussian_blur(rim, ctx.length(0.8))
    # Granulation where the pigment is thick; a blotchy, uneven density overall.
    thickness = 1 - f.luminance(wash)
    blotches = f.fractal_noise(ctx.origin, shape, ctx.length(40), ctx.seed + 3, ctx.device)
    grains = s.grain(ctx, shape, 3.0, 5)
    density = 1 + 0.45 * (blotches - 0.5) + 0.8 * thickness * (grains - 0.5) + 10.0 * rim
    painted = 1 - (1 - wash) * density.clamp_min(0)
    # The underdrawing: thin graphite lines along the main edges, under the paint.
    sketch = f.xdog_lines(f.luminance(rgb), ctx.length(1.2), tau=0.98, threshold=-0.004)
    painted = painted * (1 - 0.3 * sketch.clamp(0, 1))
    sheet = s.paper(ctx, shape, (1.0, 0.99, 0.96), 0.07)
    return (painted * sheet).clamp(0, 1)


def watercolour_reach(ctx: TileContext) -> int:
    washes = (
        ctx.px(6)
        + ctx.px(3)
        + f.gaussian_radius(ctx.length(4.0))
        + int(ctx.length(3.0))
        + 2
        + f.gaussian_radius(ctx.length(3.0))
        + f.gaussian_radius(ctx.length(0.8))
    )
    return max(washes, f.gaussian_radius(ctx.length(1.2 * 1.6))) + 2
