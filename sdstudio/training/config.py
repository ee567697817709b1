"""Everything one training run needs, in one plain value that survives JSON and resume.

Weights of the losses, learning rates and the stability-guard thresholds live here so that
a run is reproducible from its ``config.json`` alone and so that ``--resume`` continues with
exactly the same settings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from sdstudio.engine.architectures import default_architecture
from sdstudio.tasks import Task
from sdstudio.training.stability_guard import GuardSettings

TASKS = (Task.REPAIR, Task.ENHANCE, Task.STYLE, Task.DAMAGE)
STYLE_SOURCES = ("examples", "preset")

# Length presets: (steps, batch size, crop). Chosen so that "quick" shows a first sample
# within a minute on a 2-core CPU and adapts a base model visibly in minutes on a GPU.
PRESETS: dict[str, dict[str, int]] = {
    "quick": {"steps": 300, "batch_size": 4, "crop": 128},
    "standard": {"steps": 2000, "batch_size": 8, "crop": 192},
    "thorough": {"steps": 8000, "batch_size": 12, "crop": 256},
}

# Training throughput (crops per second at a 128 px crop) behind the time estimate the
# wizard shows; benchmarks/training.py re-measures the CPU and CUDA rows.
THROUGHPUT_CROPS_PER_S = {
    ("cpu", Task.REPAIR): 2.5,  # 2-core CPU, one training thread (benchmarks/training.py)
    ("cpu", Task.ENHANCE): 6.0,
    ("cpu", Task.STYLE): 3.0,
    ("cuda", Task.REPAIR): 250.0,  # scaled from the platform notes' H200 probe to a consumer GPU
    ("cuda", Task.ENHANCE): 400.0,
    ("cuda", Task.STYLE): 180.0,
    ("mps", Task.REPAIR): 20.0,
    ("mps", Task.ENHANCE): 40.0,
    ("mps", Task.STYLE): 20.0,
    # The damage U-Net is small and has no discriminator: 45 crops/s measured with the
    # shipped widths and inline rendering; the GPU rows are guesses, not measured.
    ("cpu", Task.DAMAGE): 40.0,
    ("cuda", Task.DAMAGE): 2000.0,
    ("mps", Task.DAMAGE): 200.0,
}

# Settings a new run of a task starts from, before the base model's recipe and the
# person's own settings (``new_run``). The damage finder is a segmentation network: no
# discriminator, and Adam at the stand-alone script's rate and betas, which trained the
# shipped detector.
TASK_DEFAULTS: dict[Task, dict[str, Any]] = {
    Task.DAMAGE: {
        "adv_weight": 0.0,
        "fm_weight": 0.0,
        "r1_weight": 0.0,
        "lr_g": 2e-3,
        "betas": (0.9, 0.999),
        "color_jitter": 0.0,
    },
}
_REFERENCE_CROP = 128


@dataclass
class TrainingConfig:
    task: Task
    data_dir: str
    name: str
    style_data_dir: str | None = None
    base_model: str | None = None  # path of a .safetensors model file; None = from scratch
    architecture: str | None = None  # None = the task's default architecture
    hyperparameters: dict[str, Any] = field(default_factory=dict)  # network constructor kwargs
    discriminator_hyperparameters: dict[str, Any] = field(default_factory=dict)
    scale: int = 2  # enhance only
    # enhance only: a degradation_profiles.PROFILES name; None = the trainer's second-order
    # default. A fine-tune takes its base model's (recipe.continue_base_recipe).
    degradation: str | None = None
    style_preset: str | None = None  # style only: the Style panel preset the model backs
    # style only: "examples" learns from style_data_dir (unpaired); "preset" learns the
    # procedural style_preset itself from paired renders (how the default styles are made)
    style_source: str = "examples"
    # damage only: a folder of masks the person marked (white = damage), one per photo of
    # the same file stem; those scans train with their own damage
    mask_dir: str | None = None
    damage_pos_weight: float = 1.0  # damage: BCE weight of damage pixels (the script's)
    dice_weight: float = 0.5  # damage: soft dice beside BCE (thin damage is few pixels)
    # damage: the share of a batch taken from the person's marked scans when there are
    # any, so a handful of them counts beside hundreds of rendered crops
    marked_share: float = 0.5
    preset: str = "quick"
    steps: int = 300
    batch_size: int = 4
    crop: int = 128
    device: str = "auto"
    seed: int = 0
    # optimisation
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    ema_decay: float = 0.999
    ema_warmup: bool = True  # False: average from the first step at ema_decay (fine-tunes)
    warmup_steps: int = 0  # the learning rate ramps up linearly over these steps
    trainable_last_layers: int = 0  # > 0: train only the last N layers (model_setup)
    grad_clip: float = 1.0
    amp: bool = True  # used on CUDA only
    # loss weights
    l1_weight: float = 1.0
    mask_l1_weight: float = 4.0  # repair: extra weight inside the hole
    adv_weight: float = 0.05
    fm_weight: float = 1.0
    r1_weight: float = 0.1  # per patch; see losses.r1_penalty
    r1_every: int = 4  # lazy R1 (StyleGAN2): every k-th discriminator step, scaled by k
    nce_weight: float = 1.0  # style: patch contrastive loss on the generator's own features
    structure_weight: float = 2.0  # style: low-frequency luminance kept from the content
    nce_temperature: float = 0.07
    nce_patches: int = 64
    adv_start_step: int = 0
    # data
    max_side: int = 1024  # photos are downscaled to this before cropping (speed, memory)
    val_count: int = 4
    # > 0: hold out this share of the folder (at least val_count photos) for validation
    val_fraction: float = 0.0
    val_size: int = 192
    color_jitter: float = 0.05
    # repair / enhance: crops may be taken up to this many times wider and shrunk (scale
    # augmentation); 1.0 keeps the photos' own scale. Fine-tunes keep 2.0: at 1.0 the comic
    # look folder gained +0.19 dB instead of +0.37 (benchmarks/fine_tune.py, issue 19).
    crop_zoom: float = 2.0
    # > 0: this many worker processes render the batches (render_workers.py), so a GPU
    # is not kept waiting by one core; 0 renders them in the training process.
    render_workers: int = 0
    # bookkeeping
    checkpoint_every: int = 50  # steps; short runs write more often (checkpoints.step_interval)
    checkpoint_every_s: float = 120.0  # and after this much wall time, so a kill loses little
    validate_every: int = 100
    log_every: int = 1
    guard: GuardSettings = field(default_factory=GuardSettings)  # the stability guard's
    # set once the base model's recipe has been continued (recipe.apply_base_recipe)
    base_recipe_applied: bool = False

    def __post_init__(self) -> None:
        self.betas = tuple(self.betas)  # JSON gives a list
        if isinstance(self.guard, dict):  # read from JSON
            self.guard = GuardSettings(**self.guard)
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        self.task = Task(self.task)  # a member, whether given by name or read from JSON
        if self.style_source not in STYLE_SOURCES:
            raise ValueError(
                f"unknown style source {self.style_source!r}; expected one of "
                + ", ".join(STYLE_SOURCES)
            )
        if self.architecture is None:
            self.architecture = default_architecture(self.task).id
        if self.task == Task.DAMAGE:
            # A damage map has no realistic look for a discriminator to judge.
            self.adv_weight = 0.0

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TrainingConfig:
        raw = json.loads(text)
        if "guard" not in raw:  # written before the guard's settings were nested
            raw["guard"] = GuardSettings.from_flat(raw)
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in raw.items() if key in known})

    def with_preset(self, preset: str) -> TrainingConfig:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
        return replace(self, preset=preset, **PRESETS[preset])

    def network_hyperparameters(self) -> dict[str, Any]:
        params = dict(self.hyperparameters)
        if self.task == Task.ENHANCE:
            params.setdefault("scale", self.scale)
        return params


def training_threads() -> int:
    """CPU threads for a training process: all cores but one, which the editor keeps."""
    import os

    return max(1, (os.cpu_count() or 2) - 1)


def estimate_seconds(task: str, device_kind: str, preset: str) -> float:
    """Rough wall time of a preset on a device kind ("cpu", "cuda", "mps")."""
    values = PRESETS[preset]
    rate = THROUGHPUT_CROPS_PER_S.get((device_kind, task), THROUGHPUT_CROPS_PER_S[("cpu", task)])
    pixels_ratio = (values["crop"] / _REFERENCE_CROP) ** 2
    return values["steps"] * values["batch_size"] * pixels_ratio / rate


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
