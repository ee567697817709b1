"""Each trained task's objective: its batches, what its discriminator judges, its scores."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sdstudio.tasks import Task
from sdstudio.training.datasets import ImagePool, scan_folder
from sdstudio.training.objectives import OBJECTIVES, TRAINED_TASKS, objective_for
from sdstudio.training.validation import Validator
from tests.training.conftest import synthetic_photo, tiny_config, write_photos


def _photos(count: int, size: int = 64) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [synthetic_photo(rng, size, size) for _ in range(count)]


def test_every_task_the_trainer_trains_has_its_objective():
    assert TRAINED_TASKS == (Task.REPAIR, Task.ENHANCE, Task.STYLE, Task.DAMAGE)
    assert all(OBJECTIVES[task].task is task for task in TRAINED_TASKS)


@pytest.mark.parametrize(
    ("task", "channels", "keys"),
    [
        ("repair", 4, {"input", "target", "mask"}),
        ("enhance", 3, {"input", "target"}),
        ("style", 3, {"input", "style"}),
    ],
)
def test_batches_feed_the_discriminator_the_channels_it_is_built_for(
    tmp_path, photo_folder, task, channels, keys
):
    write_photos(tmp_path / "styles", 2, seed=4)
    config = tiny_config(task, photo_folder, "objective", style_data_dir=str(tmp_path / "styles"))
    objective = objective_for(config)
    report = scan_folder(config.data_dir, config.crop)
    pairs, _ = objective.batch_maker(ImagePool(report.images, config.max_side), report)
    batch = {
        key: torch.from_numpy(value)
        for key, value in pairs.make_batch(np.random.default_rng(0), 2).items()
    }
    assert set(batch) == keys
    size = batch["input"].shape[-1] * objective.scale if task == "enhance" else None
    output = torch.rand(2, 3, size or config.crop, size or config.crop)
    fake, real = objective.judged(batch, output)
    assert fake.shape[1] == real.shape[1] == channels == objective.discriminator_channels


def test_a_style_learnt_from_a_preset_is_fitted_to_its_renders(photo_folder):
    config = tiny_config("style", photo_folder, "preset", style_source="preset")
    objective = objective_for(config)
    batch = {"input": torch.rand(1, 3, 8, 8), "target": torch.rand(1, 3, 8, 8)}
    fake, real = objective.judged(batch, batch["input"])
    assert real is batch["target"]
    assert set(objective.reconstruction(None, batch, batch["input"])) == {"l1"}


@pytest.mark.parametrize(
    ("task", "score_names"),
    [
        ("repair", {"psnr_hole", "ssim"}),
        ("enhance", {"psnr", "ssim"}),
        ("style", {"structure_ssim", "change_psnr"}),
    ],
)
def test_validation_scores_the_identity_against_the_classical_method(
    photo_folder, task, score_names
):
    objective = objective_for(tiny_config(task, photo_folder, "scores"), scale=2)
    validator = Validator(objective, _photos(2), 48, seed=3)
    assert set(validator.classical) == score_names

    def perfect(inputs: np.ndarray) -> np.ndarray:
        index = next(i for i, x in enumerate(validator.inputs) if np.array_equal(x, inputs[0]))
        return validator.targets[index].transpose(2, 0, 1)[None].astype(np.float32) / 255.0

    scores, outputs = validator.score(perfect)
    assert len(outputs) == 2 and validator.grid(outputs).shape[1] == 3 * outputs[0].shape[1]
    if task != "style":
        first = next(iter(score_names))
        assert scores[first] > validator.classical[first]


def test_validation_inputs_are_the_same_for_the_same_seed(photo_folder):
    objective = objective_for(tiny_config("repair", photo_folder, "fixed"))
    first = Validator(objective, _photos(3), 48, seed=5).inputs
    again = Validator(objective, _photos(3), 48, seed=5).inputs
    assert np.array_equal(first, again)


def test_export_fields_name_scale_and_style(photo_folder):
    enhance = objective_for(tiny_config("enhance", photo_folder, "big"))
    assert enhance.export_fields(None, {"scale": 4}).scale == 4
    style = objective_for(tiny_config("style", photo_folder, "My look"))
    assert style.export_fields(None, {}).style == "user_My-look"
    assert (
        objective_for(tiny_config("repair", photo_folder, "fill")).export_fields(None, {}).style
        is None
    )
