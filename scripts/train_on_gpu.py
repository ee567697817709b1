"""Train the default models' recipes on one GPU within a few minutes, writing as it goes.

    python3 scripts/pack_training_photos.py          # once, here: .gpu-data/train-photos.tar
    python3 scripts/train_on_gpu.py --data .gpu-data/train-photos.tar --out OUT --minutes 8

The recipes are ``scripts/train_default_models.py``'s (``--only`` picks some; the default
is every shipped one but repair, whose crops take the CPU 100 times longer), trained
through the same ``TrainingRun`` with bf16 autocast, a batch ``--batch-scale`` times the
recipe's (the learning rate grows with its square root, after a warm-up) and render
worker processes (``TrainingConfig.render_workers``) so the GPU is not kept waiting by
one core. Every recipe runs in its own process, all at once (``--parallel`` for fewer at
a time: the budget is then split between the waves), and the machine's cores are shared
between their render workers. A recipe trains in chunks: a short first chunk measures
its steps per second and the rest of its ``--minutes`` is planned from that; after every
chunk the model is exported into ``OUT/models`` with the recipe's name and provenance,
and ``OUT/summary.json`` (steps, crops/s, validation scores) and ``OUT/train.log`` are
rewritten, so a command stopped at its time limit still returns weights. ``--damage``
also trains the damage finder (``scripts/train_damage_detector.py``, on the CPU with
``--render-workers``: it has no GPU path) within the same budget.

Next time a GPU is lent (the device tool runs in a copy of this working tree, with the
machine's own python3, which has torch, numpy, OpenCV, Pillow and safetensors)::

    run(command="PYTHONUNBUFFERED=1 python3 scripts/train_on_gpu.py "
                "--data .gpu-data/train-photos.tar --out $OUT --minutes 8",
        carry=[".gpu-data"], timeout_s=600)

The device returns at most 8 files from ``$OUT``: the summary, the log and one model file
per recipe, so pick at most six recipes (``--damage`` counts as one). A detail variant
fine-tunes the base file its recipe names (trained first, ``--only`` by name); the
default set leaves them out. ``--device cpu
--steps 4 --batch-size 2`` rehearses the whole command here (tests/training/
test_train_on_gpu_script.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
for folder in (REPO, SCRIPTS):  # the device runs this without installing the package
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from pack_training_photos import MANIFEST, unpack  # noqa: E402
from train_default_models import (  # noqa: E402
    RECIPES,
    Recipe,
    build_config,
    log_event,
    run_chunk,
    ship,
)

RECIPES_BY_KEY = {recipe.key: recipe for recipe in RECIPES}
# Repair's guided input makes the classical fills of every crop (about 0.5 s each on one
# core, against 2-5 ms for an enhance or style crop): no GPU speeds it up, so it is left
# out unless asked for, and is best trained alone (``--only repair``, every core).
RENDER_BOUND = {"repair"}
# A fine-tune (the detail variants) needs its base file first: asked for by name only.
DEFAULT_RECIPES = [
    r.key
    for r in RECIPES
    if r.ship and r.key not in RENDER_BOUND and not r.config.get("base_model")
]
DAMAGE_KEY = "damage"
PROBE_STEPS = 60  # the first chunk: long enough to measure the steps per second
CHUNKS = 4  # the budget is planned in about this many chunks (an export after each)
MIN_CHUNK_SECONDS = 10.0  # less time than this left: stop instead of starting a chunk
WARMUP_STEPS = 100  # a scaled-up learning rate is reached gradually
LR_CAP = 2e-3  # a square-root scaled learning rate stops here (unless the recipe's is higher)
GRACE_SECONDS = 45.0  # a wave's processes may overrun the budget by this, then are stopped
POLL_SECONDS = 5.0
REPORT_SECONDS = 30.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a pack (.tar) or a folder")
    parser.add_argument("--out", type=Path, required=True, help="models, summary and log")
    parser.add_argument("--only", help="comma-separated recipe keys: " + ", ".join(RECIPES_BY_KEY))
    parser.add_argument("--damage", action="store_true", help="also train the damage finder")
    parser.add_argument("--minutes", type=float, default=8.0, help="the whole budget")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--batch-scale", type=int, default=8, help="x the recipe's batch")
    parser.add_argument("--batch-size", type=int, help="instead of --batch-scale (rehearsals)")
    parser.add_argument("--steps", type=int, help="at most this many steps per recipe")
    parser.add_argument("--render-workers", type=int, default=0, help="per job; 0 = a share")
    parser.add_argument("--parallel", type=int, default=0, help="jobs at a time; 0 = all")
    parser.add_argument("--work", type=Path, help="run folders (default: a temp folder)")
    parser.add_argument("--seed", type=int, default=0)
    # One recipe in this process, its status written to --status (the waves' processes).
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--status", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    keys = args.only.split(",") if args.only else list(DEFAULT_RECIPES)
    unknown = [key for key in keys if key not in RECIPES_BY_KEY]
    if unknown:
        parser.error(f"unknown recipe(s): {', '.join(unknown)}")
    args.keys = keys
    return args


def write_json(path: Path, value: dict) -> None:
    """Atomically: the device may stop the command in the middle of any write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=1, default=str), encoding="utf-8")
    temporary.replace(path)


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


# ----- one recipe (a child process) -----
def device_config(recipe: Recipe, args: argparse.Namespace, photos: Path):
    """The recipe's configuration for this device: its batch scaled, the learning rate
    with it, render workers; everything else is the recipe's."""
    config = build_config(recipe, photos, args.seed)
    config.device = args.device
    config.batch_size = args.batch_size or recipe.batch_size * args.batch_scale
    factor = config.batch_size / recipe.batch_size
    if factor > 1:
        # Adam's steps do not grow with the batch, so linear scaling overshoots; the
        # square root keeps the step's noise alike, and a warm-up the first big steps sane.
        for name in ("lr_g", "lr_d"):
            value = getattr(config, name)
            setattr(config, name, min(value * math.sqrt(factor), max(value, LR_CAP)))
        config.warmup_steps = max(config.warmup_steps, WARMUP_STEPS)
    config.render_workers = args.render_workers
    return config


def hardware(config) -> str:
    import torch

    cores = f"{config.render_workers} render workers, {os.cpu_count()} cores"
    if config.device.startswith("cuda") and torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        return (
            f"{name}, bf16 autocast, batch {config.batch_size}, {cores}, torch {torch.__version__}"
        )
    return (
        f"{platform.machine()} CPU, batch {config.batch_size}, {cores}, torch {torch.__version__}"
    )


class StepMeter:
    """Progress events of one chunk: logged now and then, measured for planning."""

    def __init__(self, recipe: Recipe, batch_size: int) -> None:
        self.recipe, self.batch_size = recipe, batch_size
        self.first = self.last = self.last_log = None
        self.first_step = self.last_step = 0
        self.scores: dict = {}

    def __call__(self, event) -> None:
        from sdstudio.training import events as ev

        now = time.monotonic()
        if isinstance(event, ev.StepDone):
            if self.first is None:
                self.first, self.first_step, self.last_log = now, event.step, now
            self.last, self.last_step = now, event.step
            if now - self.last_log >= REPORT_SECONDS:
                self.last_log = now
                loss, rate = event.losses["g_total"], self.crops_per_second()
                log(f"{self.recipe.key} step {event.step}/{event.total_steps} loss {loss:.4f} "
                    f"{rate:.0f} crops/s")  # fmt: skip
        else:
            if isinstance(event, ev.Validated | ev.RunFinished) and event.scores:
                self.scores = event.scores  # the exported weights' come last (keep_best)
            log_event(self.recipe, event, log)

    def training_seconds(self) -> float:
        return (self.last - self.first) if self.first is not None else 0.0

    def steps_per_second(self) -> float | None:
        """Over the steps after the chunk's first (which waits for the render workers)."""
        seconds = self.training_seconds()
        return (self.last_step - self.first_step) / seconds if seconds > 0 else None

    def crops_per_second(self) -> float:
        return (self.steps_per_second() or 0.0) * self.batch_size


def train_recipe_on_device(args: argparse.Namespace) -> int:
    os.environ["SDSTUDIO_DATA_DIR"] = str(args.work.resolve())  # the run folders
    import torch

    torch.set_num_threads(1)  # the cores are the render workers'
    if args.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True  # one crop size all run long
    recipe = RECIPES_BY_KEY[args.keys[0]]
    photos = args.data.resolve()
    config = device_config(recipe, args, photos)
    manifest_file = photos.parent / MANIFEST
    count = len(json.loads(manifest_file.read_text())["photos"]) if manifest_file.is_file() else 0
    provenance = {
        "hardware": hardware(config),
        "training_data": f"{count or 'the'} packed photos (scripts/pack_training_photos.py)",
    }
    command = (f"python3 scripts/train_on_gpu.py --only {recipe.key} --minutes {args.minutes} "
               f"--batch-scale {args.batch_scale} --seed {args.seed}")  # fmt: skip
    started = time.monotonic()
    deadline = started + args.minutes * 60
    chunk_seconds = max(30.0, args.minutes * 60 / CHUNKS)
    status = {"key": recipe.key, "file": f"models/{recipe.file_name}", "shipped": recipe.ship,
              "device": config.device, "batch_size": config.batch_size, "lr_g": config.lr_g,
              "render_workers": config.render_workers, "hardware": provenance["hardware"],
              "steps": 0, "chunks": [], "finished": False}  # fmt: skip
    step, resume, rate, overhead = 0, False, None, 0.0
    while not (args.steps and step >= args.steps):
        chunk_start = time.monotonic()
        if rate is None:
            target = step + (
                min(PROBE_STEPS, max(1, args.steps // 2)) if args.steps else PROBE_STEPS
            )
        else:
            usable = deadline - chunk_start - overhead
            if usable < MIN_CHUNK_SECONDS:
                break
            target = step + max(1, int(rate * min(usable, chunk_seconds)))
        target = min(target, args.steps) if args.steps else target
        config.steps = target
        meter = StepMeter(replace(recipe, steps=target), config.batch_size)
        exported = run_chunk(recipe, config, resume, meter)
        shipped = ship(recipe, exported, args.out / "models", command, provenance)
        wall = time.monotonic() - chunk_start
        rate = meter.steps_per_second() or rate or (target - step) / wall
        overhead = max(overhead, wall - meter.training_seconds())
        step, resume = target, True
        crops = round(meter.crops_per_second(), 1)
        status["chunks"].append(
            {"to_step": target, "seconds": round(wall, 1), "crops_per_second": crops}
        )
        status.update(steps=step, seconds=round(time.monotonic() - started, 1),
                      crops_per_second=crops,
                      validation=meter.scores or status.get("validation"))  # fmt: skip
        write_json(args.status, status)
        log(f"{recipe.key} exported {shipped.name} at step {step} ({wall:.0f} s chunk)")
    status["finished"] = True
    write_json(args.status, status)
    return 0


# ----- the whole command -----
@dataclass
class Job:
    key: str
    command: list[str]
    log_file: Path
    status_file: Path
    process: subprocess.Popen | None = None
    stopped: bool = False  # still running at the end of the budget (its exports stand)

    def status(self) -> dict:
        state = {}
        if self.status_file.is_file():
            state = json.loads(self.status_file.read_text(encoding="utf-8"))
        if self.process is not None and self.process.poll() is not None:
            state["exit_code"] = self.process.returncode
            state["stopped_at_budget"] = self.stopped
        return state

    def last_line(self) -> str:
        lines = (
            self.log_file.read_text(errors="replace").splitlines() if self.log_file.exists() else []
        )
        return lines[-1] if lines else "(starting)"


def damage_command(args, photos: Path, work: Path, minutes: float, workers: int) -> list[str]:
    """The damage finder's own script, its budget left room for its start and last export."""
    command = [sys.executable, str(SCRIPTS / "train_damage_detector.py"),
               "--photos", str(photos), "--checkpoints", str(work / DAMAGE_KEY),
               "--export", str(args.out / "models" / "sdstudio-damage.safetensors"),
               "--minutes", f"{max(0.1, minutes * 0.85 - 0.5):.2f}",
               "--export-minutes", f"{max(0.5, minutes / CHUNKS):.2f}",
               "--render-workers", str(workers), "--log-seconds", str(REPORT_SECONDS)]  # fmt: skip
    return command + (["--steps", str(args.steps)] if args.steps else [])


def recipe_command(args, key: str, photos: Path, work: Path, minutes: float, workers: int):
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "--only", key,
               "--data", str(photos), "--out", str(args.out), "--work", str(work / key),
               "--status", str(work / "status" / f"{key}.json"), "--minutes", f"{minutes:.3f}",
               "--device", args.device, "--batch-scale", str(args.batch_scale),
               "--render-workers", str(workers), "--seed", str(args.seed)]  # fmt: skip
    for flag, value in (("--batch-size", args.batch_size), ("--steps", args.steps)):
        command += [flag, str(value)] if value else []
    return command


def write_report(args, jobs: list[Job], started_at: str) -> None:
    """OUT/summary.json and OUT/train.log, from every job's status and log so far."""
    summary = {"started": started_at, "minutes": args.minutes, "device": args.device,
               "batch_scale": args.batch_scale, "jobs": {}}  # fmt: skip
    sections = []
    for job in jobs:
        state = job.status()
        if job.key == DAMAGE_KEY and job.log_file.exists():
            lines = job.log_file.read_text(errors="replace").splitlines()
            state["holdout"] = next((ln for ln in reversed(lines) if " holdout " in ln), None)
        summary["jobs"][job.key] = state
        text = job.log_file.read_text(errors="replace") if job.log_file.exists() else ""
        sections.append(f"==> {job.key} <==\n{text}")
    write_json(args.out / "summary.json", summary)
    (args.out / "train.log").write_text("\n".join(sections), encoding="utf-8")


def run_wave(args, jobs: list[Job], minutes: float, started_at: str, everyone: list[Job]) -> None:
    for job in jobs:
        job.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(job.log_file, "w") as output:  # the child keeps its own copy open
            job.process = subprocess.Popen(
                job.command, stdout=output, stderr=subprocess.STDOUT, cwd=REPO,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
    deadline = time.monotonic() + minutes * 60 + GRACE_SECONDS
    last_report = 0.0
    while any(job.process.poll() is None for job in jobs) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        write_report(args, everyone, started_at)
        if time.monotonic() - last_report >= REPORT_SECONDS:
            last_report = time.monotonic()
            for job in jobs:
                log(f"[{job.key}] {job.last_line()}")
    for job in jobs:
        if job.process.poll() is None:
            log(f"[{job.key}] over the budget: stopped")
            job.stopped = True
            job.process.terminate()
            try:
                job.process.wait(10)
            except subprocess.TimeoutExpired:
                job.process.kill()
                job.process.wait()
    write_report(args, everyone, started_at)


def train_everything(args: argparse.Namespace) -> int:
    started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (args.out / "models").mkdir(parents=True, exist_ok=True)
    work = (args.work or Path(tempfile.mkdtemp(prefix="sdstudio-gpu-"))).resolve()
    photos = args.data.resolve()
    if photos.is_file():
        photos, manifest = unpack(photos, work / "data")
        log(f"unpacked {len(manifest['photos'])} photos into {photos}")
    keys = list(args.keys) + ([DAMAGE_KEY] if args.damage else [])
    size = args.parallel if 0 < args.parallel < len(keys) else len(keys)
    waves = [keys[i : i + size] for i in range(0, len(keys), size)]
    everyone: list[Job] = []
    for wave in waves:
        minutes = args.minutes * len(wave) / len(keys)
        workers = args.render_workers or max(1, (os.cpu_count() or 2) // len(wave) - 1)
        jobs = []
        for key in wave:
            if key == DAMAGE_KEY:
                command = damage_command(args, photos, work, minutes, workers)
            else:
                command = recipe_command(args, key, photos, work, minutes, workers)
            status = work / "status" / f"{key}.json"
            jobs.append(Job(key, command, work / "logs" / f"{key}.log", status))
        everyone += jobs
        log(f"training {', '.join(wave)} for {minutes:.1f} min, {workers} render workers each")
        run_wave(args, jobs, minutes, started_at, everyone)
    failed = [job.key for job in everyone if job.process.returncode and not job.stopped]
    print(json.dumps(json.loads((args.out / "summary.json").read_text()), indent=1), flush=True)
    if failed:
        log(f"failed: {', '.join(failed)} (see {args.out / 'train.log'})")
    return 1 if failed else 0


def _exit_on_terminate(signum, frame) -> None:
    # SIGTERM (the budget's end, the device's time limit) unwinds like an exception, so
    # the trainer's render workers are stopped rather than left behind.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    return train_recipe_on_device(args) if args.child else train_everything(args)


if __name__ == "__main__":
    sys.exit(main())
