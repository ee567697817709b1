"""Does fine-tuning on a folder of one look make the shipped models better on it?

    .venv/bin/python benchmarks/fine_tune.py                      # every look, task, preset
    .venv/bin/python benchmarks/fine_tune.py --quick-only --folders comic,pencil
    .venv/bin/python benchmarks/fine_tune.py --tasks enhance --threads 1

For each look of ``benchmarks/look_folders.py`` it renders 30 photos of
``../shared/photos/train`` into a temporary folder: 24 go into the training folder (the
trainer holds a fifth of them out for its own validation and keep-best), 6 are never seen
by the run and are what the table scores. Each task starts from its shipped model
(enhance x2, repair) and runs the wizard's preset exactly as the wizard configures it
(``TrainingConfig.with_preset``; the base model's recipe is continued by the trainer).

Scores: enhance x2 = PSNR of the 6 test photos (centre squares) degraded with the base
model's own degradation profile and enlarged; repair = PSNR inside the hole, masks of
every validation kind. The table shows base dB, tuned dB, gain, the run's minutes, the
estimate shown before it started, and the run's verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.look_folders import LOOKS, write_look_folder  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BASES = {
    "enhance": REPO / "models" / "sdstudio-enhance-x2.safetensors",
    "repair": REPO / "models" / "sdstudio-repair.safetensors",
}
FOLDER_SIZE, TEST_COUNT = 30, 6
TEST_SIZE = 320  # centre squares scored, px
TEST_SEED = 7  # masks and degradations of the test photos (not the trainer's seed 0)


def score_model(model_path: Path, task: str, test_images: list, degradation: str | None):
    """Mean PSNR of a model file on the test photos (the task's primary score)."""
    import torch

    from sdstudio.engine.architectures import is_guided
    from sdstudio.engine.model_file import load_network, read_model_info
    from sdstudio.training.config import TrainingConfig
    from sdstudio.training.objectives import objective_for
    from sdstudio.training.validation import Validator

    info = read_model_info(model_path)
    network = load_network(info, "cpu").eval()
    guided = is_guided(info.architecture)
    scale = int(info.hyperparameters.get("scale", 2))
    config = TrainingConfig(task=task, data_dir="", name="score", degradation=degradation)
    objective = objective_for(config, guided=guided, scale=scale)
    validator = Validator(objective, test_images, TEST_SIZE, TEST_SEED)

    @torch.no_grad()
    def run(inputs):
        return network(torch.from_numpy(inputs)).clamp(0, 1).numpy()

    scores, _ = validator.score(run)
    return scores["psnr_hole" if task == "repair" else "psnr"]


def run_one(
    look: str, task: str, preset: str, work: Path, device: str, overrides: dict | None = None
) -> dict:
    from sdstudio.engine.model_file import read_model_info
    from sdstudio.training import events as ev
    from sdstudio.training.config import TrainingConfig
    from sdstudio.training.datasets import decode_image
    from sdstudio.training.estimate import estimate_run_seconds
    from sdstudio.training.recipe import apply_base_recipe, read_recipe
    from sdstudio.training.trainer import train

    folder = work / "looks" / look
    if not folder.is_dir():
        write_look_folder(look, folder / "all", FOLDER_SIZE)
        files = sorted((folder / "all").iterdir())
        (folder / "train").mkdir()
        (folder / "test").mkdir()
        for index, path in enumerate(files):
            path.rename(
                folder / ("test" if index >= FOLDER_SIZE - TEST_COUNT else "train") / path.name
            )
    tests = [decode_image(p) for p in sorted((folder / "test").iterdir())]
    base = BASES[task]
    degradation = read_recipe(read_model_info(base).metadata).get("degradation")
    config = TrainingConfig(
        task=task,
        data_dir=str(folder / "train"),
        name=f"{look}-{task}-{preset}" + (f"-{abs(hash(str(overrides)))}" if overrides else ""),
        base_model=str(base),
        device=device,
    ).with_preset(preset)
    apply_base_recipe(config)  # what the trainer does; then an experiment's overrides
    for key, value in (overrides or {}).items():
        setattr(config, key, value)
    estimate = estimate_run_seconds(config, device_kind="cpu")
    started, cpu_started = time.monotonic(), time.process_time()
    finished = None
    run = train(config)
    while True:
        try:
            event = next(run)
        except StopIteration as done:
            model_path = Path(done.value)
            break
        if isinstance(event, ev.RunFinished):
            finished = event
    seconds = time.monotonic() - started
    # CPU seconds of this process: on a shared machine this, not the wall time, is what
    # the run would take on a quiet one (the benchmark trains on one thread).
    cpu_seconds = time.process_time() - cpu_started
    base_db = score_model(base, task, tests, degradation)
    tuned_db = score_model(model_path, task, tests, degradation)
    return {
        "look": look,
        "task": task,
        "preset": preset,
        "base": base_db,
        "tuned": tuned_db,
        "gain": tuned_db - base_db,
        "minutes": seconds / 60.0,
        "cpu_minutes": cpu_seconds / 60.0,
        "estimate_minutes": estimate / 60.0,
        "outcome": finished.outcome if finished else "?",
        "held_out_gain": finished.gain_db if finished else None,
    }


def format_row(row: dict) -> str:
    return (
        f"{row['look']:<12} {row['task']:<8} {row['preset']:<9} {row['base']:8.2f} "
        f"{row['tuned']:9.2f} {row['gain']:+7.2f} {row['minutes']:8.2f} "
        f"{row['cpu_minutes']:8.2f} {row['estimate_minutes']:8.2f}  {row['outcome']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folders", default=",".join(LOOKS), help="looks, comma-separated")
    parser.add_argument("--tasks", default="enhance,repair")
    parser.add_argument("--presets", default="quick,standard")
    parser.add_argument("--quick-only", action="store_true")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--work", type=Path, help="keep folders and runs here (default: temp)")
    parser.add_argument("--config", help="experiments: JSON of TrainingConfig fields to override")
    args = parser.parse_args(argv)
    presets = ["quick"] if args.quick_only else args.presets.split(",")
    work = args.work or Path(tempfile.mkdtemp(prefix="sdstudio-fine-tune-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["SDSTUDIO_DATA_DIR"] = str(work / "data")
    import torch

    torch.set_num_threads(args.threads)
    print(f"work folder {work}; {args.threads} thread(s)", flush=True)
    header = (
        f"{'look':<12} {'task':<8} {'preset':<9} {'base dB':>8} {'tuned dB':>9} {'gain':>7} "
        f"{'wall min':>8} {'cpu min':>8} {'est min':>8}  verdict"
    )
    rows = []
    for look in args.folders.split(","):
        for task in args.tasks.split(","):
            for preset in presets:
                overrides = json.loads(args.config) if args.config else None
                row = run_one(look, task, preset, work, "cpu", overrides)
                rows.append(row)
                print(format_row(row), flush=True)
    print()
    print(header)
    for row in rows:
        print(format_row(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
