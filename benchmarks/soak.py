"""Soak run: many consecutive Repair / Style / Enhance jobs on one document.

Usage: python benchmarks/soak.py [--jobs 200] [--width 256] [--height 192] [--undo-mb 64]

Runs the real main window headless (offscreen) with the real engine on the job worker,
the way a person clicking the panels would, autosave included. Prints a table: resident
memory (RSS) after the first 10 jobs (the baseline: engine, models and caches loaded)
and at the end, the growth in percent (goal: under 10 %), and how much pixel memory the
undo history holds against its limit. Exits 1 if the growth goal is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BASELINE_JOBS = 10
GROWTH_GOAL_PERCENT = 10.0


def rss_bytes() -> int:
    """Resident set size of this process now (not the peak)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import psutil  # macOS / Windows

        return int(psutil.Process().memory_info().rss)


def soak_photo(width: int, height: int):
    import numpy as np
    from PIL import Image

    from sdstudio.paths import example_photo_path

    path = example_photo_path()
    if path.exists():
        image = Image.open(path).convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        return np.asarray(image).copy()
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 / width, y * 255 / height, np.full_like(x, 128)], -1)
    return np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--height", type=int, default=192)
    parser.add_argument(
        "--undo-mb",
        type=int,
        default=64,
        help="undo memory budget; the default makes the history drop its oldest steps",
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="sdstudio-soak-")
    os.environ["SDSTUDIO_DATA_DIR"] = data_dir  # autosaves and settings stay out of the way
    os.environ["SDSTUDIO_SETTINGS_DIR"] = str(Path(data_dir) / "settings")

    import numpy as np
    from PySide6.QtCore import QEventLoop, QTimer

    from sdstudio.app.history_details import undo_memory_bytes
    from sdstudio.app.main import create_application, create_main_window
    from sdstudio.engine.style.presets_info import style_names_and_descriptions
    from sdstudio.imaging.image_io import LoadedImage
    from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob

    app = create_application()
    window = create_main_window()
    window.show()
    window.undo_limit.set_memory_mb(args.undo_mb)
    photo = soak_photo(args.width, args.height)
    document = window.document
    document.open_loaded(LoadedImage(pixels=photo, path=Path(data_dir) / "soak.png"))
    mask = np.zeros(photo.shape[:2], np.uint8)
    mask[args.height // 3 : args.height // 2, args.width // 3 : args.width // 2] = 255
    document.set_mask(mask, "Soak mask")
    presets = [preset.id for preset in style_names_and_descriptions()]

    def make_job(number: int):
        kind = number % 3
        image = document.image.copy()
        if kind == 0:
            return RepairJob(image=image, mask=document.mask.copy(), seed=number)
        if kind == 1:
            return StyleJob(image, presets[number % len(presets)], strength=0.6, seed=number)
        return EnhanceJob(image, sharpen=0.3, denoise=0.2, contrast=0.2)

    controller = window.job_controller
    failures: list[str] = []
    loop = QEventLoop()
    controller.result_applied.connect(lambda *_: loop.quit())
    controller.job_failed.connect(lambda _id, message: (failures.append(message), loop.quit()))
    controller._show_error_dialog = lambda title, message: None  # count, do not pop up

    rss_after_baseline = 0
    started = time.perf_counter()
    baseline_time = started
    watchdog = QTimer()  # a stuck job ends the wait, not the machine
    watchdog.setSingleShot(True)
    watchdog.timeout.connect(loop.quit)
    jobs_done = 0
    for number in range(args.jobs):
        controller.run("soak", lambda n=number: make_job(n))
        watchdog.start(300_000)
        loop.exec()
        watchdog.stop()
        if controller.is_busy():
            failures.append(f"job {number} did not finish within 5 minutes")
            break
        jobs_done += 1
        if number + 1 == BASELINE_JOBS:
            gc.collect()
            rss_after_baseline = rss_bytes()
            baseline_time = time.perf_counter()
    window.autosave.wait()
    app.processEvents()
    gc.collect()
    rss_end = rss_bytes()
    elapsed = time.perf_counter() - baseline_time
    stack = document.undo_stack
    undo_bytes = undo_memory_bytes(stack)
    limit_mb = window.undo_limit.memory_mb()
    growth = 100.0 * (rss_end - rss_after_baseline) / max(rss_after_baseline, 1)
    mb = 1024 * 1024
    rows = [
        ("jobs run (failed)", f"{jobs_done} ({len(failures)})"),
        ("photo", f"{args.width} x {args.height}"),
        (f"RSS after {BASELINE_JOBS} jobs (baseline)", f"{rss_after_baseline / mb:.1f} MB"),
        (f"RSS after {args.jobs} jobs", f"{rss_end / mb:.1f} MB"),
        ("RSS growth vs baseline", f"{growth:+.1f} % (goal < {GROWTH_GOAL_PERCENT:.0f} %)"),
        ("undo steps kept / limit", f"{stack.count()} / {stack.undoLimit()}"),
        ("undo pixel memory / budget", f"{undo_bytes / mb:.1f} MB / {limit_mb} MB"),
        ("autosaves written", str(window.autosave.saves)),
        ("seconds per job after baseline", f"{elapsed / max(args.jobs - BASELINE_JOBS, 1):.3f}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if failures:
        print("first failure:", failures[0])
    document.undo_stack.setClean()
    window.close()
    ok = growth < GROWTH_GOAL_PERCENT and undo_bytes <= limit_mb * mb and not failures
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
