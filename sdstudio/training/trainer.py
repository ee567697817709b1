"""The training loop, as a generator of progress events.

``train(config)`` yields :mod:`sdstudio.training.events` values (one ``StepDone`` per
step) and returns the exported model's path. Whoever drives it may stop between yields:
closing the generator (cancel) writes a checkpoint first, so ``train(config,
resume=True)`` continues where it stopped; a killed process resumes from the last
periodic checkpoint (``checkpoints.CheckpointSchedule``). A run is the folder it lives in
(``runs``): a copied run folder resumes as itself and exports its own model file.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np
import torch

from sdstudio.errors import UserFacingError
from sdstudio.training import checkpoints, distributed, runs
from sdstudio.training.config import TrainingConfig
from sdstudio.training.events import (
    CheckpointSaved,
    GuardTriggered,
    RunStarted,
    SampleGridSaved,
    StepDone,
    TrainingEvent,
    Validated,
)
from sdstudio.training.keep_best import KeepBest
from sdstudio.training.model_setup import (
    ExponentialMovingAverage,
    build_discriminator,
    build_generator,
    plan_generator,
    resolve_device,
    trainable_parameters,
)
from sdstudio.training.objectives import objective_for
from sdstudio.training.recipe import apply_base_recipe, warmup_factor
from sdstudio.training.render_workers import batch_source
from sdstudio.training.run_data import load_run_data
from sdstudio.training.run_export import export_run
from sdstudio.training.run_names import find_run_dir, run_dir_for, unique_model_path
from sdstudio.training.runs import load_run_config  # noqa: F401 (scripts use it)
from sdstudio.training.stability_guard import Problem, StabilityGuard
from sdstudio.training.steps import GanStep, Networks
from sdstudio.training.validation import Validator, save_png

GRID_NAME = "samples.png"
HISTORY_LIMIT = 4000


class TrainingRun:
    """Builds everything a run needs; ``events()`` drives it. ``run_dir`` defaults to the
    folder of the run's name; ``clock`` (seconds) times the checkpoints and the ETA."""

    def __init__(
        self,
        config: TrainingConfig,
        *,
        resume: bool = False,
        run_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        plan = plan_generator(config)  # the one place a run resolves its base model
        self.config = config if resume else apply_base_recipe(config, plan.base)
        default_dir = find_run_dir(config.name) if resume else run_dir_for(config.name)
        self.run_dir = Path(run_dir) if run_dir is not None else default_dir
        self.clock = clock
        self.device = distributed.device_for_rank(resolve_device(config.device))
        self.context = distributed.init_distributed(self.device)
        if resume and not checkpoints.has_checkpoint(self.run_dir):
            raise UserFacingError(f"The run {config.name!r} has no checkpoint to resume from.")
        if not resume and checkpoints.has_checkpoint(self.run_dir):
            raise UserFacingError(
                f"A training run named {config.name!r} already exists in {self.run_dir}. "
                "Resume it (--resume, optionally with more --steps) or choose another name."
            )
        distributed.barrier(self.context)  # every rank checks before rank 0 writes anything
        self.architecture, self.hyperparameters, self.base = (
            plan.architecture, plan.hyperparameters, plan.base
        )  # fmt: skip
        self.objective = objective_for(self.config, guided=plan.guided, scale=plan.scale)
        self._load_data()
        torch.manual_seed(config.seed + self.context.rank)
        self.rng = np.random.default_rng([config.seed, self.context.rank])
        self.nets = self._networks(build_generator(plan).to(self.device))
        self.ema = ExponentialMovingAverage.for_run(
            self.nets.generator, self.architecture, self.hyperparameters, config
        )
        self.guard = StabilityGuard(config.guard)
        self.step_runner = GanStep(self.objective, self.device, self.context)
        self.step = 0
        self.lr_scale = 1.0
        self.loss_history: list[tuple[int, float, float | None]] = []
        self.scores: dict = {}
        self.model_path: str | None = None
        self.keeper = KeepBest(config.task, has_base=bool(config.base_model))
        if resume:
            self._restore(checkpoints.load_checkpoint(self.run_dir))
        else:
            shared = [self.nets.generator, self.nets.discriminator]
            shared += [self.nets.nce] if self.nets.nce is not None else []
            distributed.broadcast_parameters(self.context, *shared)
            self.ema.shadow.load_state_dict(self.nets.generator.state_dict())
        self.validator = self._validator() if self.context.is_main else None
        if self.context.is_main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            checkpoints.remove_temporaries(self.run_dir)
            runs.write_run_config(self.run_dir, config)
        if self.validator is not None and self.validator.targets and "base" not in self.scores:
            self._score_start()
        self._good_state = self._state_tensors()  # rollback target until the first checkpoint
        self._good_step = self.step

    # ----- setup -----
    def _load_data(self) -> None:
        data = load_run_data(self.objective)
        self.report, self.pairs = data.report, data.pairs
        self.val_paths, self.val_images = data.val_paths, data.val_images
        self.style_examples = data.style_examples
        self.image_count = data.image_count

    def _networks(self, generator: torch.nn.Module) -> Networks:
        c = self.config
        in_channels = self.objective.discriminator_channels
        discriminator = build_discriminator(c, in_channels).to(self.device)
        trained = trainable_parameters(generator, c.trainable_last_layers)
        opt_g = torch.optim.Adam(trained, lr=c.lr_g, betas=c.betas)
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=c.lr_d, betas=c.betas)
        nce = self.objective.patch_nce(generator, self.pairs, self.device)
        opt_nce = None
        if nce is not None:
            opt_nce = torch.optim.Adam(nce.heads.parameters(), lr=c.lr_g, betas=c.betas)
        return Networks(generator, discriminator, opt_g, opt_d, nce, opt_nce)

    def _validator(self) -> Validator:
        c = self.config
        return Validator(self.objective, self.val_images, c.val_size, c.seed, self.style_examples)

    # ----- state -----
    def _modules(self) -> dict[str, torch.nn.Module | torch.optim.Optimizer]:
        modules = {
            "generator": self.nets.generator,
            "discriminator": self.nets.discriminator,
            "ema": self.ema.shadow,
            "opt_g": self.nets.opt_g,
            "opt_d": self.nets.opt_d,
        }
        if self.nets.nce is not None:
            modules["nce_heads"] = self.nets.nce.heads
            modules["opt_nce"] = self.nets.opt_nce
        return modules

    def _state_tensors(self) -> dict:
        state = {
            name: copy.deepcopy(module.state_dict()) for name, module in self._modules().items()
        }
        state["torch_rng"] = torch.get_rng_state()
        if self.keeper.best_state is not None:
            state["best_generator"] = self.keeper.best_state
        return state

    def _meta(self) -> dict:
        return {
            "step": self.step,
            "lr_scale": self.lr_scale,
            "ema_updates": self.ema.updates,
            "numpy_rng": self.rng.bit_generator.state,
            "guard": self.guard.state(),
            "loss_history": self.loss_history[-HISTORY_LIMIT:],
            "scores": self.scores,
            "model_path": self.model_path,
            "run_folder": self.run_dir.name,  # whose model_path it is (see _restore)
            "keep_best": self.keeper.meta(),
        }

    def _load_tensors(self, tensors: dict) -> None:
        for name, module in self._modules().items():
            module.load_state_dict(tensors[name])
        torch.set_rng_state(tensors["torch_rng"])

    def _restore(self, loaded: tuple[dict, dict] | None) -> None:
        if loaded is None:
            raise UserFacingError(f"No checkpoint was found in {self.run_dir}.")
        tensors, meta = loaded
        self._load_tensors(tensors)
        self.step = int(meta["step"])
        self.lr_scale = float(meta["lr_scale"])
        self.ema.updates = int(meta["ema_updates"])
        self.rng.bit_generator.state = meta["numpy_rng"]
        self.guard.load_state(meta["guard"])
        self.loss_history = [tuple(entry) for entry in meta.get("loss_history", [])]
        self.scores = meta.get("scores", {})
        self.keeper.load_meta(meta.get("keep_best"))
        self.keeper.best_state = tensors.get("best_generator")
        # A checkpoint copied from another run folder names that run's model file: this run
        # exports a file of its own instead of writing over the other run's model.
        owned = meta.get("run_folder") == self.run_dir.name
        self.model_path = meta.get("model_path") if owned else None
        self._apply_lr()

    def _apply_lr(self) -> None:
        for optimizer, base in (
            (self.nets.opt_g, self.config.lr_g),
            (self.nets.opt_d, self.config.lr_d),
            (self.nets.opt_nce, self.config.lr_g),
        ):
            if optimizer is not None:
                for group in optimizer.param_groups:
                    group["lr"] = base * self.lr_scale * warmup_factor(self.step, self.config)

    def save_checkpoint(self) -> Path:
        self._good_state = self._state_tensors()
        self._good_step = self.step
        path = checkpoints.checkpoint_path(self.run_dir)
        if self.context.is_main:
            path = checkpoints.save_checkpoint(self.run_dir, self._good_state, self._meta())
            self._record_state(finished=False)
        return path

    def _record_state(self, *, finished: bool) -> None:
        runs.write_run_state(
            self.run_dir,
            step=self.step,
            total_steps=self.config.steps,
            finished=finished,
            model_path=self.model_path,
        )

    # ----- validation -----
    @torch.no_grad()
    def _run_network(self, network: torch.nn.Module, inputs: np.ndarray) -> np.ndarray:
        output = self.objective.output_image(network(torch.from_numpy(inputs).to(self.device)))
        return output.float().clamp(0, 1).cpu().numpy()

    def _score_start(self) -> None:
        """Scores of the starting point (the base model, or the untrained network)."""
        generator = self.nets.generator.eval()
        try:
            self.scores["base"] = self.validator.score(lambda x: self._run_network(generator, x))[0]
        finally:
            generator.train()
        if self.objective.has_classical_baseline:
            self.scores["classical"] = self.validator.classical

    def validate(self) -> tuple[dict, Path | None]:
        if self.validator is None or not self.validator.targets:
            return {}, None
        model_scores, outputs = self.validator.score(
            lambda x: self._run_network(self.ema.shadow, x)
        )
        self.scores["model"] = model_scores
        self.scores["step"] = self.step
        self.keeper.offer(self.step, model_scores, self.ema.shadow.state_dict())
        grid = save_png(self.run_dir / GRID_NAME, self.validator.grid(outputs))
        return dict(self.scores), grid

    # ----- the loop -----
    def events(self) -> Generator[TrainingEvent, None, str]:
        c = self.config
        total = c.steps
        yield RunStarted(
            total_steps=total,
            start_step=self.step,
            image_count=self.image_count,
            device=str(self.device),
            run_dir=str(self.run_dir),
            skipped_files=tuple(f"{p.name}: {why}" for p, why in self.report.skipped()),
            notes=tuple(self.report.warnings()),
            loss_history=tuple(self.loss_history),  # a resumed run's plot starts where it was
        )
        if self.step == 0 and self.context.is_main:
            yield CheckpointSaved(0, str(self.save_checkpoint()))
        schedule = checkpoints.CheckpointSchedule(
            c.checkpoint_every, total, c.checkpoint_every_s, self.clock
        )
        started, done_at_start = self.clock(), self.step
        self.started_at = started
        pairs = batch_source(
            self.pairs, self.objective, rank=self.context.rank, start_step=self.step
        )
        try:
            while self.step < total:
                batch = {
                    key: torch.from_numpy(value).to(self.device)
                    for key, value in pairs.make_batch(self.rng, c.batch_size).items()
                }
                if self.step <= self.config.warmup_steps:
                    self._apply_lr()  # the learning rate ramps up (recipe.warmup_factor)
                stats = self.step_runner.run(self.nets, batch, self.step)
                problem = self.guard.check(stats)
                if distributed.any_rank(self.context, problem is not None, self.device):
                    yield self._roll_back(problem)
                    continue
                self.ema.update(self.nets.generator)
                self.step += 1
                # d_loss is None without a discriminator (adv_weight 0): nothing to plot
                g_loss, d_loss = stats.losses["g_total"], stats.losses.get("d_total")
                self.loss_history.append((self.step, g_loss, d_loss))
                elapsed = self.clock() - started
                per_step = elapsed / max(1, self.step - done_at_start)
                yield StepDone(
                    step=self.step,
                    total_steps=total,
                    losses=stats.losses,
                    images_per_second=c.batch_size * self.context.world_size / max(per_step, 1e-9),
                    eta_seconds=per_step * (total - self.step),
                    learning_rate=c.lr_g * self.lr_scale,
                )
                # Every rank agrees (wall clocks differ): rollbacks need the same good state.
                due = distributed.any_rank(self.context, schedule.due(self.step), self.device)
                if due and self.step < total:
                    yield CheckpointSaved(self.step, str(self.save_checkpoint()))
                    schedule.saved()
                if self.context.is_main and (self.step == 1 or self.step % c.validate_every == 0):
                    scores, grid = self.validate()
                    if grid is not None:
                        yield SampleGridSaved(self.step, str(grid))
                        yield Validated(self.step, scores)
        except GeneratorExit:
            # Cancelled: keep everything learnt so far for --resume.
            self.save_checkpoint()
            raise
        finally:
            pairs.close()
        return (yield from self._finish())

    def _roll_back(self, problem: Problem | None) -> GuardTriggered:
        """Back to the last good state with a lower learning rate (every rank together)."""
        problem = problem or Problem("non_finite", "reported by another training process")
        failed_at = self.step
        self._load_tensors(self._good_state)
        self.step = self._good_step
        self.lr_scale *= self.config.guard.lr_factor
        self._apply_lr()
        new_lr = self.config.lr_g * self.lr_scale
        self.guard.record(failed_at, problem, self._good_step, new_lr)
        return GuardTriggered(
            step=failed_at,
            kind=problem.kind,
            message=problem.message,
            rolled_back_to=self._good_step,
            new_learning_rate=new_lr,
            failures=self.guard.failures,
        )

    def _finish(self) -> Generator[TrainingEvent, None, str]:
        distributed.check_in_sync(self.context, self.nets.generator, self.device)
        self.save_checkpoint()
        path = ""
        if self.context.is_main:
            if self.scores.get("step") != self.step:
                scores, grid = self.validate()
                if grid is not None:
                    yield SampleGridSaved(self.step, str(grid))
                    yield Validated(self.step, scores)
            target = unique_model_path(self.config.name, self.model_path)
            self.model_path = str(target)
            self.save_checkpoint()  # remembers the export path for a longer resumed run
            finished = export_run(self, target, self.clock() - self.started_at)
            path = finished.model_path
            self._record_state(finished=True)  # the wizard no longer offers it to resume
            (self.run_dir / "guard_events.json").write_text(
                json.dumps(self.guard.history, indent=1), encoding="utf-8"
            )
            yield finished
        distributed.barrier(self.context)
        return path


def train(
    config: TrainingConfig,
    *,
    resume: bool = False,
    steps: int | None = None,
    run_dir: Path | None = None,
) -> Generator[TrainingEvent, None, str]:
    """Runs (or resumes) a training run; yields events, returns the model file's path.

    On resume the configuration saved in the run folder (``run_dir``, else the folder of
    ``config.name``) is used; ``steps`` may extend it.
    """
    if resume:
        run_dir = Path(run_dir) if run_dir is not None else find_run_dir(config.name)
        config = runs.read_run_config(run_dir, config.name)
    if steps is not None:
        config.steps = max(int(steps), 1)
    run = TrainingRun(config, resume=resume, run_dir=run_dir)
    try:
        return (yield from run.events())
    finally:
        distributed.shutdown(run.context)
