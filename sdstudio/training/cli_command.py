"""``sdstudio train``: fine-tune or train a model from the command line.

Runs the trainer in this process (so ``torchrun --nproc_per_node=N -m sdstudio train ...``
trains on N GPUs) and prints progress with an ETA. Ctrl+C stops after writing a
checkpoint; ``--resume`` continues it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from sdstudio.errors import UserFacingError
from sdstudio.tasks import Task
from sdstudio.training.config import PRESETS, TASKS, TrainingConfig, format_duration
from sdstudio.training.new_run import RunChoices, new_run_config

PRINT_INTERVAL_S = 2.0


def add_train_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "train",
        help="fine-tune a repair, enhance, style or damage-finder model on a folder of photos",
        description=(
            "Train a model on your own photos. Repair and enhance learn from plain photos "
            "(damage and degradations are simulated); style learns from content photos and "
            "a folder of style examples; the damage finder learns from photos with "
            "rendered damage and, with --masks, from scans whose damage you marked. The "
            "model is saved to your models folder and appears in the app's panels."
        ),
    )
    parser.add_argument("--task", choices=TASKS, help="what the model learns")
    parser.add_argument("--data", help="folder of photos (searched recursively)")
    parser.add_argument("photos", nargs="?", metavar="PHOTOS", help="the same as --data")
    parser.add_argument(
        "--masks",
        help="damage: folder of masks you marked (white = damage), named as their photos",
    )
    parser.add_argument("--style-data", help="style: folder of style examples (paintings...)")
    parser.add_argument("--name", required=True, help="name of the model (and of the run)")
    parser.add_argument(
        "--style-preset", help="style: the Style panel preset the model backs (e.g. oil_painting)"
    )
    parser.add_argument("--base", help="model to fine-tune (file, file name or model name)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick", help="run length")
    parser.add_argument("--steps", type=int, help="training steps (overrides the preset)")
    parser.add_argument("--batch-size", type=int, help="crops per step (overrides the preset)")
    parser.add_argument("--crop", type=int, help="crop size in pixels (overrides the preset)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    parser.add_argument("--scale", type=int, choices=(1, 2, 4), default=2, help="enhance scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, help="generator and discriminator learning rate")
    parser.add_argument("--hyperparameters", help="JSON network arguments (from scratch only)")
    parser.add_argument("--config", help="JSON object of further TrainingConfig fields")
    parser.add_argument("--resume", action="store_true", help="continue the run named --name")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainingConfig:
    data = args.data or args.photos
    if not args.task or not data:
        raise UserFacingError("--task and --data are needed (or --resume with --name).")
    overrides: dict = {}
    if args.batch_size:
        overrides["batch_size"] = args.batch_size
    if args.crop:
        overrides["crop"] = args.crop
    if args.lr:
        overrides["lr_g"] = overrides["lr_d"] = args.lr
    try:
        if args.hyperparameters:
            overrides["hyperparameters"] = json.loads(args.hyperparameters)
        extra = json.loads(args.config) if args.config else {}
    except json.JSONDecodeError as error:
        raise UserFacingError(f"Bad JSON in --hyperparameters or --config: {error}") from error
    if not isinstance(extra, dict):
        raise UserFacingError("--config must be a JSON object of training settings.")
    choices = RunChoices(
        task=args.task,
        data_dir=os.path.abspath(data),
        style_data_dir=os.path.abspath(args.style_data) if args.style_data else None,
        mask_dir=os.path.abspath(args.masks) if args.masks else None,
        name=args.name,
        base_model=args.base,
        style_preset=args.style_preset,
        device=args.device,
        seed=args.seed,
        scale=args.scale,
        preset=args.preset,
        steps=args.steps,
        overrides={**overrides, **extra},  # --config wins over the other flags
    )
    return new_run_config(choices)


def run_train(args: argparse.Namespace) -> int:
    from sdstudio.training import events as ev
    from sdstudio.training.trainer import train

    main = int(os.environ.get("RANK", "0")) == 0
    say = print if main else (lambda *a, **k: None)
    try:
        if args.resume:
            config = TrainingConfig(task=Task.REPAIR, data_dir="", name=args.name)
        else:
            config = config_from_args(args)
        if not args.resume:
            say(f"Estimated time: about {format_duration(estimated_seconds(config))}")
        run = train(config, resume=args.resume, steps=args.steps if args.resume else None)
    except UserFacingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    last_print = 0.0
    step = 0
    finished = None
    try:
        while True:
            try:
                event = next(run)
            except StopIteration as done:
                if finished is not None:
                    for line in result_lines(finished):
                        say(line)
                say(f"Model saved: {done.value}")
                return 0
            if isinstance(event, ev.RunStarted):
                say(
                    f"Training on {event.image_count} image(s) on {event.device}; "
                    f"steps {event.start_step}/{event.total_steps}; run folder {event.run_dir}"
                )
                for note in event.notes:
                    say(f"  note: {note}")
            elif isinstance(event, ev.StepDone):
                step = event.step
                now = time.monotonic()
                if now - last_print >= PRINT_INTERVAL_S or event.step == event.total_steps:
                    last_print = now
                    say(progress_line(event), flush=True)
            elif isinstance(event, ev.GuardTriggered):
                say(
                    f"stability guard: {event.message} Rolled back to step {event.rolled_back_to}, "
                    f"learning rate now {event.new_learning_rate:.2g}."
                )
            elif isinstance(event, ev.SampleGridSaved):
                say(f"samples: {event.path}")
            elif isinstance(event, ev.Validated):
                say("validation: " + format_scores(event.scores))
            elif isinstance(event, ev.RunFinished):
                finished = event
    except KeyboardInterrupt:
        run.close()  # writes the checkpoint
        say(
            f"\nStopped at step {step}; the checkpoint is kept. Continue with: "
            f"sdstudio train --name {args.name!r} --resume"
        )
        return 130
    except UserFacingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


# The held-out score each task's verdict is read by: (key, what it measures, unit).
PRIMARY = {
    Task.REPAIR: ("psnr_hole", "PSNR inside the repaired area", " dB"),
    Task.ENHANCE: ("psnr", "PSNR", " dB"),
    Task.DAMAGE: ("f1", "pixel F1 of the damage found, 2 px tolerance", ""),
}


def result_lines(finished) -> list[str]:
    """The end of a run in plain words: held-out score base -> tuned, verdict, time."""
    lines = []
    scores = finished.scores
    unit = ""
    for key, what, unit_of_key in PRIMARY.values():
        base = (scores.get("base") or {}).get(key)
        model = (scores.get("model") or {}).get(key)
        if base is None or model is None:
            continue
        unit = unit_of_key
        lines.append(
            f"Held-out score ({finished.held_out_count} photo(s), {what}): "
            f"base {base:.2f}{unit} -> tuned {model:.2f}{unit} ({model - base:+.2f}{unit})"
        )
    if finished.outcome == "no_better":
        gain = finished.gain_db
        best = f" (best {gain:+.2f}{unit})" if gain is not None else ""
        lines.append(
            f"No better than the model it started from{best}: the file holds the starting "
            "model unchanged and is not chosen automatically."
        )
    if finished.comparison_path:
        lines.append(
            f"Side by side (starting model | new model | original): {finished.comparison_path}"
        )
    lines.append(f"Time taken: {format_duration(finished.elapsed_seconds)}")
    return lines


def estimated_seconds(config: TrainingConfig) -> float:
    from sdstudio.training.estimate import estimate_run_seconds
    from sdstudio.training.model_setup import resolve_device

    return estimate_run_seconds(config, resolve_device(config.device).type)


def format_scores(scores: dict) -> str:
    parts = []
    for who in ("model", "base", "classical"):
        values = scores.get(who)
        if values:
            text = ", ".join(f"{key} {value:.3f}" for key, value in values.items())
            parts.append(f"{who}: {text}")
    return "; ".join(parts)


def progress_line(event) -> str:
    g_loss = event.losses.get("g_total", 0.0)
    d_loss = event.losses.get("d_total", 0.0)
    return (
        f"step {event.step}/{event.total_steps}  G {g_loss:.4f}  D {d_loss:.4f}  "
        f"{event.images_per_second:.1f} img/s  ETA {format_duration(event.eta_seconds)}"
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m sdstudio.training.cli_command ...``: the same as ``sdstudio train ...``."""
    parser = argparse.ArgumentParser(prog="sdstudio")
    add_train_parser(parser.add_subparsers(dest="command", required=True))
    return run_train(parser.parse_args(["train", *(sys.argv[1:] if argv is None else argv)]))


if __name__ == "__main__":
    sys.exit(main())
