"""Train the default models shipped in ``models/`` with SD Studio's own trainer.

One command reproduces the shipped weights (seed, configuration and step counts are fixed
here and recorded in each file's metadata and in ``models/README.md``)::

    .venv/bin/python scripts/train_default_models.py            # every recipe, in order
    .venv/bin/python scripts/train_default_models.py --only enhance-x2

Each run trains in chunks of ``--chunk`` steps through ``sdstudio.training.trainer``
(``TrainingRun``, resume from the last checkpoint), so an interrupted run continues where it
stopped when the command is run again. Runs live in ``--work`` (default
``.scratch/default-models``); the finished model is re-saved into ``models/`` with its
display name, description and provenance.

The enhance recipes name a degradation profile (``TrainingConfig.degradation``): the
trainer's default (Real-ESRGAN's second-order model) is tuned for badly damaged web
images, while the shipped fidelity-first models target ordinary photos: mild blur, noise
and JPEG (x2) and clean-ish downscales (x4).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "photos" / "train"
DEFAULT_WORK = REPO / ".scratch" / "default-models"


# The degradation profiles (what the low-resolution training inputs look like) live in
# sdstudio/training/degradation_profiles.py: a recipe names one, the trainer uses it, and
# the name travels in the model file's "recipe" metadata so a fine-tune continues it.
from sdstudio.training.degradation_profiles import PROFILES  # noqa: E402


# ----- recipes -----
@dataclass(frozen=True)
class Recipe:
    key: str  # --only value and run name
    file_name: str  # in models/
    display_name: str
    description: str
    task: str
    hyperparameters: dict[str, Any]
    steps: int
    batch_size: int
    crop: int
    config: dict[str, Any] = field(default_factory=dict)  # further TrainingConfig fields
    degradation: str | None = None  # enhance: a PROFILES key
    scale: int = 2
    metadata: dict[str, str] = field(default_factory=dict)  # further model-file metadata
    # False: trained and measured, but not good enough to ship (see models/README.md);
    # the file is saved in --work/unshipped instead of models/.
    ship: bool = True


FIDELITY = {  # L1 only: the fidelity-first default (no adversarial term, no discriminator)
    "adv_weight": 0.0,
    "lr_g": 5e-4,
    "betas": [0.9, 0.99],
    "ema_decay": 0.999,
    "checkpoint_every": 50,
    "validate_every": 250,
    "val_count": 4,
    "val_size": 192,
    "max_side": 1024,
}

# A style network learns its procedural preset from paired renders (L1 only: the presets
# chosen are deterministic, so there is one right answer per pixel and nothing to invent).
DISTIL = {
    "style_source": "preset",
    "adv_weight": 0.0,
    "nce_weight": 0.0,
    "lr_g": 1e-3,
    "betas": [0.9, 0.99],
    "ema_decay": 0.999,
    "checkpoint_every": 50,
    "validate_every": 500,
    "val_count": 4,
    "val_size": 192,
    "max_side": 1024,
    "color_jitter": 0.05,
}


def learnt_style(
    preset: str, name: str, description: str, steps: int = 2000, ship: bool = True
) -> Recipe:
    """A style network that learns the procedural ``preset`` (all learnt alike)."""
    return Recipe(
        key=f"style-{preset.replace('_', '-')}",
        file_name=f"sdstudio-style-{preset.replace('_', '-')}.safetensors",
        display_name=f"SD Studio {name}",
        description=description,
        task="style",
        hyperparameters={"channels": 16, "residual_blocks": 5, "input_skip": True},
        steps=steps,
        batch_size=8,
        crop=160,
        config={**DISTIL, "style_preset": preset},
        ship=ship,
    )


ENHANCE_X2 = Recipe(
    key="enhance-x2",
    file_name="sdstudio-enhance-x2.safetensors",
    display_name="SD Studio Enhance x2",
    description=(
        "Doubles the size and removes mild blur, noise and JPEG blocks. Fidelity-first "
        "(trained with L1 only): it does not invent texture."
    ),
    task="enhance",
    hyperparameters={"scale": 2, "features": 48, "convs": 8, "upsample": "bicubic"},
    steps=5000,  # session 5: 5000 steps of the 10000 planned (time ran out)
    batch_size=16,
    crop=96,
    config=FIDELITY,
    degradation="any_downscale",
    scale=2,
)

ENHANCE_X4 = Recipe(
    key="enhance-x4",
    file_name="sdstudio-enhance-x4.safetensors",
    display_name="SD Studio Enhance x4",
    description=(
        "Enlarges four times; trained on clean and mildly degraded downscales. "
        "Fidelity-first (L1 only)."
    ),
    task="enhance",
    hyperparameters={"scale": 4, "features": 48, "convs": 8, "upsample": "bicubic"},
    steps=9000,  # session 5: 9000 of 10000
    batch_size=16,
    crop=128,
    config=FIDELITY,
    degradation="any_downscale",
    scale=4,
)

# The adversarial fine-tune of a fidelity model: the trainer's GAN loss (patch
# discriminator, feature matching, lazy R1, stability guard) at a gentle weight.
ADVERSARIAL = {"adv_weight": 0.05, "fm_weight": 1.0, "lr_g": 1e-4, "lr_d": 2e-4}


# The first generation of the enhance models (32 x 6 networks on the "mild" and
# "clean_mild" profiles), the defaults until issue 18. Not shipped any more, but the
# shipped detail variants were fine-tuned from them, so they stay reproducible: a full run
# trains these into --work/unshipped first.
ENHANCE_X2_FIRST = replace(
    ENHANCE_X2,
    key="enhance-x2-first",
    file_name="sdstudio-enhance-x2-first.safetensors",
    hyperparameters={"scale": 2, "features": 32, "convs": 6, "upsample": "bicubic"},
    steps=8000,
    degradation="mild",
    ship=False,
)
ENHANCE_X4_FIRST = replace(
    ENHANCE_X4,
    key="enhance-x4-first",
    file_name="sdstudio-enhance-x4-first.safetensors",
    hyperparameters={"scale": 4, "features": 32, "convs": 6, "upsample": "bicubic"},
    steps=6000,
    degradation="clean_mild",
    ship=False,
)


def detail_variant(
    base: Recipe, what_it_does: str, *, named_after: Recipe, ship: bool = True
) -> Recipe:
    """``base`` fine-tuned adversarially for 2000 steps: crisper, a second choice, listed
    beside ``named_after`` (the default it is the detail variant of)."""
    base_file = (REPO / "models" if base.ship else DEFAULT_WORK / "unshipped") / base.file_name
    return replace(
        base,
        key=f"{named_after.key}-detail",
        file_name=named_after.file_name.replace(".safetensors", "-detail.safetensors"),
        display_name=f"{base.display_name} (detail)",
        description=(
            f"{what_it_does}, fine-tuned with the adversarial loss for crisper edges and "
            "texture; it may add detail that was not in the photo."
        ),
        steps=2000,
        config={
            **base.config,
            "base_model": str(base_file),
            **ADVERSARIAL,
        },
        # A second choice in the Enhance panel; "auto" stays the fidelity-first model.
        metadata={"variant": "detail"},
        ship=ship,
    )


RECIPES = [
    ENHANCE_X2,
    ENHANCE_X4,
    ENHANCE_X2_FIRST,
    ENHANCE_X4_FIRST,
    detail_variant(ENHANCE_X2_FIRST, "Doubles the size like Enhance x2", named_after=ENHANCE_X2),
    detail_variant(ENHANCE_X4_FIRST, "Enlarges four times like Enhance x4", named_after=ENHANCE_X4),
    Recipe(
        key="repair",
        file_name="sdstudio-repair.safetensors",
        display_name="SD Studio Repair",
        description=(
            "Fills scratches, dust, blobs and removed objects: refines the automatic "
            "classical fill (PatchMatch and Telea) with a learnt correction inside the hole."
        ),
        task="repair",
        hyperparameters={"channels": 16, "dilations": [1, 2, 4, 8]},
        steps=2500,
        batch_size=8,
        crop=192,
        config={
            **FIDELITY,
            "architecture": "inpaint_refiner",
            "lr_g": 1e-3,
            "validate_every": 500,
        },
        # Crops up to this size are refined at full resolution (engine/backends/network_filler.py).
        metadata={"working_size": "1024"},
    ),
    learnt_style(
        "cartoon",
        "Cartoon",
        "Flat colour areas with bold dark outlines: the Cartoon preset, learnt by a "
        "style network that the training wizard can fine-tune on your own examples.",
        # Learnt from the session-2 filter, it looks like a darker photo beside today's
        # Cartoon filter: models/README.md, "Not shipped".
        ship=False,
    ),
    learnt_style(
        "vintage_film",
        "Vintage film",
        "Faded warm colours, lifted blacks and a red halation glow: the Vintage film "
        "preset's grade, learnt by a style network (the preset's film grain and vignette "
        "are added after it), which the training wizard can fine-tune on your own examples.",
    ),
    learnt_style(
        "neon_glow",
        "Neon glow",
        "The photo's edges as glowing neon lines on a dark background: the Neon glow "
        "preset, learnt by a style network that the training wizard can fine-tune.",
        steps=5000,  # its thin bright lines and saturated colours take longer to learn
        ship=False,  # duller than the procedural preset: models/README.md, "Not shipped"
    ),
]


def build_config(recipe: Recipe, data_dir: Path, seed: int):
    from sdstudio.training.config import TrainingConfig

    config = TrainingConfig(
        task=recipe.task,
        data_dir=str(data_dir),
        name=recipe.key,
        hyperparameters=dict(recipe.hyperparameters),
        scale=recipe.scale,
        preset="custom",
        steps=recipe.steps,
        batch_size=recipe.batch_size,
        crop=recipe.crop,
        device="cpu",
        seed=seed,
    )
    for key, value in recipe.config.items():
        setattr(config, key, value)
    config.degradation = recipe.degradation
    # The recipes here are complete: a detail variant's settings are its own, not a
    # continuation of its base's recipe (which is what a user's fine-tune gets).
    config.base_recipe_applied = True
    config.__post_init__()
    return config


def make_run(recipe: Recipe, config, resume: bool):
    import torch

    from sdstudio.training.trainer import TrainingRun

    class DefaultModelRun(TrainingRun):
        def _networks(self, generator):
            if recipe.task == "enhance" and not config.base_model:
                # Zero residual: the untrained network is exactly its bicubic base, so every
                # step improves on bicubic instead of first learning to interpolate.
                last = generator.body[-1]
                with torch.no_grad():
                    last.weight.zero_()
                    last.bias.zero_()
            return super()._networks(generator)

    return DefaultModelRun(config, resume=resume)


def log_event(recipe: Recipe, event, log) -> None:
    """The lines a run's progress events print (every 25th step, validations, the guard)."""
    from sdstudio.training import events as ev

    if isinstance(event, ev.StepDone) and event.step % 25 == 0:
        log(
            f"{recipe.key} step {event.step}/{recipe.steps} "
            f"loss {event.losses['g_total']:.4f} {event.images_per_second:.1f} img/s"
        )
    elif isinstance(event, ev.Validated):
        log(f"{recipe.key} validation {json.dumps(event.scores)}")
    elif isinstance(event, ev.GuardTriggered):
        log(f"{recipe.key} stability guard: {event.message}")


def run_chunk(recipe: Recipe, config, resume: bool, on_event) -> Path:
    """Train ``config`` to its ``steps`` (from its checkpoint if ``resume``), passing each
    progress event to ``on_event``; returns the exported model file."""
    from sdstudio.training import distributed

    run = make_run(recipe, config, resume)
    try:
        events = run.events()
        while True:
            try:
                on_event(next(events))
            except StopIteration as stop:
                return Path(stop.value)
    finally:
        distributed.shutdown(run.context)


def train_recipe(recipe: Recipe, data_dir: Path, seed: int, chunk: int, log) -> Path:
    """Train (or continue) one recipe to its step count; returns the exported file."""
    from sdstudio.training import checkpoints
    from sdstudio.training.run_names import run_dir_for
    from sdstudio.training.trainer import load_run_config

    run_dir = run_dir_for(recipe.key)
    resume = checkpoints.has_checkpoint(run_dir)
    config = load_run_config(recipe.key) if resume else build_config(recipe, data_dir, seed)
    done = 0
    if resume:
        loaded = checkpoints.load_checkpoint(run_dir)
        done = int(loaded[1]["step"]) if loaded else 0
    target = done
    while True:
        target = (
            min(recipe.steps, (target // chunk + 1) * chunk) if target < recipe.steps else target
        )
        config.steps = target
        started = time.monotonic()
        exported = run_chunk(recipe, config, resume, lambda event: log_event(recipe, event, log))
        log(f"{recipe.key} chunk to step {target} took {time.monotonic() - started:.0f} s")
        resume = True
        if target >= recipe.steps:
            return exported


def ship(
    recipe: Recipe, exported: Path, out_dir: Path, command: str, provenance: dict | None = None
) -> Path:
    """Re-save the trainer's export into ``out_dir`` with the shipped name and provenance
    (``provenance`` replaces entries, such as the hardware of a GPU run)."""
    import torch

    from sdstudio.engine.model_file import load_network, read_model_info, save_model

    info = read_model_info(exported)
    extra = dict(info.metadata)
    for key in ("sdstudio.format", "task", "architecture", "hyperparameters", "name"):
        extra.pop(key, None)
    for key in ("description", "version", "scale", "style"):
        extra.pop(key, None)
    # A user's fine-tune is a "personal" variant with a verdict; a shipped file is neither
    # (a detail variant names its own variant below).
    for key in ("variant", "fine_tune_outcome", "fine_tune_gain_db", "held_out_images"):
        extra.pop(key, None)
    extra.update(
        {
            "degradation": json.dumps(
                PROFILES[recipe.degradation].as_dict() if recipe.degradation else None
            ),
            "command": command,
            "hardware": f"{platform.machine()} CPU, {os.cpu_count()} cores, torch "
            f"{torch.__version__}, {torch.get_num_threads()} thread(s)",
            "training_data": "photos/train (333 photos; see models/README.md for sources)",
            **recipe.metadata,
            **(provenance or {}),
        }
    )
    shipped = save_model(
        out_dir / recipe.file_name,
        load_network(info),
        task=info.task,
        architecture=info.architecture,
        hyperparameters=info.hyperparameters,
        name=recipe.display_name,
        description=recipe.description,
        version="1",
        scale=info.scale,
        style=info.style,
        extra_metadata=extra,
    ).path
    shipped.chmod(0o644)  # a temp file's 0600 would make a shipped file private
    return shipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="training photos")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="run folders")
    parser.add_argument("--out", type=Path, default=REPO / "models", help="where to ship")
    parser.add_argument(
        "--only", help="comma-separated recipe keys: " + ", ".join(r.key for r in RECIPES)
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--chunk", type=int, default=250, help="steps between resumes")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    parser.add_argument("--steps", type=int, help="override every recipe's steps (smoke tests)")
    args = parser.parse_args(argv)

    os.environ["SDSTUDIO_DATA_DIR"] = str(args.work.resolve())
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    wanted = set(args.only.split(",")) if args.only else {r.key for r in RECIPES}
    unknown = wanted - {r.key for r in RECIPES}
    if unknown:
        parser.error(f"unknown recipe(s): {', '.join(sorted(unknown))}")
    if not args.data.is_dir():
        parser.error(f"no training photos at {args.data}")

    def log(message: str) -> None:
        print(time.strftime("%H:%M:%S"), message, flush=True)

    command = "python scripts/train_default_models.py" + (
        f" --seed {args.seed}" if args.seed else ""
    )
    for recipe in RECIPES:
        if recipe.key in wanted:
            if args.steps:
                recipe = replace(recipe, steps=args.steps)
            exported = train_recipe(recipe, args.data.resolve(), args.seed, args.chunk, log)
            if recipe.ship:
                log(f"{recipe.key} shipped as {ship(recipe, exported, args.out, command)}")
            else:
                kept = args.work / "unshipped"
                kept.mkdir(parents=True, exist_ok=True)
                saved = ship(recipe, exported, kept, command)
                log(f"{recipe.key} is not shipped; saved as {saved}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
