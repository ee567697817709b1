"""Image filters the style presets are built from, as torch operations on ``(1, C, H, W)``.

Everything here is local: a pixel depends only on pixels within a known radius, or (for the
noise textures) on its position in the whole image, so an image styled tile by tile with
enough overlap is identical to one styled in one piece.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

LUMA = (0.299, 0.587, 0.114)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    r, g, b = rgb[:, 0:1], rgb[:, 1:2], rgb[:, 2:3]
    return LUMA[0] * r + LUMA[1] * g + LUMA[2] * b


def _window(x: torch.Tensor, size: int, dim: int, combine=torch.add) -> torch.Tensor:
    """``out[i] = x[i] (+) ... (+) x[i + size - 1]`` along ``dim`` (shorter by size - 1).

    Windows of 1, 2, 4, 8... are built by doubling and combined by the bits of ``size``:
    about 2 log2(size) whole-tile operations, far cheaper on a CPU than a convolution
    or a cumulative sum, and without the rounding drift of long prefix sums.
    """
    length = x.shape[dim] - size + 1
    result = None
    offset = 0
    power, step = x, 1
    while True:
        if size & step:
            part = power.narrow(dim, offset, length)
            result = part if result is None else combine(result, part)
            offset += step
        if step * 2 > size:
            return result
        shorter = power.shape[dim] - step
        power = combine(power.narrow(dim, 0, shorter), power.narrow(dim, step, shorter))
        step *= 2


def box_sum_anchored(x: torch.Tensor, size: int) -> torch.Tensor:
    """Mean of the ``size`` x ``size`` box whose top-left corner is each pixel (edge-padded)."""
    if size <= 1:
        return x
    padded = F.pad(x, (0, size - 1, 0, size - 1), mode="replicate")
    return _window(_window(padded, size, 3), size, 2) / (size * size)


def box_blur(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean over the centred ``(2r+1)`` square."""
    if radius <= 0:
        return x
    size = 2 * radius + 1
    padded = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    return _window(_window(padded, size, 3), size, 2) / (size * size)


def _box_radius(sigma: float) -> int:
    # Three boxes of width w = 2r + 1 give variance 3 * (w^2 - 1) / 12 ~ sigma^2.
    return max(1, round((math.sqrt(4 * sigma * sigma + 1) - 1) / 2))


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian: a few weighted taps when narrow, else three box passes."""
    if sigma < 0.3:
        return x
    height, width = x.shape[2], x.shape[3]
    if sigma < 1.2:
        radius = max(1, math.ceil(2.5 * sigma))
        taps = [math.exp(-(k * k) / (2 * sigma * sigma)) for k in range(-radius, radius + 1)]
        taps = [tap / sum(taps) for tap in taps]
        padded = F.pad(x, (radius, radius, radius, radius), mode="replicate")
        rows = sum(tap * padded[:, :, :, k : k + width] for k, tap in enumerate(taps))
        return sum(tap * rows[:, :, k : k + height, :] for k, tap in enumerate(taps))
    radius = _box_radius(sigma)
    size = 2 * radius + 1
    out = F.pad(x, (3 * radius,) * 4, mode="replicate")
    for dim in (3, 2):
        for _ in range(3):
            out = _window(out, size, dim)
    return out / float(size**6)


def gaussian_radius(sigma: float) -> int:
    """How far :func:`gaussian_blur` reaches (for tile overlap)."""
    if sigma < 0.3:
        return 0
    if sigma < 1.2:
        return max(1, math.ceil(2.5 * sigma))
    return 3 * _box_radius(sigma)


def sobel(gray: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Horizontal and vertical derivatives (Sobel, scaled by 1/8) of a one-channel image.

    Written as shifted differences: a 3x3 convolution on one channel is slower on CPUs.
    """
    p = F.pad(gray, (1, 1, 1, 1), mode="replicate")
    dx = p[:, :, :, 2:] - p[:, :, :, :-2]
    dy = p[:, :, 2:, :] - p[:, :, :-2, :]
    gx = (dx[:, :, :-2] + 2 * dx[:, :, 1:-1] + dx[:, :, 2:]) / 8.0
    gy = (dy[:, :, :, :-2] + 2 * dy[:, :, :, 1:-1] + dy[:, :, :, 2:]) / 8.0
    return gx, gy


def kuwahara(rgb: torch.Tensor, radius: int, sharpness: float = 8.0) -> torch.Tensor:
    """Smooth Kuwahara filter: each pixel takes the colour of its calmest quadrant.

    The four ``(r+1)``-square quadrants are weighted by ``1 / (1 + (k * std) ** q)`` of
    their brightness instead of a hard arg-min, which keeps the painterly flat patches
    without blocky artefacts.
    """
    if radius <= 0:
        return rgb
    size = radius + 1
    padded = F.pad(rgb, (radius, radius, radius, radius), mode="replicate")
    light = luminance(padded)
    box = box_sum_anchored(torch.cat([padded, light, light * light], 1), size)
    height, width = rgb.shape[2], rgb.shape[3]
    total = weight_sum = None
    for dy, dx in ((0, 0), (0, radius), (radius, 0), (radius, radius)):
        part = box[:, :, dy : dy + height, dx : dx + width]
        mean_light = part[:, 3:4]
        variance = (part[:, 4:5] - mean_light * mean_light).clamp_min(0)
        weight = 1.0 / (1.0 + _power(variance * 1000.0, sharpness / 2))
        weighted = part[:, :3] * weight
        total = weighted if total is None else total + weighted
        weight_sum = weight if weight_sum is None else weight_sum + weight
    return total / weight_sum


def _power(x: torch.Tensor, exponent: float) -> torch.Tensor:
    """``x ** exponent``; small whole exponents by multiplication, several times faster
    than ``pow`` on a CPU (the Kuwahara weights are most of a painting preset's time)."""
    if exponent == int(exponent) and 1 <= exponent <= 6:
        result = x
        for _ in range(int(exponent) - 1):
            result = result * x
        return result
    return x**exponent


def soft_quantise(x: torch.Tensor, levels: int, softness: float = 0.25) -> torch.Tensor:
    """Round to ``levels`` steps with smooth ramps between them (no jagged contours)."""
    scaled = x.clamp(0, 1) * (levels - 1)
    base = torch.floor(scaled)
    frac = scaled - base
    ramp = torch.clamp((frac - 0.5) / max(softness, 1e-3) + 0.5, 0, 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    return (base + ramp) / (levels - 1)


def saturate(rgb: torch.Tensor, amount: float) -> torch.Tensor:
    gray = luminance(rgb)
    return (gray + (rgb - gray) * amount).clamp(0, 1)


def _hash01(ix: torch.Tensor, iy: torch.Tensor, seed: int) -> torch.Tensor:
    """A stateless integer hash of lattice coordinates to [0, 1) (same value in every tile)."""
    mask = 0xFFFFFFFF
    h = (ix * 374761393 + iy * 668265263 + (seed * 2654435761 & mask)) & mask
    h = ((h ^ (h >> 13)) * 1274126177) & mask
    h = h ^ (h >> 16)
    return (h & 0xFFFFFF).to(torch.float32) / float(1 << 24)


def pixel_grid(
    origin: tuple[int, int], shape: tuple[int, int], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Whole-image row and column index of every pixel in a tile, as int64 ``(1, 1, H, W)``."""
    top, left = origin
    height, width = shape
    ys = torch.arange(top, top + height, device=device, dtype=torch.int64).view(1, 1, -1, 1)
    xs = torch.arange(left, left + width, device=device, dtype=torch.int64).view(1, 1, 1, -1)
    return ys.expand(1, 1, height, width), xs.expand(1, 1, height, width)


def white_noise(
    origin: tuple[int, int], shape: tuple[int, int], seed: int, device: torch.device
) -> torch.Tensor:
    """Uniform noise in [0, 1), one value per whole-image pixel."""
    ys, xs = pixel_grid(origin, shape, device)
    return _hash01(xs, ys, seed)


def _lattice_axis(start: int, length: int, cell: float, device: torch.device):
    """Per pixel along one axis: lattice index (from the first) and smooth weight.

    Worked out on the CPU in float64 (1-D, cheap; MPS has no float64) and then moved.
    """
    positions = torch.arange(start, start + length, dtype=torch.float64) / cell
    base = torch.floor(positions)
    t = (positions - base).to(torch.float32)
    first = int(base[0].item())
    index = (base - first).to(torch.int64)
    return index.to(device), (t * t * (3 - 2 * t)).to(device), first, int(index[-1].item()) + 2


def value_noise(
    origin: tuple[int, int],
    shape: tuple[int, int],
    cell: float,
    seed: int,
    device: torch.device,
) -> torch.Tensor:
    """Smooth noise in [0, 1) with features about ``cell`` pixels wide.

    Random values sit on a lattice fixed to whole-image coordinates and are interpolated
    separably, so only the few lattice points are hashed (cheap) and tiles agree.
    """
    height, width = shape
    row_index, row_t, first_row, rows = _lattice_axis(origin[0], height, cell, device)
    col_index, col_t, first_col, cols = _lattice_axis(origin[1], width, cell, device)
    lattice_y = torch.arange(first_row, first_row + rows, device=device).view(-1, 1)
    lattice_x = torch.arange(first_col, first_col + cols, device=device).view(1, -1)
    lattice = _hash01(lattice_x.expand(rows, cols), lattice_y.expand(rows, cols), seed)
    across = lattice[:, col_index] * (1 - col_t) + lattice[:, col_index + 1] * col_t
    row_t = row_t.view(-1, 1)
    noise = across[row_index] * (1 - row_t) + across[row_index + 1] * row_t
    return noise.view(1, 1, height, width)


def fractal_noise(
    origin: tuple[int, int],
    shape: tuple[int, int],
    cell: float,
    seed: int,
    device: torch.device,
    octaves: int = 3,
) -> torch.Tensor:
    """Sum of value-noise octaves, normalised to about [0, 1]."""
    total = torch.zeros(1, 1, *shape, device=device)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        octave_cell = cell / 2**octave
        total += amplitude * value_noise(origin, shape, octave_cell, seed + 17 * octave, device)
        norm += amplitude
        amplitude *= 0.5
    return total / norm


# Unit steps along 0, 45, 90 and 135 degrees (counter-clockwise; image rows grow downwards).
_STREAK_STEPS = ((0, 1), (-1, 1), (1, 0), (1, 1))


def streak_span(length: int) -> int:
    """The power-of-two stroke length :func:`streak_noise` uses for ``length``."""
    return 2 ** max(1, round(math.log2(max(length, 2))))


def streak_reach(length: int) -> int:
    return streak_span(length) // 2 + 1


def streak_noise(noise: torch.Tensor, length: int) -> list[torch.Tensor]:
    """Noise averaged along 0, 45, 90 and 135 degree lines: pencil or brush strokes.

    Doubling shift-and-add makes a line of ``streak_span(length)`` pixels in log2 steps,
    far cheaper than a convolution with a line kernel. Callers pick per pixel by the local
    edge direction (:func:`orientation_weights`).
    """
    span = streak_span(length)
    height, width = noise.shape[2], noise.shape[3]
    padded = F.pad(noise, (span, span, span, span), mode="replicate")
    streaks = []
    for dy, dx in _STREAK_STEPS:
        total, row, col = _line_sums(padded, dy, dx, span)
        # total[i, j] sums padded[p + k * step] for k < span at p = (i + row, j + col);
        # centre the line on each pixel.
        top = span - (span // 2) * dy - row
        left = span - (span // 2) * dx - col
        streaks.append(total[:, :, top : top + height, left : left + width] / span)
    return streaks


def _line_sums(x: torch.Tensor, dy: int, dx: int, span: int) -> tuple[torch.Tensor, int, int]:
    """Sums of ``span`` pixels along ``(dy, dx)`` by doubling, where all of them exist.

    Returns the sums and the (row, column) of ``x`` its first element belongs to. Each
    step adds two overlapping slices (no wrap-around copy as ``torch.roll`` makes), so
    the array shrinks a little instead of being copied whole.
    """
    total, shift, row, col = x, 1, 0, 0
    while shift < span:
        oy, ox = dy * shift, dx * shift
        height, width = total.shape[2], total.shape[3]
        first = total[:, :, max(0, -oy) : height - max(0, oy), max(0, -ox) : width - max(0, ox)]
        second = total[:, :, max(0, oy) : height - max(0, -oy), max(0, ox) : width - max(0, -ox)]
        total = first + second
        row, col = row + max(0, -oy), col + max(0, -ox)
        shift *= 2
    return total, row, col


def orientation_weights(gray: torch.Tensor, smooth: float = 2.0) -> list[torch.Tensor]:
    """Soft per-pixel weights for the four :func:`streak_noise` directions.

    From the smoothed structure tensor, so strokes run along contours, not across them;
    where there is no clear direction all four mix evenly.
    """
    gx, gy = sobel(gray)
    jxx = gaussian_blur(gx * gx, smooth)
    jyy = gaussian_blur(gy * gy, smooth)
    jxy = gaussian_blur(gx * gy, smooth)
    total = jxx + jyy + 1e-6
    # coherence * (cos, sin) of twice the gradient angle: no atan2/cos needed. The edge
    # tangent is the gradient turned 90 degrees, and image rows grow downwards, so
    # coherence * cos(2 * (tangent - a)) for a = 0, 45, 90, 135 degrees is:
    c = (jxx - jyy) / total
    s = 2 * jxy / total
    coherence = torch.sqrt(c * c + s * s).clamp(max=1.0)
    spread = (1 - coherence) / 4
    weights = [term.clamp_min(0) ** 2 / (coherence + 1e-6) + spread for term in (-c, s, c, -s)]
    norm = weights[0] + weights[1] + weights[2] + weights[3]
    return [w / norm for w in weights]


def mix(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor | float) -> torch.Tensor:
    return a + (b - a) * t


def smoothstep(edge0: float, edge1: float, x: torch.Tensor) -> torch.Tensor:
    t = ((x - edge0) / (edge1 - edge0)).clamp(0, 1)
    return t * t * (3 - 2 * t)


def dilate(x: torch.Tensor, radius: int) -> torch.Tensor:
    """Maximum over the centred ``(2r+1)`` square."""
    if radius <= 0:
        return x
    size = 2 * radius + 1
    padded = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    return _window(_window(padded, size, 3, torch.maximum), size, 2, torch.maximum)


def xdog_lines(
    gray: torch.Tensor,
    sigma: float,
    k: float = 1.6,
    tau: float = 0.98,
    threshold: float = -0.004,
    sharpness: float = 400.0,
) -> torch.Tensor:
    """Extended difference of Gaussians: 1 on ink lines, 0 elsewhere (Winnemoeller 2012)."""
    fine = gaussian_blur(gray, sigma)
    coarse = gaussian_blur(gray, sigma * k)
    dog = fine - tau * coarse
    return 1.0 - torch.where(
        dog >= threshold, torch.ones_like(dog), 1.0 + torch.tanh(sharpness * (dog - threshold))
    )


def wobble(
    x: torch.Tensor, origin: tuple[int, int], cell: float, amplitude: float, seed: int
) -> torch.Tensor:
    """Displace the image by smooth noise up to ``amplitude`` pixels: hand-drawn edges."""
    height, width = x.shape[2], x.shape[3]
    shape = (height, width)
    dy = (value_noise(origin, shape, cell, seed, x.device) - 0.5) * (2 * amplitude)
    dx = (value_noise(origin, shape, cell, seed + 1, x.device) - 0.5) * (2 * amplitude)
    ys = torch.arange(height, device=x.device, dtype=x.dtype).view(1, 1, -1, 1)
    xs = torch.arange(width, device=x.device, dtype=x.dtype).view(1, 1, 1, -1)
    grid_y = (ys + dy) * (2.0 / max(height - 1, 1)) - 1.0
    grid_x = (xs + dx) * (2.0 / max(width - 1, 1)) - 1.0
    grid = torch.cat([grid_x, grid_y], 1).permute(0, 2, 3, 1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
