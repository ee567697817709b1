"""Speed and memory of the editing jobs: one command, one table.

    .venv/bin/python benchmarks/jobs.py            # ~3 minutes on a 2-core CPU
    .venv/bin/python benchmarks/jobs.py --quick    # smaller images, no 24 MP cases

For every job it prints milliseconds per megapixel on the CPU (and on CUDA when there is
one), with the classical baseline measured in the same run as the reference (the ratio
column), and the peak memory of a 24 MP photo, each measured in a fresh process
(``ru_maxrss``: torch's allocations are invisible to tracemalloc).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOALS = {"repair": "< 1 s per job", "style": "< 1000 ms/MP", "enhance": "< 5000 ms/MP"}
MEMORY_GOAL_MB = 3 * 1024


@dataclass
class Row:
    job: str
    case: str
    device: str
    megapixels: float
    seconds: float
    baseline_seconds: float | None = None
    cpu_seconds: float | None = None  # process CPU time: less skewed on a shared machine
    peak_mb: float | None = None
    goal: str = ""

    @property
    def ms_per_mp(self) -> float:
        return 1000 * self.seconds / self.megapixels


def test_photo(width: int, height: int) -> np.ndarray:
    """The bundled example photo resized (real texture and edges), or a synthetic one."""
    from PIL import Image

    from sdstudio.paths import example_photo_path

    path = example_photo_path()
    if path.is_file():
        with Image.open(path) as photo:
            return np.array(photo.convert("RGB").resize((width, height), Image.BICUBIC))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rng = np.random.default_rng(0)
    image = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x / 37.0)], -1) * 255
    return np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)


def scratch_mask(width: int, height: int, coverage: float = 0.05) -> np.ndarray:
    """Strokes and blobs covering ``coverage`` of the image, like real damage."""
    import cv2

    rng = np.random.default_rng(1)
    mask = np.zeros((height, width), np.uint8)
    while (mask > 0).mean() < coverage:
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.7:
            x1, y1 = x0 + int(rng.integers(-300, 300)), y0 + int(rng.integers(-300, 300))
            cv2.line(mask, (x0, y0), (x1, y1), 255, int(rng.integers(3, 15)))
        else:
            cv2.circle(mask, (x0, y0), int(rng.integers(10, 50)), 255, -1)
    return mask


def timed(job, repeats: int = 1) -> float:
    """Best of ``repeats`` runs of a job through the engine (what the app and CLI call)."""
    return timed_with_cpu(job, repeats)[0]


def timed_with_cpu(job, repeats: int = 1) -> tuple[float, float]:
    """Best wall time of ``repeats`` runs, and the process CPU time of that run."""
    from sdstudio.engine.runner import run_to_completion

    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        run_to_completion(job)
        run = (time.perf_counter() - started, time.process_time() - cpu_started)
        best = min(best, run)
    return best


def devices() -> list[str]:
    import torch

    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def bench_repair(quick: bool) -> list[Row]:
    from sdstudio.engine.catalog import list_methods
    from sdstudio.jobs import RepairJob

    width, height = (1024, 768) if quick else (2048, 1536)
    image, mask = test_photo(width, height), scratch_mask(width, height)
    rows, baseline = [], None
    methods = sorted(list_methods("repair"), key=lambda m: m.id != "telea")  # baseline first
    for method in methods:
        for device in devices() if method.kind != "classical" else ["cpu"]:
            job = RepairJob(image=image, mask=mask, method=method.id, device=device)
            # The first run is a warm-up (model load, first calls); slow methods run once more.
            first = timed_with_cpu(job)
            seconds, cpu = first if first[0] > 3 else timed_with_cpu(job, 2)
            baseline = baseline or seconds
            rows.append(Row("repair", f"{method.id} (5% mask)", device, width * height / 1e6,
                            seconds, baseline, cpu, goal=GOALS["repair"]))  # fmt: skip
    return rows


def bench_style(quick: bool) -> list[Row]:
    import cv2

    from sdstudio.engine.style import STYLE_PRESETS
    from sdstudio.jobs import StyleJob

    width, height = (640, 400) if quick else (1280, 800)
    image = test_photo(width, height)
    megapixels = width * height / 1e6
    # OpenCV's non-photorealistic stylisation is the classical reference.
    cv2.stylization(image[:64, :64], sigma_s=60, sigma_r=0.45)
    started, cpu_started = time.perf_counter(), time.process_time()
    cv2.stylization(image, sigma_s=60, sigma_r=0.45)
    baseline, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rows = [Row("style", "cv2.stylization (baseline)", "cpu", megapixels, baseline, baseline, cpu)]
    for preset in STYLE_PRESETS:
        for device in devices():
            job = StyleJob(image=image, preset=preset, device=device)
            timed(StyleJob(image=image[:64, :64], preset=preset, device=device))
            seconds, cpu = timed_with_cpu(job, 2)
            rows.append(Row("style", preset, device, megapixels, seconds, baseline, cpu,
                            goal=GOALS["style"]))  # fmt: skip
    return rows


def bench_enhance(quick: bool) -> list[Row]:
    from sdstudio.engine.catalog import list_methods
    from sdstudio.jobs import EnhanceJob

    width, height = (512, 384) if quick else (1024, 768)
    image = test_photo(width, height)
    rows, baseline = [], None
    methods = sorted(list_methods("enhance"), key=lambda m: m.kind != "classical")
    for method in methods:
        if method.scale not in (None, 2):
            continue
        for device in devices() if method.kind != "classical" else ["cpu"]:
            job = EnhanceJob(image=image, scale=2, model=method.id, device=device)
            timed(EnhanceJob(image=image[:64, :64], scale=2, model=method.id, device=device))
            seconds, cpu = timed_with_cpu(job, 1 if method.kind != "classical" else 2)
            baseline = baseline or seconds
            rows.append(Row("enhance", f"x2 {method.id}", device, width * height / 1e6, seconds,
                            baseline, cpu, goal=GOALS["enhance"]))  # fmt: skip
    return rows


def memory_child(case: str) -> None:
    """Run one 24 MP job in this fresh process and print its peak memory as JSON."""
    from sdstudio.engine.runner import run_job  # noqa: F401  (imports count as baseline)
    from sdstudio.jobs import EnhanceJob, StyleJob

    kind, name = case.split(":", 1)
    image = test_photo(6000, 4000)
    if kind == "style":
        import torch  # noqa: F401

        import sdstudio.engine.style.run  # noqa: F401

        job = StyleJob(image=image, preset=name, device="cpu")
    else:
        job = EnhanceJob(image=image, scale=2, model=name, device="cpu")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds, cpu = timed_with_cpu(job)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"before_mb": before, "peak_mb": peak, "seconds": seconds, "cpu": cpu}))


def bench_memory(cases: list[str]) -> list[Row]:
    rows = []
    for case in cases:
        done = subprocess.run(
            [sys.executable, __file__, "--memory-child", case], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"memory case {case} failed:\n{done.stderr}", file=sys.stderr)
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        kind, name = case.split(":", 1)
        label = f"{name} 24 MP" if kind == "style" else f"x2 {name} 24 MP"
        rows.append(Row(kind, label, "cpu", 24.0, result["seconds"], None, result["cpu"],
                        result["peak_mb"], goal=f"peak < {MEMORY_GOAL_MB} MB"))  # fmt: skip
    return rows


def print_table(rows: list[Row]) -> None:
    header = ("job", "case", "device", "MP", "seconds", "ms/MP", "x baseline", "CPU s", "peak MB",
              "goal")  # fmt: skip
    lines = [header]
    for row in rows:
        ratio = f"{row.seconds / row.baseline_seconds:.2f}" if row.baseline_seconds else "-"
        peak = f"{row.peak_mb:.0f}" if row.peak_mb else "-"
        cpu = f"{row.cpu_seconds:.2f}" if row.cpu_seconds is not None else "-"
        lines.append((row.job, row.case, row.device, f"{row.megapixels:.2f}", f"{row.seconds:.3f}",
                      f"{row.ms_per_mp:.0f}", ratio, cpu, peak, row.goal))  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller images, no 24 MP cases")
    parser.add_argument("--only", choices=("repair", "style", "enhance", "memory"), nargs="*")
    parser.add_argument(
        "--memory-all", action="store_true", help="24 MP peak memory of every style preset"
    )
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's own)")
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return 0
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, CUDA: {gpu}")
    print(f"load average {os.getloadavg()[0]:.1f} (timings from a busy machine are inflated)")
    wanted = set(args.only or ("repair", "style", "enhance", "memory"))
    rows: list[Row] = []
    if "repair" in wanted:
        rows += bench_repair(args.quick)
    if "style" in wanted:
        rows += bench_style(args.quick)
    if "enhance" in wanted:
        rows += bench_enhance(args.quick)
    if "memory" in wanted and not args.quick:
        from sdstudio.engine.style import STYLE_PRESETS

        # Watercolour has the most full-size intermediates; --memory-all checks the rest.
        styles = list(STYLE_PRESETS) if args.memory_all else ["watercolour"]
        rows += bench_memory([f"style:{name}" for name in styles] + ["enhance:lanczos"])
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
