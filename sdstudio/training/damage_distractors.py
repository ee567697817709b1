"""What a damage detector must leave alone: aged prints, real thin things, scan noise.

A detector trained only on clean photos plus damage learns "thin and contrasty = damage"
and then marks every power line, twig and hair. So the *clean* side of each training
sample gets thin real structures too, rendered the way a camera records them: smooth
(catenary wires, tapering branches, flowing hair), anti-aliased, in colours taken from
the photo, and blurred by the same optics as the rest of the picture. Damage, drawn
later by :mod:`sdstudio.training.damage_render`, is sharp, extreme in brightness and
lies on top of the optics. Nothing here is ever part of a damage mask.

All functions take and return float32 RGB in 0..255 unless they say otherwise.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from sdstudio.training.damage_strokes import bezier, composite, draw_polyline

SEPIA = np.array([1.0, 0.80, 0.58], np.float32)


def age_print(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Maybe turn the photo into an old print: sepia or grey, faded, yellowed, vignetted."""
    kind = rng.choice(["colour", "faded", "sepia", "grey"], p=[0.45, 0.2, 0.25, 0.1])
    if kind == "colour":
        return image
    luminance = image @ np.array([0.299, 0.587, 0.114], np.float32)
    if kind == "sepia":
        tone = SEPIA * rng.uniform(0.95, 1.05, 3).astype(np.float32)
        image = luminance[..., None] * tone
    elif kind == "grey":
        image = np.repeat(luminance[..., None], 3, axis=2)
    else:  # faded colour: colours drift towards the luminance and towards yellow
        keep = rng.uniform(0.3, 0.8)
        image = image * keep + luminance[..., None] * (1 - keep)
        image = image * np.array([1.0, rng.uniform(0.9, 1.0), rng.uniform(0.7, 0.9)], np.float32)
    # Fading lifts the blacks and dulls the whites.
    black, white = rng.uniform(0, 60), rng.uniform(190, 255)
    image = black + image * ((white - black) / 255.0)
    if rng.random() < 0.5:
        height, width = image.shape[:2]
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        radius = ((yy / height - 0.5) ** 2 + (xx / width - 0.5) ** 2) * 2
        image = image * (1 - rng.uniform(0.1, 0.4) * radius)[..., None]
    return np.clip(image, 0, 255)


def optics_blur(rng: np.random.Generator, image: np.ndarray) -> tuple[np.ndarray, float]:
    """A little lens / print softness for the whole photo; returns the sigma used so thin
    structures drawn afterwards can be given the same softness."""
    sigma = float(rng.choice([0.0, rng.uniform(0.4, 1.3)], p=[0.4, 0.6]))
    if sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    return image, sigma


def _photo_colour(rng: np.random.Generator, image: np.ndarray, dark: bool) -> np.ndarray:
    """A colour of the photo's own darkest or brightest tones, as real objects have."""
    pixels = image.reshape(-1, 3)[rng.integers(0, image.shape[0] * image.shape[1], 256)]
    order = np.argsort(pixels.sum(1))
    picked = pixels[order[:16]] if dark else pixels[order[-16:]]
    return picked.mean(0)


def _power_lines(rng, coverage, height, width) -> None:
    """A few parallel catenaries across the picture, 1-2 px, like wires against the sky."""
    count = int(rng.integers(1, 5))
    horizontal = rng.random() < 0.8
    span = width if horizontal else height
    across = height if horizontal else width
    base = rng.uniform(0.05, 0.8) * across
    sag = rng.uniform(0.0, 0.12) * span
    tilt = rng.uniform(-0.15, 0.15) * span
    spacing = rng.uniform(4, 30)
    strength = rng.uniform(0.35, 0.9)
    thickness = int(rng.choice([1, 1, 2]))
    for index in range(count):
        offset = base + index * spacing
        t = np.linspace(-0.1, 1.1, 64)
        along = t * span
        level = offset + tilt * t + sag * (np.cosh((t - 0.5) * 2.2) - math.cosh(1.1)) * -1
        points = np.stack([along, level], 1) if horizontal else np.stack([level, along], 1)
        draw_polyline(coverage, points, strength=strength, thickness=thickness, antialiased=True)


def _branches(rng, coverage, height, width) -> None:
    """A tree-like structure that tapers as it forks, from an edge into the picture."""
    start = np.array([rng.uniform(0, width), height * rng.uniform(0.7, 1.1)])
    stack = [(start, -math.pi / 2 + rng.normal(0, 0.4), rng.uniform(0.15, 0.4) * height, 4.0)]
    strength = rng.uniform(0.5, 0.95)
    drawn = 0
    while stack and drawn < 40:
        origin, angle, length, thick = stack.pop()
        end = origin + length * np.array([math.cos(angle), math.sin(angle)])
        bend = origin + (end - origin) / 2 + rng.normal(0, length * 0.08, 2)
        points = bezier(origin, bend, end, count=12)
        draw_polyline(
            coverage, points, strength=strength, thickness=max(1, round(thick)), antialiased=True
        )
        drawn += 1
        if thick > 1.0 and length > 6:
            for _ in range(int(rng.integers(1, 4))):
                stack.append(
                    (end, angle + rng.normal(0, 0.6), length * rng.uniform(0.5, 0.8), thick * 0.7)
                )


def _hair(rng, coverage, height, width) -> None:
    """Flowing, nearly parallel strands of low contrast, as in hair or grass."""
    start = np.array([rng.uniform(0, width), rng.uniform(0, height)])
    angle = rng.uniform(0, 2 * math.pi)
    length = rng.uniform(0.15, 0.6) * max(height, width)
    direction = np.array([math.cos(angle), math.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    curl = rng.normal(0, 0.25) * length
    for _ in range(int(rng.integers(3, 15))):
        shift = normal * rng.normal(0, 10)
        p0 = start + shift
        p2 = p0 + direction * length * rng.uniform(0.6, 1.0)
        p1 = (p0 + p2) / 2 + normal * (curl + rng.normal(0, 0.05 * length))
        draw_polyline(
            coverage, bezier(p0, p1, p2, count=24), strength=rng.uniform(0.15, 0.55),
            thickness=1, antialiased=True,
        )  # fmt: skip


def _rims(rng, coverage, height, width) -> None:
    """Thin elliptical arcs: the lit rim of a cup, a wheel, a lens, a bowl."""
    for _ in range(int(rng.integers(1, 5))):
        centre = (int(rng.uniform(0, width) * 16), int(rng.uniform(0, height) * 16))
        axes = (int(rng.uniform(10, width) * 8), int(rng.uniform(10, height) * 8))
        start = rng.uniform(0, 360)
        canvas = np.zeros(coverage.shape, np.uint8)
        end = start + rng.uniform(60, 360)
        value, thickness = int(rng.uniform(120, 255)), int(rng.integers(1, 4))
        tilt = rng.uniform(0, 180)
        cv2.ellipse(canvas, centre, axes, tilt, start, end, value, thickness, cv2.LINE_AA, 4)
        np.maximum(coverage, canvas.astype(np.float32) / 255.0, out=coverage)


def _grid(rng, coverage, height, width) -> None:
    """Mortar between bricks, tile joints, window bars: regular lines in one or two
    directions, slightly irregular as real ones are."""
    angle = rng.uniform(0, math.pi)
    spacing = rng.uniform(10, 60)
    thickness = int(rng.integers(1, 4))
    strength = rng.uniform(0.3, 0.8)
    diagonal = math.hypot(height, width)
    for direction in (angle, angle + math.pi / 2)[: int(rng.integers(1, 3))]:
        along = np.array([math.cos(direction), math.sin(direction)])
        across = np.array([-along[1], along[0]])
        centre = np.array([width / 2, height / 2])
        for offset in np.arange(-diagonal / 2, diagonal / 2, spacing):
            base = centre + across * (offset + rng.normal(0, 1.0))
            points = np.stack([base - along * diagonal / 2, base + along * diagonal / 2])
            draw_polyline(coverage, points, strength=strength * rng.uniform(0.8, 1.0),
                          thickness=thickness, antialiased=True)  # fmt: skip


def _rods(rng, coverage, height, width) -> None:
    """Straight poles, masts, tripod legs, railings: long, 2-6 px, uniform."""
    for _ in range(int(rng.integers(1, 4))):
        start = np.array([rng.uniform(0, width), rng.uniform(0, height)])
        angle = rng.uniform(0, 2 * math.pi)
        end = start + rng.uniform(0.3, 1.5) * max(height, width) * np.array(
            [math.cos(angle), math.sin(angle)]
        )
        draw_polyline(coverage, np.stack([start, end]), strength=rng.uniform(0.5, 1.0),
                      thickness=int(rng.integers(2, 7)), antialiased=True)  # fmt: skip


def _glints(rng, coverage, height, width) -> None:
    """Sparkles of sun on water or chrome: clusters of small soft bright spots."""
    centre = np.array([rng.uniform(0, width), rng.uniform(0, height)])
    spread = rng.uniform(5, 0.4 * max(height, width))
    canvas = np.zeros(coverage.shape, np.uint8)
    for _ in range(int(rng.integers(5, 60))):
        x, y = centre + rng.normal(0, spread, 2)
        cv2.circle(
            canvas, (int(x), int(y)), int(rng.integers(0, 3)), int(rng.uniform(150, 255)), -1
        )
    np.maximum(coverage, canvas.astype(np.float32) / 255.0, out=coverage)


# Each real thin thing: how it is drawn, how often a picture has one, how often it is dark.
THIN_STRUCTURES = (
    (_power_lines, 0.3, 0.8),
    (_branches, 0.3, 0.85),
    (_hair, 0.3, 0.6),
    (_rims, 0.3, 0.25),
    (_grid, 0.2, 0.5),
    (_rods, 0.25, 0.65),
    (_glints, 0.2, 0.0),
)


def add_thin_structures(rng: np.random.Generator, image: np.ndarray, blur_sigma: float):
    """Draw a few kinds of real thin things into the photo, softened like the photo."""
    height, width = image.shape[:2]
    for draw, probability, dark_probability in THIN_STRUCTURES:
        if rng.random() >= probability:
            continue
        coverage = np.zeros((height, width), np.float32)
        draw(rng, coverage, height, width)
        # Never sharper than the photo itself, and never perfectly sharp.
        sigma = max(blur_sigma, rng.uniform(0.5, 1.0))
        coverage = cv2.GaussianBlur(coverage, (0, 0), sigma) * rng.uniform(1.0, 1.6)
        dark = rng.random() < dark_probability
        image = composite(image, np.clip(coverage, 0, 1), _photo_colour(rng, image, dark))
    return image


def scan_and_compress(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Scanner softness, sensor / film grain and JPEG, over everything (uint8 out)."""
    height, width = image.shape[:2]
    if rng.random() < 0.3:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.6))
    if rng.random() < 0.7:
        noise = rng.standard_normal((height, width, 1 if rng.random() < 0.5 else 3))
        noise = noise.astype(np.float32) * rng.uniform(1.0, 7.0)
        if rng.random() < 0.4:  # grain is clumpy, not per pixel
            noise = cv2.GaussianBlur(noise, (0, 0), 0.8).reshape(height, width, -1) * 1.8
        image = image + noise
    result = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        quality = int(rng.integers(45, 96))
        ok, encoded = cv2.imencode(".jpg", result[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            result = np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1])
    return result
