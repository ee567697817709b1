"""Train the damage detector (``models/sdstudio-damage.safetensors``), resumably, on CPU.

    .venv/bin/python scripts/train_damage_detector.py --minutes 80
    .venv/bin/python scripts/train_damage_detector.py --steps 3 --photos tiny/ --checkpoints /tmp/c

Crops of the training photos get rendered damage (``training.damage_render``) from
render worker processes while the main process trains with one torch thread: BCE with
positive weighting plus soft dice, Adam, cosine learning rate over the budget, and an
EMA of the weights, which is what gets scored and exported. Everything needed to go on
lives in ``--checkpoints`` (outside the repository): a run that is stopped and started
again with the same command continues where it was. The budget (``--minutes`` of
training time, ``--steps``) counts across resumes. Every ``--export-minutes`` the EMA is
scored on a few held-out TRAIN photos (never val/) and exported when it is the best so
far, so the model file is always a usable one.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import shutil
import signal
import sys
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from sdstudio.training.damage_batches import (  # noqa: E402
    PhotoPool,
    load_rgb,
    photo_files,
    resize_long_side,
    split_holdout,
    start_worker,
    worker_batch,
)

CROP_SIZES = (128, 144, 160, 176, 192)
HOLDOUT_SEED = 1234  # damage on the held-out photos is the same at every check
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.93, 0.95)
MAX_CLEAN_MARKED = 0.002  # the target: at most 0.2 % of a clean photo marked


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", default=str(REPO.parent / "shared/photos/train"))
    parser.add_argument("--checkpoints", default="/work/ckpt/damage")
    parser.add_argument("--export", default=str(REPO / "models/sdstudio-damage.safetensors"))
    parser.add_argument("--minutes", type=float, default=None, help="training-time budget")
    parser.add_argument("--steps", type=int, default=None, help="step budget")
    parser.add_argument("--export-minutes", type=float, default=8.0)
    parser.add_argument("--log-seconds", type=float, default=60.0)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--pos-weight", type=float, default=1.0)
    parser.add_argument("--dice-weight", type=float, default=0.5)
    parser.add_argument("--ema", type=float, default=0.999)
    parser.add_argument("--widths", default="16,32,48,64")
    parser.add_argument("--deep-blocks", type=int, default=3)
    parser.add_argument("--cue-kernel", type=int, default=9)
    parser.add_argument("--holdout", type=int, default=8, help="train photos kept for scoring")
    parser.add_argument("--holdout-side", type=int, default=512)
    parser.add_argument("--render-workers", type=int, default=1, help="0: render inline")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    if args.minutes is None and args.steps is None:
        parser.error("give a budget: --minutes and/or --steps")
    return args


def hyperparameters(args: argparse.Namespace) -> dict:
    return {
        "widths": [int(w) for w in args.widths.split(",")],
        "deep_blocks": args.deep_blocks,
        "in_channels": 5,
        "cue_kernel": args.cue_kernel,
    }


class BatchSource:
    """Batches by seed (``seed * 1_000_003 + step``), rendered ahead in worker processes."""

    def __init__(self, files: list[Path], args: argparse.Namespace, hyper: dict) -> None:
        self.args, self.hyper = args, hyper
        self.inline = PhotoPool(files) if args.render_workers <= 0 else None
        self.pending: deque = deque()
        self.pool = None
        if self.inline is None:
            context = multiprocessing.get_context("spawn")
            self.pool = context.Pool(
                args.render_workers, initializer=start_worker, initargs=([str(f) for f in files],)
            )

    def _job(self, step: int):
        crop = CROP_SIZES[step % len(CROP_SIZES)]
        return (self.args.seed * 1_000_003 + step, self.args.batch_size, crop,
                self.hyper["in_channels"], self.hyper["cue_kernel"])  # fmt: skip

    def get(self, step: int):
        if self.inline is not None:
            seed, batch_size, size, channels, kernel = self._job(step)
            batch = self.inline.batch(
                seed, batch_size=batch_size, size=size, in_channels=channels, cue_kernel=kernel
            )
            return batch.inputs, batch.masks
        while len(self.pending) < 3 * self.args.render_workers + 1:
            ahead = step + len(self.pending)
            self.pending.append(self.pool.apply_async(worker_batch, self._job(ahead)))
        return self.pending.popleft().get()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def holdout_samples(files: list[Path], side: int) -> list[tuple[np.ndarray, ...]]:
    """(damaged, mask, clean) for each held-out photo, the same at every check."""
    from sdstudio.training.damage_render import render_damage

    rng = np.random.default_rng(HOLDOUT_SEED)
    samples = []
    for path in files:
        clean = resize_long_side(load_rgb(path), side)
        samples.append((*render_damage(rng, clean), clean))
    return samples


def holdout_scores(network, samples, hyper: dict) -> dict:
    """Pixel F1 (2 px) on the damaged held-out photos and the fraction marked on their
    clean versions, at every candidate threshold; picks the operating threshold: the best
    F1 among thresholds that mark at most MAX_CLEAN_MARKED of the clean pixels (the best
    F1 overall when none does)."""
    import torch

    from sdstudio.engine.damage import network_input
    from sdstudio.training.damage_scores import MaskCounts

    damaged_counts = {t: MaskCounts() for t in THRESHOLDS}
    clean_counts = {t: MaskCounts() for t in THRESHOLDS}
    network.eval()
    with torch.inference_mode():
        for damaged, truth, clean in samples:
            for image, counts, target in ((damaged, damaged_counts, truth),
                                          (clean, clean_counts, np.zeros_like(truth))):  # fmt: skip
                planes = network_input(
                    image, in_channels=hyper["in_channels"], cue_kernel=hyper["cue_kernel"]
                )
                logits = network(torch.from_numpy(planes.transpose(2, 0, 1).copy())[None])
                probability = torch.sigmoid(logits[0, 0]).numpy()
                for threshold in THRESHOLDS:
                    counts[threshold].add((probability > threshold).astype(np.uint8), target)
    quiet = [t for t in THRESHOLDS if clean_counts[t].marked_fraction <= MAX_CLEAN_MARKED]
    chosen = max(quiet or THRESHOLDS, key=lambda t: damaged_counts[t].f1)
    return {
        "operating_threshold": chosen,
        "f1": round(damaged_counts[chosen].f1, 4),
        "precision": round(damaged_counts[chosen].precision, 4),
        "recall": round(damaged_counts[chosen].recall, 4),
        "clean_marked_percent": round(100 * clean_counts[chosen].marked_fraction, 4),
        "f1_at_0.5": round(damaged_counts[0.5].f1, 4),
    }


def damage_loss(logits, target, *, pos_weight: float, dice_weight: float):
    import torch
    from torch.nn import functional as F

    bce = F.binary_cross_entropy_with_logits(
        logits, target, pos_weight=torch.tensor(pos_weight, dtype=logits.dtype)
    )
    probability = torch.sigmoid(logits)
    overlap = (probability * target).sum()
    dice = 1 - (2 * overlap + 1) / (probability.sum() + target.sum() + 1)
    return bce + dice_weight * dice


def save_checkpoint(path: Path, state: dict) -> None:
    import torch

    temp = path.with_suffix(".tmp")
    torch.save(state, temp)
    os.replace(temp, path)


def export_model(args, ema, hyper: dict, step: int, scores: dict, image_count: int) -> None:
    from sdstudio.engine.model_file import save_model

    config = {
        "steps": step, "seed": args.seed, "batch_size": args.batch_size,
        "crop": list(CROP_SIZES), "lr": args.lr, "pos_weight": args.pos_weight,
        "dice_weight": args.dice_weight, "ema": args.ema, "minutes": args.minutes,
    }  # fmt: skip
    save_model(
        args.export, ema, task="damage", architecture="damage_unet", hyperparameters=hyper,
        name="SD Studio damage finder",
        description="Proposes a mask of scratches, dust, cracks, creases, stains and torn "
        "corners; leaves wires, branches and hair alone.",
        version="1",
        extra_metadata={
            "steps": step, "seed": args.seed, "config": config, "image_count": image_count,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "validation": {**scores, "holdout": f"{args.holdout} TRAIN photos never "
                           f"trained on, {args.holdout_side} px, tolerance 2 px"},
            "command": "scripts/train_damage_detector.py " + " ".join(sys.argv[1:]),
            "hardware": f"CPU ({platform.machine()}, {os.cpu_count()} cores), 1 torch thread",
            "training_data": f"{Path(args.photos).name} photos with rendered damage "
            "(sdstudio.training.damage_render)",
            "operating_threshold": str(scores.get("operating_threshold", 0.5)),
        },
    )  # fmt: skip


def train(args: argparse.Namespace) -> dict:
    import torch

    from sdstudio.engine.networks import DamageUNet

    torch.set_num_threads(1)
    hyper = hyperparameters(args)
    checkpoints = Path(args.checkpoints)
    checkpoints.mkdir(parents=True, exist_ok=True)
    last = checkpoints / "last.pt"
    files, held = split_holdout(photo_files(args.photos), args.holdout)
    torch.manual_seed(args.seed)
    network, ema = DamageUNet(**hyper), DamageUNet(**hyper)
    ema.load_state_dict(network.state_dict())
    ema.requires_grad_(False)
    optimizer = torch.optim.Adam(network.parameters(), lr=args.lr)
    state = {"step": 0, "elapsed": 0.0, "best_f1": -1.0, "exports": 0}
    if last.exists():
        saved = torch.load(last, map_location="cpu", weights_only=True)
        if saved["hyperparameters"] != hyper:
            raise SystemExit(f"{last} was trained with {saved['hyperparameters']}, not {hyper}")
        network.load_state_dict(saved["network"])
        ema.load_state_dict(saved["ema"])
        optimizer.load_state_dict(saved["optimizer"])
        state.update(saved["state"])
        print(f"resumed from {last} at step {state['step']}", flush=True)
    samples = holdout_samples(held, args.holdout_side) if held else []
    source = BatchSource(files, args, hyper)
    budget_seconds = args.minutes * 60 if args.minutes is not None else math.inf
    budget_steps = args.steps if args.steps is not None else math.inf

    def checkpoint() -> None:
        save_checkpoint(last, {
            "network": network.state_dict(), "ema": ema.state_dict(),
            "optimizer": optimizer.state_dict(), "state": dict(state), "hyperparameters": hyper,
        })  # fmt: skip

    def checkpoint_and_export() -> None:
        """Export the EMA (the latest is always a usable model file) and keep a copy of
        the best-scoring one beside the checkpoint."""
        scores = holdout_scores(ema, samples, hyper) if samples else {"f1": 0.0}
        f1 = scores["f1"]
        export_model(args, ema, hyper, state["step"], scores, len(files))
        state["exports"] += 1
        if f1 >= state["best_f1"]:
            state["best_f1"] = f1
            shutil.copyfile(args.export, checkpoints / "best.safetensors")
        checkpoint()
        print(f"step {state['step']} holdout {scores} (best F1 {state['best_f1']:.4f}) "
              f"exported {args.export}", flush=True)  # fmt: skip

    def out_of_budget() -> bool:
        return state["step"] >= budget_steps or state["elapsed"] >= budget_seconds

    last_log = last_export = time.monotonic()
    losses: list[float] = []
    crops_since_log = 0
    try:
        while not out_of_budget():
            started = time.monotonic()
            inputs, masks = source.get(state["step"])
            fraction = min(1.0, state["elapsed"] / budget_seconds) if budget_seconds < math.inf \
                else state["step"] / budget_steps  # fmt: skip
            warmup = min(1.0, (state["step"] + 1) / 200)
            lr = args.lr * warmup * max(0.05, 0.5 * (1 + math.cos(math.pi * fraction)))
            for group in optimizer.param_groups:
                group["lr"] = lr
            network.train()
            logits = network(torch.from_numpy(inputs))
            loss = damage_loss(logits, torch.from_numpy(masks), pos_weight=args.pos_weight,
                               dice_weight=args.dice_weight)  # fmt: skip
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            with torch.no_grad():
                decay = min(args.ema, (1 + state["step"]) / (10 + state["step"]))
                for kept, live in zip(ema.parameters(), network.parameters(), strict=True):
                    kept.lerp_(live, 1 - decay)
            state["step"] += 1
            state["elapsed"] += time.monotonic() - started
            losses.append(float(loss.detach()))
            crops_since_log += len(inputs)
            now = time.monotonic()
            if now - last_log >= args.log_seconds:
                print(f"step {state['step']} loss {np.mean(losses):.4f} lr {lr:.2e} "
                      f"crops/s {crops_since_log / (now - last_log):.1f} "
                      f"trained {state['elapsed'] / 60:.1f} min", flush=True)  # fmt: skip
                losses, crops_since_log, last_log = [], 0, now
            if now - last_export >= args.export_minutes * 60:
                checkpoint_and_export()
                last_export = time.monotonic()
        checkpoint_and_export()
    except KeyboardInterrupt:
        checkpoint()  # stopped (Ctrl+C or kill): keep every step done so far
        print(f"stopped at step {state['step']}; checkpoint saved", flush=True)
        raise
    finally:
        source.close()
    print(f"done: {state['step']} steps, {state['elapsed'] / 60:.1f} min", flush=True)
    return state


def _interrupt_on_terminate(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _interrupt_on_terminate)
    try:
        train(parse_args())
    except KeyboardInterrupt:
        sys.exit(130)
