"""Photographic looks: vintage film and neon glow."""

from __future__ import annotations

import torch

from sdstudio.engine.style import filters as f
from sdstudio.engine.style import strokes
from sdstudio.engine.style.context import TileContext


def _shape(x: torch.Tensor) -> tuple[int, int]:
    return x.shape[2], x.shape[3]


def vintage_grade(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Vintage film without its grain and vignette: the part a style network can learn."""
    soft = f.gaussian_blur(rgb, 0.7 * ctx.unit)
    faded = f.saturate(soft, 0.7)
    r, g, b = faded[:, 0:1], faded[:, 1:2], faded[:, 2:3]
    # Faded print: lifted, slightly blue-green blacks; warm, dimmed highlights.
    r = 0.07 + 0.9 * r**0.92
    g = 0.07 + 0.84 * g**0.98
    b = 0.12 + 0.66 * b**1.05
    film = torch.cat([r, g, b], 1)
    light = f.luminance(film)
    film = f.mix(film, f.smoothstep(0.0, 1.0, film), 0.35)  # gentle S-curve
    # Halation: bright areas bleed a red-orange glow into their surroundings.
    glow_source = (light - 0.65).clamp_min(0)
    glow = f.gaussian_blur(glow_source, 6.0 * ctx.unit)
    halo = torch.tensor([0.55, 0.22, 0.08], device=ctx.device).view(1, 3, 1, 1)
    return (film + glow * halo).clamp(0, 1)


def vintage_grade_reach(ctx: TileContext) -> int:
    return f.gaussian_radius(0.7 * ctx.unit) + f.gaussian_radius(6.0 * ctx.unit) + 1


def film_finish(film: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    """Film grain (strongest in the mid-tones) and a soft vignette.

    Both depend on the pixel's place in the whole image, which a convolutional network
    cannot know, so a network that learnt :func:`vintage_grade` gets them added after it.
    """
    shape = _shape(film)
    light = f.luminance(film)
    # Grain clumps a fixed share of the frame wide, as on film: in style pixels.
    grain = (strokes.grain(ctx, shape, strokes.FINEST, 41) - 0.5) * 0.8
    film = film + grain * (0.16 * (1.0 - (2 * light - 1) ** 2) + 0.04)
    ys, xs = f.pixel_grid(ctx.origin, shape, ctx.device)
    height, width = ctx.image_size
    dy = (ys.to(torch.float32) - (height - 1) / 2) / max(height / 2, 1)
    dx = (xs.to(torch.float32) - (width - 1) / 2) / max(width / 2, 1)
    vignette = 1 - 0.4 * f.smoothstep(0.35, 1.9, dy * dy + dx * dx)
    return (film * vignette).clamp(0, 1)


def film_finish_reach(ctx: TileContext) -> int:
    return 1  # per pixel: the grain is noise fixed to the whole image


def vintage_film(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    return film_finish(vintage_grade(rgb, ctx), ctx)


def vintage_film_reach(ctx: TileContext) -> int:
    return vintage_grade_reach(ctx) + film_finish_reach(ctx)


def neon_glow(rgb: torch.Tensor, ctx: TileContext) -> torch.Tensor:
    smooth = f.kuwahara(rgb, ctx.px(3), sharpness=8)
    smooth = f.gaussian_blur(smooth, 0.8 * ctx.unit)
    gx, gy = f.sobel(smooth.sum(1, keepdim=True) / 3)
    # Per style pixel, so a 24 MP photo (softer per-pixel edges) glows like a small one.
    magnitude = torch.sqrt(gx * gx + gy * gy) * ctx.unit
    edges = f.smoothstep(0.018, 0.06, magnitude)
    # Busy texture (grass, gravel) would light up everywhere: thin it where edges crowd.
    crowding = f.box_blur(edges, ctx.px(6))
    edges = edges * (0.18 / (crowding + 1e-3)).clamp(max=1.0)
    tube = f.saturate(smooth, 3.0)
    tube = tube / tube.amax(1, keepdim=True).clamp_min(0.05)
    # Grey tubes would look dead: lift them towards an electric blue.
    chroma = tube.amax(1, keepdim=True) - tube.amin(1, keepdim=True)
    blue = torch.tensor([0.25, 0.5, 1.0], device=ctx.device).view(1, 3, 1, 1)
    tube = f.mix(tube, blue, f.smoothstep(0.35, 0.05, chroma))
    neon = tube * edges
    glow = f.gaussian_blur(neon, 3.0 * ctx.unit) * 1.2
    glow = glow + f.gaussian_blur(neon, 10.0 * ctx.unit) * 0.8
    base = rgb * 0.06
    lit = 1 - (1 - base) * (1 - neon) * (1 - glow.clamp(0, 1))
    return (lit + edges * 0.2 * (1 - lit)).clamp(0, 1)


def neon_glow_reach(ctx: TileContext) -> int:
    smooth = 2 * ctx.px(3) + f.gaussian_radius(0.8 * ctx.unit) + 1
    return smooth + ctx.px(6) + f.gaussian_radius(10.0 * ctx.unit) + 2
