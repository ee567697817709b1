"""Quality of every shipped model against the classical methods, on the validation photos.

    .venv/bin/python benchmarks/quality.py            # 25 val photos, every task, speed goals
    .venv/bin/python benchmarks/quality.py --quick    # 4 photos, no speed section
    .venv/bin/python benchmarks/quality.py --tasks enhance --scales 2 --limit 6 \
        --enhance-model /work/ckpt/candidates/x.safetensors --no-shipped

Setup (fixed, so two runs compare):
- Photos: ``../shared/photos/val`` (``--val``), each downscaled (area) so its long side is
  at most ``--size`` (768) pixels, sides cropped to a multiple of 4. Never trained on.
- Enhance: each scale (``--scales``, 2 and 4) with every downscaler a user's photo may
  have met (``--downscalers``): OpenCV INTER_CUBIC, INTER_AREA and INTER_LINEAR, Pillow
  BICUBIC and LANCZOS, and at x2 ``degraded`` (Gaussian blur sigma 1.2 at full size, area
  downscale, noise sigma 6/255 seeded by the photo's name, JPEG quality 60). The inputs
  are made here (``quality_cases``), never by the training code. Models run through the
  real Enhance job at their own scale. PSNR over RGB and SSIM on luminance, over the whole
  image. Baseline: bicubic (OpenCV); Lanczos beside it. Detail: mean absolute Laplacian
  of the output's luminance over the original's (1.00 as crisp as the photo).
- Repair: three seeded masks per photo (seed = photo index): ``scratches`` (6 thin curved
  lines, 2-4 px wide), ``blobs`` (5 filled ellipses, about 3 % of the image in all) and
  ``box`` (one rectangle a quarter of each side). Every method runs through the real
  Repair job, so the app's edge blending is included. PSNR over the RGB values of the
  hole pixels, SSIM as the mean of the luminance SSIM map over them, detail (as above)
  inside the hole. Telea, Navier-Stokes and, when installed, PatchMatch run beside it.
- Targets (issue 18, ``quality_tables``), each model against a method of the same run:
  enhance x2 >= bicubic + 0.5 dB with SSIM >= bicubic's, x4 >= bicubic + 1.2 dB, for
  every downscaler; degraded x2 >= bicubic + 1.2 dB; no photo below bicubic by more than
  0.3 dB. Repair blobs and box >= PatchMatch + 1.0 dB with detail >= 0.75; scratches >=
  Navier-Stokes. Each verdict names the worst photo and its gain.
- Style: every trained style model against the procedural preset it backs, both through
  the real Style job, PSNR / SSIM over the whole image.

Speed goals (CPU, skipped by ``--quick`` / ``--no-speed``): the default repair of a 5 %
blob mask on 2048x1536 within Telea + 1.0 s (timed in the same run), and x2 enhance at
most 5 s per input megapixel for the default and every ``--models`` x2 file.
Model files named with ``--models`` (files or folders, also spelt ``--enhance-model``)
are measured beside the shipped ones (``--no-shipped``: instead of them). Writes an image
grid (``--grid``) and, with ``--json``, every number and verdict.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import quality_tables as tables  # noqa: E402
from benchmarks.quality_cases import (  # noqa: E402
    DEGRADED,
    DOWNSCALERS,
    MASK_KINDS,
    EnhanceCase,
    enhance_cases,
    load_photos,
    low_res_input,
    make_mask,
    score,
    speed_blob_mask,
    whole_image,
)
from benchmarks.quality_grid import make_grid  # noqa: E402
from benchmarks.quality_methods import (  # noqa: E402
    Method,
    copy_candidates,
    enhance_methods,
    enhance_with,
    model_lines,
    repair_methods,
    repair_with,
    run_job,
    style_models,
    style_with,
)
from sdstudio.tasks import Task, task_named  # noqa: E402

DEFAULT_VAL = REPO.parent / "shared" / "photos" / "val"
DEFAULT_GRID = REPO / "docs" / "quality" / "grid.jpg"
GRID_PHOTO = "pypi-scikit-image__coffee"  # varied texture and edges; else the first photo
REPAIR_SPEED_MARGIN_S = 1.0  # the default repair may take this much longer than Telea
ENHANCE_SPEED_S_PER_MP = 5.0  # x2, seconds per input megapixel


# ----- the benchmark -----
Photos = list[tuple[str, np.ndarray]]
Log = Callable[[str], None]


def evaluate_repair(
    photos: Photos, methods: list[Method], samples: dict, shown: int, log: Log
) -> tables.Scores:
    scores: tables.Scores = defaultdict(list)
    for index, (name, truth) in enumerate(photos if methods else []):
        for kind in MASK_KINDS:
            mask = make_mask(kind, *truth.shape[:2], index)
            for method in methods:
                output = repair_with(method, truth, mask)
                scores[(kind, method.id)].append(score(output, truth, mask > 0))
                if index == shown:
                    samples[("repair", kind, method.id)] = (output, mask)
        log(f"repair: photo {index + 1}/{len(photos)} {name} done")
    return scores


def evaluate_enhance(
    photos: Photos,
    methods: list[Method],
    cases: list[EnhanceCase],
    samples: dict,
    shown: int,
    log: Log,
) -> tables.Scores:
    scores: tables.Scores = defaultdict(list)
    for index, (name, truth) in enumerate(photos if methods else []):
        everywhere = whole_image(truth)
        for case in cases:
            small = low_res_input(truth, case, name)
            for method in methods:
                if method.scale not in (None, case.scale):
                    continue
                output = enhance_with(method, small, case.scale)
                scores[(case.name, method.id)].append(score(output, truth, everywhere))
                if index == shown:
                    samples[("enhance", case.name, method.id)] = (output, small)
        log(f"enhance: photo {index + 1}/{len(photos)} {name} done")
    return scores


def evaluate_style(
    photos: Photos, models: list, samples: dict, shown: int, log: Log
) -> tables.Scores:
    scores: tables.Scores = defaultdict(list)
    for index, (name, truth) in enumerate(photos if models else []):
        for model in models:
            procedural = style_with(model.style, truth, "filters")
            network = style_with(model.style, truth, "auto")
            scores[(model.style, model.id)].append(score(network, procedural, whole_image(truth)))
            if index == shown:
                samples[("style", model.style, "preset")] = (procedural, None)
                samples[("style", model.style, model.id)] = (network, None)
        log(f"style: photo {index + 1}/{len(photos)} {name} done")
    return scores


def timed(function, repeats: int = 2) -> tuple[float, float]:
    """Wall and process CPU seconds of the fastest of ``repeats`` runs after a warm-up.
    The CPU time is what to trust when other work shares the machine: there torch's
    threads wait on each other and the wall time inflates."""
    function()  # warm-up: loads the network, fills caches
    best = (math.inf, math.inf)
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        best = min(best, (time.perf_counter() - start, time.process_time() - start_cpu))
    return best


def repair_speed(photo: np.ndarray) -> list[str]:
    """The default repair of a 5 % blob mask on 2048x1536 against Telea, same run."""
    from sdstudio.engine import catalog
    from sdstudio.jobs import RepairJob

    big = cv2.resize(photo, (2048, 1536), interpolation=cv2.INTER_CUBIC)
    mask = speed_blob_mask(1536, 2048)

    def repair(method: str) -> float:
        return timed(lambda: run_job(RepairJob(image=big, mask=mask, method=method, device="cpu")))[
            0
        ]

    default = catalog.best_method(Task.REPAIR).id
    seconds, telea = repair(default), repair(tables.REPAIR_BASELINE)
    goal = telea + REPAIR_SPEED_MARGIN_S
    lines = [
        f"| repair 5 % blob mask, 2048x1536 | {default} | {seconds:.2f} s | telea {telea:.2f} s "
        f"| <= telea + {REPAIR_SPEED_MARGIN_S:.1f} s = {goal:.2f} s | "
        f"{'yes' if seconds <= goal else 'no'} |"
    ]
    # What a network default spends before its correction: the classical automatic fill.
    if catalog.patchmatch_available() and default != "auto_classical":
        lines.append(
            f"| the same, classical part | auto_classical | {repair('auto_classical'):.2f} s "
            "| - | - | - |"
        )
    return lines


def enhance_speed(photo: np.ndarray, models: list[str]) -> list[str]:
    """Seconds per input megapixel of x2 enhance of a 1024x768 photo, per model."""
    from sdstudio.jobs import EnhanceJob

    small = cv2.resize(photo, (1024, 768), interpolation=cv2.INTER_AREA)
    megapixels = 1024 * 768 / 1e6
    bicubic = timed(lambda: cv2.resize(small, (2048, 1536), interpolation=cv2.INTER_CUBIC))[0]
    lines = []
    for model in models:
        wall, cpu = timed(
            lambda m=model: run_job(EnhanceJob(image=small, scale=2, model=m, device="cpu"))
        )
        per_mp = wall / megapixels
        lines.append(
            f"| enhance x2, per input MP (1024x768) | {model} | {per_mp:.2f} s/MP "
            f"(CPU {cpu / megapixels:.2f}) | "
            f"bicubic {bicubic / megapixels:.3f} s/MP | <= {ENHANCE_SPEED_S_PER_MP:.0f} s/MP | "
            f"{'yes' if per_mp <= ENHANCE_SPEED_S_PER_MP else 'no'} |"
        )
    return lines


def style_speed(photo: np.ndarray) -> list[str]:
    big = cv2.resize(photo, (2048, 1536), interpolation=cv2.INTER_CUBIC)
    lines = []
    for model in style_models():
        procedural = timed(lambda m=model: style_with(m.style, big, "filters"), repeats=1)[0]
        network = timed(lambda m=model: style_with(m.style, big, "auto"), repeats=1)[0]
        lines.append(
            f"| style {model.style}, 2048x1536 | {model.id} | {network:.2f} s | "
            f"procedural {procedural:.2f} s | - | ratio {network / procedural:.2f} |"
        )
    return lines


def speed_section(photo, r_methods, e_methods, s_models, args) -> list[str]:
    """The speed goals of the tasks that ran; x2 enhance for the default and each candidate."""
    from sdstudio.engine import catalog

    lines = [
        "| goal | default method | seconds | baseline (same run) | goal | met |",
        "|---|---|---:|---:|---:|:---:|",
    ]
    if r_methods:
        lines += repair_speed(photo)
    if 2 in args.scales and e_methods:
        x2 = [m.id for m in e_methods if m.scale == 2 and (m.candidate or args.no_shipped)]
        if not args.no_shipped:
            x2.insert(0, catalog.best_method(Task.ENHANCE, scale=2).id)
        lines += enhance_speed(photo, list(dict.fromkeys(x2)))
    if s_models:
        lines += style_speed(photo)
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Quality of the shipped models vs classical.")
    parser.add_argument("--val", type=Path, default=DEFAULT_VAL, help="validation photos")
    parser.add_argument("--size", type=int, default=768, help="long side of the working size")
    parser.add_argument("--quick", action="store_true", help="4 photos, no speed section")
    parser.add_argument("--limit", type=int, help="use only the first N photos")
    parser.add_argument("--grid", type=Path, default=DEFAULT_GRID, help="side-by-side image")
    parser.add_argument("--grid-photo", default=GRID_PHOTO, help="photo (stem) in the grid")
    parser.add_argument("--json", type=Path, help="write every score and verdict here")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed goals")
    parser.add_argument("--tasks", default="repair,enhance,style", help="comma-separated")
    parser.add_argument("--scales", default="2,4", help="enhance scales, comma-separated")
    parser.add_argument(
        "--downscalers", default=",".join((*DOWNSCALERS, DEGRADED)),
        help="enhance inputs, comma-separated",
    )  # fmt: skip
    parser.add_argument(
        "--models", "--enhance-model", "--repair-model", "--extra-models", dest="models",
        type=Path, nargs="+", action="extend", default=[],
        help="also measure these model files (or every .safetensors in these folders)",
    )  # fmt: skip
    parser.add_argument(
        "--no-shipped", action="store_true", help="measure the --models files, not models/"
    )
    args = parser.parse_args(argv)
    args.tasks = {task_named(name) for name in args.tasks.split(",") if name}
    args.scales = [int(scale) for scale in args.scales.split(",") if scale]
    args.downscalers = tuple(name for name in args.downscalers.split(",") if name)
    unknown = set(args.downscalers) - {*DOWNSCALERS, DEGRADED}
    if unknown:
        parser.error(f"unknown downscalers {sorted(unknown)}; choose from {DOWNSCALERS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Only the bundled models and the named ones count: a private data folder hides the
    # user's own models (and keeps this run's weight checks out of their cache).
    data_dir = Path(tempfile.mkdtemp(prefix="sdstudio-quality-"))
    os.environ["SDSTUDIO_DATA_DIR"] = str(data_dir)
    originals = copy_candidates(args.models, data_dir / "models")

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    limit = 4 if args.quick and not args.limit else args.limit
    photos = load_photos(args.val, args.size, limit)
    names = [name for name, _ in photos]
    shown = names.index(args.grid_photo) if args.grid_photo in names else 0
    shipped = not args.no_shipped
    cases = enhance_cases(tuple(args.scales), args.downscalers)
    r_methods = repair_methods(shipped) if Task.REPAIR in args.tasks else []
    e_methods = enhance_methods(shipped) if Task.ENHANCE in args.tasks else []
    s_models = style_models() if Task.STYLE in args.tasks and shipped else []
    samples: dict = {"truth": photos[shown][1]}
    started = time.perf_counter()
    repair_scores = evaluate_repair(photos, r_methods, samples, shown, log)
    enhance_scores = evaluate_enhance(photos, e_methods, cases, samples, shown, log)
    style_scores = evaluate_style(photos, s_models, samples, shown, log)
    r_models = [m.id for m in r_methods if m.kind == "model"]
    e_models = [m.id for m in e_methods if m.kind == "model" and m.scale in args.scales]
    repair_verdicts = tables.repair_verdicts(repair_scores, MASK_KINDS, r_models, names)
    enhance_verdicts = tables.enhance_verdicts(enhance_scores, cases, e_models, names)

    print(f"## Quality on {len(photos)} validation photos (long side <= {args.size} px)")
    if r_models or e_models or s_models:  # a classical-only run never needs torch
        import torch

        print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}\n")
    else:
        print("classical methods only\n")
    print("Models measured:\n")
    measured = r_models + e_models + [model.id for model in s_models]
    print("\n".join(model_lines(measured, args.scales, originals)))
    if repair_scores:
        print("\nRepair (PSNR / SSIM and detail inside the mask):\n")
        print("\n".join(tables.repair_table(repair_scores, MASK_KINDS)))
    if repair_verdicts:
        print("\nRepair targets (each model against the reference of its mask kind):\n")
        print("\n".join(tables.verdict_table(repair_verdicts)))
    method_ids = [m.id for m in e_methods]
    for scale in args.scales if enhance_scores else []:
        rows = [case for case in cases if case.scale == scale]
        verdicts = [v for v in enhance_verdicts if v.case in {c.name for c in rows}]
        print(f"\nEnhance x{scale}, PSNR dB / SSIM over the whole image (ΔPSNR vs bicubic):\n")
        print("\n".join(tables.matrix(enhance_scores, rows, method_ids, tables.psnr_ssim_cell,
                                      verdicts)))  # fmt: skip
        print(f"\nEnhance x{scale}, detail (mean |Laplacian| of luminance, output / original):\n")
        print("\n".join(tables.matrix(enhance_scores, rows, method_ids, tables.detail_cell)))
    if enhance_verdicts:
        print("\nEnhance targets, per case and model (worst photo: the least gain over bicubic):\n")
        print("\n".join(tables.verdict_table(enhance_verdicts)))
    if style_scores:
        print("\nStyle (trained network vs the procedural preset it learnt, whole image):\n")
        print("\n".join(tables.style_table(style_scores)))
    grid = make_grid(samples, args.grid)
    if grid is not None:
        print(f"\nGrid: {grid} ({grid.stat().st_size // 1024} KB)")
    print(f"Scoring took {time.perf_counter() - started:.0f} s")
    if not (args.quick or args.no_speed):
        print("\nSpeed (CPU):\n")
        print("\n".join(speed_section(photos[0][1], r_methods, e_methods, s_models, args)))
    if args.json:

        def serial(scores: tables.Scores) -> dict:
            return {f"{case}|{method}": values for (case, method), values in scores.items()}

        verdicts = [asdict(v) | {"passed": v.passed} for v in repair_verdicts + enhance_verdicts]
        args.json.write_text(
            json.dumps({"repair": serial(repair_scores), "enhance": serial(enhance_scores),
                        "style": serial(style_scores), "verdicts": verdicts,
                        "enhance_cases": [case.name for case in cases],
                        "photos": names, "size": args.size}, indent=1)
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
