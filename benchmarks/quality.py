"""Quality of every shipped model against the classical methods, on the validation photos.

    .venv/bin/python benchmarks/quality.py            # 25 val photos, ~10-20 min on 2 cores
    .venv/bin/python benchmarks/quality.py --quick    # 4 photos, no speed section

Setup (fixed, so two runs compare):
- Photos: ``../shared/photos/val`` (``--val``), each downscaled (area) so its long side is
  at most ``--size`` (768) pixels, sides cropped to a multiple of 4. Never trained on.
- Repair: three seeded masks per photo (seed = photo index): ``scratches`` (6 thin curved
  lines, 2-4 px wide), ``blobs`` (5 filled ellipses, about 3 % of the image in all) and
  ``box`` (one rectangle a quarter of each side). Every method runs through the real
  Repair job (``runner.run_job``), so the app's edge blending is included. PSNR and SSIM
  are measured **inside the mask only**: PSNR over the RGB values of the hole pixels, SSIM
  as the mean of the luminance SSIM map (7x7 Gaussian window, sigma 1.5) over the hole
  pixels. Baseline: OpenCV Telea; Navier-Stokes (and PatchMatch when installed) beside it.
- Enhance: ``x2`` and ``x4`` are clean downscales (antialiased bicubic, PIL); ``x2
  degraded`` is Gaussian blur (sigma 1.0 at full size), bicubic x2 downscale, Gaussian
  noise (sigma 5/255, seeded) and a JPEG save at quality 75. Models run through the real
  Enhance job at their own scale. PSNR over RGB and SSIM on luminance, over the whole
  image minus a border of ``scale`` pixels. Baseline: bicubic (OpenCV); Lanczos beside it.
- Delta: the method's mean minus the baseline's mean on the same photos and cases.
- Enhance detail: mean absolute Laplacian of the output's luminance over the original's
  (same interior): 1.00 is as crisp as the photo, blur scores below, invented texture or
  noise above. It says what PSNR does not: whether the adversarial "detail" variant is
  crisper than the fidelity-first default.

- Style: every trained style model against the procedural preset it backs, both run
  through the real Style job (``options["renderer"]`` "auto" vs "filters") at full
  strength. The learnt presets are deterministic, so the procedural render is the
  reference: PSNR over RGB and SSIM on luminance over the whole image say how closely the
  network reproduces it; the speed section times both on a 2048x1536 photo.

Also prints the speed goals (CPU): repair of a 5 % mask on a 2048x1536 photo with the
default ("auto") method, and seconds per input megapixel of the default x2 enhance, each
beside its classical baseline timed in the same run. Writes a side-by-side image grid
(``--grid``, JPEG) and, with ``--json``, every number.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DEFAULT_VAL = REPO.parent / "shared" / "photos" / "val"
DEFAULT_GRID = REPO / "docs" / "quality" / "grid.jpg"
GRID_PHOTO = "pypi-scikit-image__coffee"  # varied texture and edges; else the first photo
REPAIR_BASELINE = "telea"
ENHANCE_BASELINE = "bicubic"
ENHANCE_CASES = {"x2": (2, False), "x4": (4, False), "x2 degraded": (2, True)}
MASK_KINDS = ("scratches", "blobs", "box")
GOALS = {"repair": 1.0, "enhance": 5.0}  # seconds per job / seconds per input megapixel


# ----- photos, masks, degradations -----
def load_photos(folder: Path, size: int, limit: int | None) -> list[tuple[str, np.ndarray]]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    if not files:
        raise SystemExit(f"No photos in {folder}.")
    photos = []
    for path in files[:limit] if limit else files:
        image = np.asarray(Image.open(path).convert("RGB"))
        height, width = image.shape[:2]
        factor = min(1.0, size / max(height, width))
        if factor < 1.0:
            new_size = (round(width * factor), round(height * factor))
            image = cv2.resize(image, new_size, interpolation=cv2.INTER_AREA)
        height, width = image.shape[:2]
        photos.append((path.stem, np.ascontiguousarray(image[: height // 4 * 4, : width // 4 * 4])))
    return photos


def make_mask(kind: str, height: int, width: int, seed: int) -> np.ndarray:
    """A fixed, seeded ``uint8 (H, W)`` mask (255 = hole) of the given kind."""
    rng = np.random.default_rng([seed, MASK_KINDS.index(kind)])
    mask = np.zeros((height, width), np.uint8)
    if kind == "scratches":
        for _ in range(6):
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            angle = rng.uniform(0, 2 * math.pi)
            points = [(x, y)]
            for _ in range(12):
                angle += rng.normal(0, 0.25)
                x += math.cos(angle) * min(height, width) / 24
                y += math.sin(angle) * min(height, width) / 24
                points.append((x, y))
            line = np.round(np.array(points)).astype(np.int32)
            cv2.polylines(mask, [line], False, 255, int(rng.integers(2, 5)), cv2.LINE_8)
    elif kind == "blobs":
        target = 0.03 * height * width
        for _ in range(5):
            area = target / 5 * rng.uniform(0.7, 1.3)
            ratio = rng.uniform(0.5, 2.0)
            a = math.sqrt(area / math.pi * ratio)
            b = area / (math.pi * a)
            centre = (int(rng.uniform(a, width - a)), int(rng.uniform(b, height - b)))
            angle = float(rng.uniform(0, 180))
            cv2.ellipse(mask, centre, (int(a), int(b)), angle, 0, 360, 255, -1)
    elif kind == "box":
        box_w, box_h = width // 4, height // 4
        x0 = int(rng.integers(width // 8, width - box_w - width // 8 + 1))
        y0 = int(rng.integers(height // 8, height - box_h - height // 8 + 1))
        mask[y0 : y0 + box_h, x0 : x0 + box_w] = 255
    else:
        raise ValueError(kind)
    return mask


def bicubic_down(image: np.ndarray, scale: int) -> np.ndarray:
    height, width = image.shape[:2]
    small = Image.fromarray(image).resize(
        (width // scale, height // scale), Image.Resampling.BICUBIC
    )
    return np.asarray(small)


def degraded_down(image: np.ndarray, scale: int, seed: int) -> np.ndarray:
    blurred = cv2.GaussianBlur(image.astype(np.float32), (0, 0), 1.0)
    small = bicubic_down(np.clip(blurred + 0.5, 0, 255).astype(np.uint8), scale)
    noise = np.random.default_rng(seed).normal(0.0, 5.0, small.shape)
    noisy = np.clip(small.astype(np.float32) + noise + 0.5, 0, 255).astype(np.uint8)
    _, encoded = cv2.imencode(".jpg", noisy[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 75])
    return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[:, :, ::-1])


# ----- metrics -----
def luminance(image: np.ndarray) -> np.ndarray:
    return image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x, y = luminance(a), luminance(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(v: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(v, (7, 7), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))


def detail_ratio(output: np.ndarray, truth: np.ndarray, where: np.ndarray) -> float:
    """Fine detail (mean absolute Laplacian of the luminance) of ``output`` over ``truth``'s:
    1.0 is as crisp as the original; blur is below 1, invented texture or noise above."""

    def energy(image: np.ndarray) -> float:
        return float(np.abs(cv2.Laplacian(luminance(image), cv2.CV_64F))[where].mean())

    return energy(output) / max(energy(truth), 1e-9)


def psnr_ssim(output: np.ndarray, truth: np.ndarray, where: np.ndarray) -> tuple[float, float]:
    diff = output.astype(np.float64)[where] - truth.astype(np.float64)[where]
    mse = max(float(np.mean(diff * diff)), 1e-10)
    return 10 * math.log10(255.0**2 / mse), float(ssim_map(output, truth)[where].mean())


def interior(height: int, width: int, border: int) -> np.ndarray:
    where = np.zeros((height, width), bool)
    where[border : height - border, border : width - border] = True
    return where


# ----- methods -----
@dataclass
class Method:
    id: str
    label: str
    kind: str  # "classical" or "model"
    scale: int | None = None


def run_job(job) -> np.ndarray:
    from sdstudio.engine.runner import run_to_completion

    return run_to_completion(job).image


def repair_methods() -> list[Method]:
    from sdstudio.engine import catalog

    wanted = ["telea", "navier_stokes"]
    if catalog.patchmatch_available():
        wanted += ["patchmatch", "auto_classical"]  # auto_classical: the app's default
    methods = [Method(name, name, "classical") for name in wanted]
    for info in catalog.list_methods("repair", include_providers=False):
        if info.kind == "builtin":
            methods.append(Method(info.id, info.id, "model"))
    return methods


def enhance_methods() -> list[Method]:
    from sdstudio.engine import catalog

    methods = [Method("bicubic", "bicubic", "classical"), Method("lanczos", "lanczos", "classical")]
    for info in catalog.list_methods("enhance", include_providers=False):
        if info.kind == "builtin":
            methods.append(Method(info.id, info.id, "model", info.scale))
    return methods


def repair_with(method: Method, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    from sdstudio.jobs import RepairJob

    return run_job(RepairJob(image=image, mask=mask, method=method.id, device="cpu"))


def enhance_with(method: Method, small: np.ndarray, scale: int) -> np.ndarray:
    height, width = small.shape[:2]
    size = (width * scale, height * scale)
    if method.id == "bicubic":
        return cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)
    if method.id == "lanczos":
        return cv2.resize(small, size, interpolation=cv2.INTER_LANCZOS4)
    from sdstudio.jobs import EnhanceJob

    return run_job(EnhanceJob(image=small, scale=scale, model=method.id, device="cpu"))


def style_models() -> list:
    from sdstudio.engine import catalog
    from sdstudio.engine.style.presets_info import STYLE_PRESETS

    return [
        info
        for info in catalog.list_methods("style", include_providers=False)
        if info.kind == "builtin" and info.style in STYLE_PRESETS
    ]


def style_with(preset: str, image: np.ndarray, renderer: str) -> np.ndarray:
    from sdstudio.jobs import StyleJob

    return run_job(
        StyleJob(image=image, preset=preset, device="cpu", options={"renderer": renderer})
    )


# ----- the benchmark -----
# (case, method) -> per photo: (PSNR, SSIM), and for enhance the detail ratio third
Scores = dict[tuple[str, str], list[tuple[float, ...]]]


def evaluate(photos, log, tasks: set[str], shown: str) -> tuple[Scores, Scores, Scores, dict]:
    repair_scores: Scores = defaultdict(list)
    enhance_scores: Scores = defaultdict(list)
    style_scores: Scores = defaultdict(list)
    samples: dict = {}
    r_methods = repair_methods() if "repair" in tasks else []
    e_methods = enhance_methods() if "enhance" in tasks else []
    s_models = style_models() if "style" in tasks else []
    log("repair: " + ", ".join(m.id for m in r_methods))
    log("enhance: " + ", ".join(f"{m.id}" for m in e_methods))
    log("style: " + ", ".join(f"{m.id} ({m.style})" for m in s_models))
    names = [name for name, _ in photos]
    shown_index = names.index(shown) if shown in names else 0
    for index, (name, truth) in enumerate(photos):
        height, width = truth.shape[:2]
        for kind in MASK_KINDS:
            mask = make_mask(kind, height, width, index)
            hole = mask > 0
            for method in r_methods:
                output = repair_with(method, truth, mask)
                repair_scores[(kind, method.id)].append(psnr_ssim(output, truth, hole))
                if index == shown_index:
                    samples[("repair", kind, method.id)] = (output, mask)
        for case, (scale, degraded) in ENHANCE_CASES.items():
            small = degraded_down(truth, scale, index) if degraded else bicubic_down(truth, scale)
            where = interior(height, width, scale)
            for method in e_methods:
                if method.scale not in (None, scale):
                    continue
                output = enhance_with(method, small, scale)
                enhance_scores[(case, method.id)].append(
                    (*psnr_ssim(output, truth, where), detail_ratio(output, truth, where))
                )
                if index == shown_index:
                    samples[("enhance", case, method.id)] = (output, small)
        everywhere = np.ones(truth.shape[:2], bool)
        for model in s_models:
            procedural = style_with(model.style, truth, "filters")
            network = style_with(model.style, truth, "auto")
            style_scores[(model.style, model.id)].append(psnr_ssim(network, procedural, everywhere))
            if index == shown_index:
                samples[("style", model.style, "preset")] = (procedural, None)
                samples[("style", model.style, model.id)] = (network, None)
        log(f"photo {index + 1}/{len(photos)} {name} done")
    samples["truth"] = photos[shown_index][1]
    return repair_scores, enhance_scores, style_scores, samples


def style_table(scores: Scores) -> list[str]:
    lines = [
        "| preset | model | PSNR dB vs preset | SSIM vs preset |",
        "|---|---|---:|---:|",
    ]
    for (preset, model), values in scores.items():
        psnr = statistics.fmean(v[0] for v in values)
        ssim = statistics.fmean(v[1] for v in values)
        lines.append(f"| {preset} | {model} | {psnr:.2f} | {ssim:.4f} |")
    return lines


def table(scores: Scores, cases, baseline: str, title: str) -> list[str]:
    lines = [
        f"| {title} | method | PSNR dB | SSIM | ΔPSNR vs {baseline} | ΔSSIM vs {baseline} |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for case in cases:
        base = scores.get((case, baseline))
        if not base:
            continue
        base_psnr = statistics.fmean(v[0] for v in base)
        base_ssim = statistics.fmean(v[1] for v in base)
        for (row_case, method), values in scores.items():
            if row_case != case:
                continue
            psnr = statistics.fmean(v[0] for v in values)
            ssim = statistics.fmean(v[1] for v in values)
            delta = "" if method == baseline else f"{psnr - base_psnr:+.2f}"
            delta_ssim = "" if method == baseline else f"{ssim - base_ssim:+.4f}"
            lines.append(
                f"| {case} | {method} | {psnr:.2f} | {ssim:.4f} | {delta} | {delta_ssim} |"
            )
    return lines


def detail_table(scores: Scores) -> list[str]:
    """Enhance: how crisp each method's output is next to the original photo."""
    lines = ["| case | method | fine detail vs original (1.00 = as crisp) |", "|---|---|---:|"]
    for (case, method), values in scores.items():
        lines.append(f"| {case} | {method} | {statistics.fmean(v[2] for v in values):.2f} |")
    return lines


def crop_for(mask: np.ndarray | None, height: int, width: int, tile: int) -> tuple[int, int]:
    """Top-left of a ``tile`` square: on the mask's centre, else the image's centre."""
    if mask is not None and mask.any():
        ys, xs = np.nonzero(mask)
        cy, cx = int(ys.mean()), int(xs.mean())
    else:
        cy, cx = height // 2, width // 2
    return (
        int(np.clip(cy - tile // 2, 0, max(0, height - tile))),
        int(np.clip(cx - tile // 2, 0, max(0, width - tile))),
    )


def label(tile: np.ndarray, text: str) -> np.ndarray:
    tile = np.ascontiguousarray(tile)
    cv2.rectangle(tile, (0, 0), (tile.shape[1], 16), (0, 0, 0), -1)
    cv2.putText(tile, text[:28], (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1)
    return tile


def make_grid(samples: dict, path: Path, tile: int = 192) -> Path | None:
    """Rows: the box repair, the degraded x2 and x4 enhance, and each learnt style, as
    crops of one photo."""
    truth = samples["truth"]
    height, width = truth.shape[:2]
    rows = []
    box = [key for key in samples if key[0] == "repair" and key[1] == "box"]
    if box:
        mask = samples[box[0]][1]
        y, x = crop_for(mask, height, width, tile)
        shown = truth.copy()
        shown[mask > 0] = (255, 0, 255)
        tiles = [label(shown[y : y + tile, x : x + tile], "mask")]
        for key in box:
            tiles.append(label(samples[key][0][y : y + tile, x : x + tile], key[2]))
        rows.append(tiles + [label(truth[y : y + tile, x : x + tile], "original")])
    for case in ("x2 degraded", "x4"):
        keys = [key for key in samples if key[0] == "enhance" and key[1] == case]
        if not keys:
            continue
        scale = ENHANCE_CASES[case][0]
        y, x = crop_for(None, height, width, tile)
        small = samples[keys[0]][1]
        nearest = cv2.resize(
            small, (small.shape[1] * scale, small.shape[0] * scale), interpolation=cv2.INTER_NEAREST
        )
        tiles = [label(nearest[y : y + tile, x : x + tile], f"input {case}")]
        for key in keys:
            tiles.append(label(samples[key][0][y : y + tile, x : x + tile], key[2]))
        rows.append(tiles + [label(truth[y : y + tile, x : x + tile], "original")])
    for preset in dict.fromkeys(key[1] for key in samples if key[0] == "style"):
        keys = [key for key in samples if key[0] == "style" and key[1] == preset]
        y, x = crop_for(None, height, width, tile)
        tiles = [label(truth[y : y + tile, x : x + tile], "photo")]
        for key in keys:
            text = f"{preset} (procedural)" if key[2] == "preset" else key[2]
            tiles.append(label(samples[key][0][y : y + tile, x : x + tile], text))
        rows.append(tiles)
    if not rows:
        return None
    columns = max(len(row) for row in rows)
    blank = np.full((tile, tile, 3), 32, np.uint8)
    grid = np.concatenate(
        [
            np.concatenate(
                [
                    cv2.copyMakeBorder(
                        t, 0, tile - t.shape[0], 0, tile - t.shape[1], cv2.BORDER_CONSTANT
                    )
                    for t in row + [blank] * (columns - len(row))
                ],
                axis=1,
            )
            for row in rows
        ],
        axis=0,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(grid).save(path, quality=85)
    return path


def timed(function, repeats: int = 2) -> float:
    function()  # warm-up: loads the network, fills caches
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def speed(photo: np.ndarray) -> list[str]:
    """Goal lines: repair 5 % mask on 2048x1536, and x2 enhance seconds per input MP."""
    from sdstudio.engine import catalog
    from sdstudio.jobs import EnhanceJob, RepairJob

    big = cv2.resize(photo, (2048, 1536), interpolation=cv2.INTER_CUBIC)
    mask = np.zeros((1536, 2048), np.uint8)
    rng = np.random.default_rng(5)
    while (mask > 0).mean() < 0.05:
        centre = (int(rng.integers(100, 1948)), int(rng.integers(100, 1436)))
        cv2.ellipse(mask, centre, (int(rng.integers(20, 70)), int(rng.integers(20, 70))),
                    float(rng.uniform(0, 180)), 0, 360, 255, -1)  # fmt: skip
    repair_default = catalog.best_method("repair").id
    small = cv2.resize(photo, (1024, 768), interpolation=cv2.INTER_AREA)
    enhance_default = catalog.best_method("enhance", scale=2).id
    megapixels = 1024 * 768 / 1e6

    def repair(method: str) -> float:
        return timed(lambda: run_job(RepairJob(image=big, mask=mask, method=method, device="cpu")))

    def enhance(method: str) -> float:
        return timed(lambda: run_job(EnhanceJob(image=small, scale=2, model=method, device="cpu")))

    r_default, r_base = repair(repair_default), repair(REPAIR_BASELINE)
    # What the default repair spends before its network: the classical automatic fill.
    classical_lines = []
    if catalog.patchmatch_available() and repair_default != "auto_classical":
        classical_lines.append(
            f"| repair 5 % mask, 2048x1536, classical part | auto_classical | "
            f"{repair('auto_classical'):.2f} s | - | - | - |"
        )
    e_default = enhance(enhance_default) / megapixels
    e_base = (
        timed(lambda: cv2.resize(small, (2048, 1536), interpolation=cv2.INTER_CUBIC)) / megapixels
    )
    style_lines = []
    for model in style_models():
        procedural = timed(lambda m=model: style_with(m.style, big, "filters"), repeats=1)
        network = timed(lambda m=model: style_with(m.style, big, "auto"), repeats=1)
        style_lines.append(
            f"| style {model.style}, 2048x1536 | {model.id} | {network:.2f} s | "
            f"procedural {procedural:.2f} s | - | ratio {network / procedural:.2f} |"
        )
    return [
        "| goal | default method | seconds | baseline (same run) | goal | met |",
        "|---|---|---:|---:|---:|:---:|",
        f"| repair 5 % mask, 2048x1536 | {repair_default} | {r_default:.2f} s | "
        f"{REPAIR_BASELINE} {r_base:.2f} s | < {GOALS['repair']:.0f} s | "
        f"{'yes' if r_default < GOALS['repair'] else 'no'} |",
        *classical_lines,
        f"| enhance x2, per input MP (1024x768) | {enhance_default} | {e_default:.2f} s/MP | "
        f"bicubic {e_base:.3f} s/MP | < {GOALS['enhance']:.0f} s/MP | "
        f"{'yes' if e_default < GOALS['enhance'] else 'no'} |",
        *style_lines,
    ]


def model_sizes() -> list[str]:
    from sdstudio.engine import catalog

    lines = []
    for task in ("repair", "enhance", "style"):
        for info in catalog.list_methods(task, include_providers=False):
            if info.kind == "builtin":
                size = (info.size_bytes or 0) / 1e6
                verdict = "ok" if size < 30 else "over 30 MB"
                lines.append(f"- {info.path.name}: {task}, {size:.2f} MB ({verdict})")
    return lines or ["- no trained models found"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Quality of the shipped models vs classical.")
    parser.add_argument("--val", type=Path, default=DEFAULT_VAL, help="validation photos")
    parser.add_argument("--size", type=int, default=768, help="long side of the working size")
    parser.add_argument("--quick", action="store_true", help="4 photos, no speed section")
    parser.add_argument("--limit", type=int, help="use only the first N photos")
    parser.add_argument("--grid", type=Path, default=DEFAULT_GRID, help="side-by-side image")
    parser.add_argument("--json", type=Path, help="write every score here")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed goals")
    parser.add_argument(
        "--grid-photo", default=GRID_PHOTO, help="photo (file stem) shown in the grid"
    )
    parser.add_argument(
        "--tasks", default="repair,enhance,style", help="which tasks to score (comma-separated)"
    )
    parser.add_argument(
        "--extra-models", type=Path, help="also evaluate the model files in this folder"
    )
    args = parser.parse_args(argv)

    # Only the bundled models count: a private data folder hides the user's own models.
    data_dir = Path(tempfile.mkdtemp(prefix="sdstudio-quality-"))
    os.environ["SDSTUDIO_DATA_DIR"] = str(data_dir)
    if args.extra_models:
        (data_dir / "models").mkdir()
        for path in sorted(args.extra_models.glob("*.safetensors")):
            shutil.copy2(path, data_dir / "models" / path.name)
    import torch

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    limit = 4 if args.quick and not args.limit else args.limit
    photos = load_photos(args.val, args.size, limit)
    started = time.perf_counter()
    repair_scores, enhance_scores, style_scores, samples = evaluate(
        photos, log, set(args.tasks.split(",")), args.grid_photo
    )
    print(f"## Quality on {len(photos)} validation photos (long side <= {args.size} px)")
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}\n")
    print("Repair (PSNR / SSIM inside the mask):\n")
    print("\n".join(table(repair_scores, MASK_KINDS, REPAIR_BASELINE, "mask")))
    print("\nEnhance (whole image):\n")
    print("\n".join(table(enhance_scores, ENHANCE_CASES, ENHANCE_BASELINE, "case")))
    print("\nEnhance, fine detail (mean |Laplacian| of the luminance, output / original):\n")
    print("\n".join(detail_table(enhance_scores)))
    if style_scores:
        print("\nStyle (trained network vs the procedural preset it learnt, whole image):\n")
        print("\n".join(style_table(style_scores)))
    print("\nModel files:\n")
    print("\n".join(model_sizes()))
    grid = make_grid(samples, args.grid)
    if grid is not None:
        print(f"\nGrid: {grid} ({grid.stat().st_size // 1024} KB)")
    print(f"Scoring took {time.perf_counter() - started:.0f} s")
    if not (args.quick or args.no_speed):
        print("\nSpeed (CPU):\n")
        print("\n".join(speed(photos[0][1])))
    if args.json:

        def serial(scores: Scores) -> dict:
            return {f"{case}|{method}": values for (case, method), values in scores.items()}

        args.json.write_text(
            json.dumps({"repair": serial(repair_scores), "enhance": serial(enhance_scores),
                        "style": serial(style_scores),
                        "photos": [name for name, _ in photos], "size": args.size}, indent=1)
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
