"""Training throughput and time to the first sample grid: one command, one table.

    .venv/bin/python benchmarks/training.py                # ~3 minutes on a 2-core CPU
    .venv/bin/python benchmarks/training.py --steps 4      # shorter
    .venv/bin/python benchmarks/training.py --data FOLDER  # your own photos

For every task it runs the wizard's quick preset (the engine's default network sizes) and
prints crops per second of the full adversarial step beside a plain L1 step of the same
generator measured in the same run (the baseline: the ratio is what the discriminator,
R1, feature matching and the stability guard cost), and the seconds from starting the
run (scanning the folder, building the networks) to the first sample grid on disk, the
thing the wizard shows first. Runs on the CPU and, when there is one, on CUDA. The goal
(issue 4): first sample in under a minute on a CPU.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "photos" / "val"
FIRST_SAMPLE_GOAL_S = 60.0


@dataclass
class Row:
    task: str
    device: str
    crops_per_s: float
    baseline_crops_per_s: float
    first_sample_s: float
    estimate: str


def synthetic_folder(folder: Path, count: int = 12) -> Path:
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        ys, xs = np.mgrid[0:480, 0:640].astype(np.float32)
        image = np.stack([120 + 60 * np.sin(xs / rng.uniform(8, 40) + c) for c in range(3)], 2)
        image += 30 * np.cos(ys / rng.uniform(6, 30))[:, :, None] + rng.normal(0, 5, image.shape)
        cv2.imwrite(str(folder / f"{index}.png"), np.clip(image, 0, 255).astype(np.uint8))
    return folder


def measure(task: str, device: str, data: Path, style: Path, steps: int, adversarial: bool):
    """(crops per second after warm-up, seconds to the first sample grid)."""
    from sdstudio.training import events as ev
    from sdstudio.training.config import TrainingConfig
    from sdstudio.training.trainer import train

    config = TrainingConfig(
        task=task,
        data_dir=str(data),
        style_data_dir=str(style),
        device=device,
        name=f"bench-{task}-{device}-{'gan' if adversarial else 'l1'}-{time.time_ns()}",
    ).with_preset("quick")
    config.steps = steps + 2
    config.validate_every = 10_000
    config.checkpoint_every = 10_000
    if not adversarial:
        config.adv_weight = 0.0
    started = time.monotonic()
    first_sample = float("nan")
    step_times = []
    for event in train(config):
        if isinstance(event, ev.SampleGridSaved) and first_sample != first_sample:
            first_sample = time.monotonic() - started
        if isinstance(event, ev.StepDone):
            step_times.append(time.monotonic())
    timed = step_times[2:]  # the first steps warm up kernels and caches (and include validation)
    per_step = (timed[-1] - timed[0]) / max(1, len(timed) - 1) if len(timed) > 1 else float("nan")
    return config.batch_size / per_step, first_sample


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per measurement")
    parser.add_argument("--tasks", default="repair,enhance,style")
    args = parser.parse_args()

    import torch

    from sdstudio.training.config import estimate_seconds, format_duration, training_threads

    torch.set_num_threads(training_threads())  # what the wizard's training process uses

    scratch = Path(tempfile.mkdtemp(prefix="sdstudio-bench-train-"))
    os.environ["SDSTUDIO_DATA_DIR"] = str(scratch / "data")  # keep benchmark models out
    data = args.data if args.data.is_dir() else synthetic_folder(scratch / "photos")
    style = synthetic_folder(scratch / "styles", 4)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    rows = []
    for device in devices:
        for task in args.tasks.split(","):
            rate, first = measure(task, device, data, style, args.steps, adversarial=True)
            baseline, _ = measure(task, device, data, style, args.steps, adversarial=False)
            estimate = format_duration(estimate_seconds(task, device, "quick"))
            rows.append(Row(task, device, rate, baseline, first, estimate))
            print(f"  measured {task} on {device}", file=sys.stderr, flush=True)

    print(
        f"\nTraining, quick preset (crop 128, batch 4), data: {data}, torch threads "
        f"{torch.get_num_threads()}\n"
    )
    header = (
        f"{'task':8} {'device':6} {'crops/s GAN':>12} {'crops/s L1':>11} {'ratio':>6} "
        f"{'first sample':>13} {'goal':>7} {'wizard estimate':>16}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row.crops_per_s / row.baseline_crops_per_s
        ok = "ok" if row.first_sample_s <= FIRST_SAMPLE_GOAL_S else "MISSED"
        print(
            f"{row.task:8} {row.device:6} {row.crops_per_s:12.2f} {row.baseline_crops_per_s:11.2f} "
            f"{ratio:6.2f} {row.first_sample_s:12.1f}s {ok:>7} {row.estimate:>16}"
        )
    print(
        "\nratio = adversarial step speed / plain L1 step speed (same run); "
        f"first-sample goal: < {FIRST_SAMPLE_GOAL_S:.0f} s on the CPU"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
