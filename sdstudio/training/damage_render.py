"""Render realistic damage onto a photo, with the exact mask of what it changed.

Training data for the damage detector (``engine.damage``) and the damage benchmark.
One sample is built in three stages:

1. the *clean* picture: the photo, perhaps aged into a faded or sepia print, softened by
   its optics, with real thin structures (wires, branches, hair) drawn in the photo's
   style (:mod:`sdstudio.training.damage_distractors`) — never labelled;
2. the *damage*: thin light and dark scratches (straight and curved, sometimes broken),
   dust specks and fibres, branching cracks, creases and folds, tinted water stains
   and torn corners, each composited over the clean picture through a coverage map;
3. the *scan*: scanner softness, grain and JPEG over everything.

The mask marks exactly the pixels where stage 2 changed the picture visibly (by more
than :data:`VISIBLE_CHANGE` levels in some channel); a bright scratch over a white sky
changes nothing and is not marked. Stage 3 is not damage the user would repair.

Sizes scale with the picture (``unit`` = short side / 256), so a 160 px training crop
and a 768 px benchmark photo get alike-looking damage. numpy + cv2 only (no torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from sdstudio.training.damage_distractors import (
    add_thin_structures,
    age_print,
    optics_blur,
    scan_and_compress,
)
from sdstudio.training.damage_strokes import (
    composite,
    draw_polyline,
    draw_varying_line,
    gentle_curve,
    random_walk,
    smooth_field,
)

VISIBLE_CHANGE = 12.0  # levels of 255: less than this is not visible damage
PAPER_COLOURS = ((245, 240, 225), (230, 222, 200), (250, 250, 248), (40, 36, 32))


@dataclass
class DamageSample:
    clean: np.ndarray  # uint8 (H, W, 3): aged photo with its real thin structures
    marked: np.ndarray  # uint8 (H, W, 3): clean + damage, before scan noise and JPEG
    damaged: np.ndarray  # uint8 (H, W, 3): what the detector sees
    mask: np.ndarray  # uint8 (H, W), 255 where the damage visibly changed the picture


def _unit(height: int, width: int) -> float:
    return min(height, width) / 256.0


def _reach(height: int, width: int, unit: float) -> float:
    """How far long damage runs: the picture's long side, or for a crop of a bigger photo
    (``unit`` given by the caller) the photo's short side, whichever is longer."""
    return max(height, width, 256.0 * unit)


def _extreme(rng: np.random.Generator, bright: bool) -> np.ndarray:
    """Scratches expose paper or bare film: near white or near black, barely tinted."""
    level = rng.uniform(225, 255) if bright else rng.uniform(0, 35)
    return np.clip(level + rng.normal(0, 6, 3), 0, 255).astype(np.float32)


def _scratches(rng, image, unit):
    height, width = image.shape[:2]
    direction = rng.uniform(0, math.pi)
    for bright in (True, False):
        if rng.random() < 0.35:
            continue
        coverage = np.zeros((height, width), np.float32)
        for _ in range(int(rng.integers(1, 7))):
            angle = direction + rng.normal(0, 0.25) if rng.random() < 0.7 else rng.uniform(0, 7)
            length = rng.uniform(0.25, 1.3) * _reach(height, width, unit)
            start = (rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1, 1.1) * height)
            bend = rng.choice([0.0, rng.uniform(0.0, 0.02), rng.uniform(0.02, 0.15)])
            points = gentle_curve(rng, start, angle, length, bend)
            draw_varying_line(
                rng, coverage, points, strength=rng.uniform(0.55, 1.0),
                thickness=int(np.clip(rng.uniform(0.5, 2.2) * max(unit, 1.0), 1, 4)),
                antialiased=rng.random() < 0.5, broken=rng.random() < 0.4,
            )  # fmt: skip
        image = composite(image, coverage, _extreme(rng, bright))
    return image


def _dust(rng, image, unit):
    height, width = image.shape[:2]
    area = height * width / 65536.0
    for bright in (True, False):
        if rng.random() < 0.4:
            continue
        canvas = np.zeros((height, width), np.uint8)
        for _ in range(int(rng.integers(2, 25) * area)):
            centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            axes = tuple(int(max(0, rng.exponential(0.9) * unit)) for _ in range(2))
            value = int(rng.uniform(150, 255))
            cv2.ellipse(canvas, centre, axes, rng.uniform(0, 180), 0, 360, value, -1)
        coverage = canvas.astype(np.float32) / 255.0
        for _ in range(int(rng.integers(0, 4) * area)):  # fibres: short curly hairs of dust
            start = (rng.uniform(0, width), rng.uniform(0, height))
            points, _ = random_walk(rng, start, rng.uniform(0, 7), 8, 2.5 * unit, 0.5)
            draw_polyline(coverage, points, strength=rng.uniform(0.6, 1), thickness=1,
                          antialiased=False)  # fmt: skip
        image = composite(image, coverage, _extreme(rng, bright))
    return image


def _cracks(rng, image, unit):
    height, width = image.shape[:2]
    coverage = np.zeros((height, width), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        stack = [((rng.uniform(0, width), rng.uniform(0, height)), rng.uniform(0, 7), 0)]
        drawn = 0
        while stack and drawn < 14:
            start, angle, depth = stack.pop()
            steps = int(rng.integers(6, 22))
            points, end_angle = random_walk(rng, start, angle, steps, 4.0 * unit, 0.45)
            thickness = 2 if depth == 0 and rng.random() < 0.4 else 1
            draw_polyline(coverage, points, strength=rng.uniform(0.6, 1.0),
                          thickness=thickness, antialiased=False)  # fmt: skip
            drawn += 1
            if depth < 3:
                for _ in range(int(rng.integers(0, 3))):
                    branch_at = points[int(rng.integers(1, len(points)))]
                    stack.append((branch_at, end_angle + rng.normal(0, 0.9), depth + 1))
    bright = rng.random() < 0.3
    return composite(image, coverage, _extreme(rng, bright))


def _crease(rng, image, unit):
    """A fold: a bright broken ridge with a dark shadow line beside it."""
    height, width = image.shape[:2]
    start = (rng.uniform(0, width), rng.uniform(0, height))
    length = rng.uniform(0.5, 1.5) * _reach(height, width, unit)
    points = gentle_curve(rng, start, rng.uniform(0, 7), length, rng.uniform(0, 0.05))
    offset = np.array([rng.uniform(1, 2.5), rng.uniform(1, 2.5)]) * max(unit, 1)
    ridge = np.zeros((height, width), np.float32)
    shadow = np.zeros((height, width), np.float32)
    thickness = int(np.clip(rng.uniform(1, 3) * unit, 1, 4))
    draw_varying_line(rng, ridge, points, strength=rng.uniform(0.5, 0.9), thickness=thickness,
                      antialiased=True, broken=rng.random() < 0.5)  # fmt: skip
    draw_varying_line(rng, shadow, points + offset, strength=rng.uniform(0.3, 0.7),
                      thickness=thickness, antialiased=True, broken=False)  # fmt: skip
    image = composite(image, shadow, _extreme(rng, bright=False))
    return composite(image, ridge, _extreme(rng, bright=True))


def _water_stain(rng, image, unit):
    """A tinted blotch with a darker tide line at its edge."""
    height, width = image.shape[:2]
    size = rng.uniform(0.08, 0.3)
    centre = np.array([rng.uniform(0, width), rng.uniform(0, height)])
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    radius = size * _reach(height, width, unit) / 2
    distance = np.hypot(xx - centre[0], yy - centre[1]) / radius
    distance += 0.35 * smooth_field(rng, height, width, cells=int(rng.integers(3, 7)))
    inside = np.clip((1.0 - distance) * 12.0, 0, 1)
    rim = np.exp(-(((distance - 1.0) / 0.05) ** 2))
    tint = np.array([rng.uniform(120, 200), rng.uniform(90, 150), rng.uniform(40, 90)], np.float32)
    image = composite(image, inside * rng.uniform(0.2, 0.5), tint)
    return composite(image, rim * rng.uniform(0.3, 0.7), tint * 0.6)


def _torn_corner(rng, image, unit):
    """A corner (or an edge bite) torn away: a jagged region of bare paper or backing."""
    height, width = image.shape[:2]
    corner_x, corner_y = rng.choice([0, width]), rng.choice([0, height])
    reach = rng.uniform(0.08, 0.3) * min(height, width, 256.0 * unit)
    angle_a = math.atan2(height / 2 - corner_y, 0)
    angle_b = math.atan2(0, width / 2 - corner_x)
    end_a = (corner_x, corner_y + math.sin(angle_a) * reach * rng.uniform(0.6, 1.4))
    end_b = (corner_x + math.cos(angle_b) * reach * rng.uniform(0.6, 1.4), corner_y)
    t = np.linspace(0, 1, 40)[:, None]
    edge = (1 - t) * np.array(end_a) + t * np.array(end_b)
    edge += rng.normal(0, 1.5 * max(unit, 1), edge.shape) + rng.normal(0, reach * 0.05, (1, 2))
    polygon = np.vstack([[corner_x, corner_y], edge]).astype(np.int32)
    canvas = np.zeros((height, width), np.uint8)
    cv2.fillPoly(canvas, [polygon], 255)
    colour = np.array(PAPER_COLOURS[int(rng.integers(0, len(PAPER_COLOURS)))], np.float32)
    return composite(image, canvas.astype(np.float32) / 255.0, colour)


DAMAGE_KINDS = {
    "scratches": (_scratches, 0.75),
    "dust": (_dust, 0.6),
    "cracks": (_cracks, 0.3),
    "crease": (_crease, 0.2),
    "water_stain": (_water_stain, 0.1),
    "torn_corner": (_torn_corner, 0.08),
}


def render_damage_sample(
    rng: np.random.Generator,
    photo: np.ndarray,
    *,
    damage_probability: float = 0.9,
    distractors: bool = True,
    kinds: tuple[str, ...] | None = None,
    unit: float | None = None,
    kind_probabilities: dict[str, float] | None = None,
) -> DamageSample:
    """One training / benchmark sample from a uint8 RGB ``photo`` (see module docstring).

    ``damage_probability`` is the chance that any damage is drawn at all (clean samples
    teach the detector to stay quiet); ``kinds`` limits the damage to some of
    :data:`DAMAGE_KINDS` (all by default). ``unit`` sizes the damage (line widths,
    speck sizes, lengths): by default the photo's short side / 256; a training crop of a
    bigger photo passes the whole photo's, so crops get the damage the photo would.
    ``kind_probabilities`` overrides how often each kind appears (training shows the
    rarer large kinds more often than the benchmark's photos have them).
    """
    if photo.ndim != 3 or photo.shape[2] < 3:
        raise ValueError(f"expected an (H, W, 3) RGB photo, got shape {photo.shape}")
    image = photo[..., :3].astype(np.float32)
    image = age_print(rng, image)
    image, blur_sigma = optics_blur(rng, image)
    if distractors:
        image = add_thin_structures(rng, image, blur_sigma)
    clean = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    image = clean.astype(np.float32)
    unit = _unit(*image.shape[:2]) if unit is None else float(unit)
    if rng.random() < damage_probability:
        chances = {name: chance for name, (_, chance) in DAMAGE_KINDS.items()}
        chances.update(kind_probabilities or {})
        chosen = [name for name in (kinds or DAMAGE_KINDS) if rng.random() < chances[name]]
        if not chosen:
            chosen = [kinds[0] if kinds else "scratches"]
        for name in chosen:
            image = DAMAGE_KINDS[name][0](rng, image, unit)
    marked = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    change = np.abs(marked.astype(np.int16) - clean.astype(np.int16)).max(axis=2)
    mask = np.where(change > VISIBLE_CHANGE, 255, 0).astype(np.uint8)
    damaged = scan_and_compress(rng, marked.astype(np.float32))
    return DamageSample(clean=clean, marked=marked, damaged=damaged, mask=mask)


def render_damage(
    rng: np.random.Generator, photo_uint8: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(damaged uint8 (H, W, 3), mask uint8 (H, W) 0/255)`` for one photo."""
    sample = render_damage_sample(rng, photo_uint8)
    return sample.damaged, sample.mask
