from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from sdstudio.engine import catalog
from sdstudio.engine.model_file import load_network, read_model_info
from sdstudio.errors import TrainingDataError, UserFacingError
from sdstudio.training import events as ev
from sdstudio.training.datasets import ImagePool
from sdstudio.training.objectives.repair import RepairPairs
from sdstudio.training.run_names import run_dir_for
from sdstudio.training.stability_guard import GuardSettings, TrainingUnstable
from sdstudio.training.trainer import train
from tests.training.conftest import tiny_config, write_photos
from tests.training.helpers import of_type, run_to_end, save_tiny_base


def _probe_input(task: str) -> torch.Tensor:
    rng = np.random.default_rng(0)
    image = torch.from_numpy(rng.random((1, 3, 32, 32), dtype=np.float32))
    if task == "repair":
        mask = torch.zeros(1, 1, 32, 32)
        mask[..., 8:20, 10:24] = 1
        return torch.cat([image * (1 - mask), mask], 1)
    return image


@pytest.mark.parametrize("task", ["repair", "enhance", "style"])
def test_each_task_fine_tunes_and_exports_a_model_the_engine_lists(task, tmp_path, photo_folder):
    base = save_tiny_base(tmp_path / f"{task}-base.safetensors", task)
    style_dir = tmp_path / "styles"
    write_photos(style_dir, 3, seed=9)
    config = tiny_config(
        task,
        photo_folder,
        f"my {task}",
        base_model=str(base),
        style_data_dir=str(style_dir),
        steps=10,
    )
    events, model_path = run_to_end(train(config))

    steps = of_type(events, ev.StepDone)
    assert [s.step for s in steps] == list(range(1, 11))
    totals = [s.losses["g_total"] for s in steps]
    assert all(math.isfinite(v) for v in totals) and len(set(totals)) > 1  # the loss moves
    if task != "style":
        assert np.mean([s.losses["l1"] for s in steps[-3:]]) < np.mean(
            [s.losses["l1"] for s in steps[:3]]
        )
    assert of_type(events, ev.SampleGridSaved) and of_type(events, ev.Validated)
    finished = of_type(events, ev.RunFinished)[-1]
    assert finished.model_path == model_path and "base" in finished.scores

    info = read_model_info(model_path)
    assert (info.task, info.name) == (task, f"my {task}")
    assert info.provenance["steps"] == 10 and info.provenance["image_count"] == 6
    assert info.provenance["base_model"] == base.name and info.provenance["seed"] == 1
    assert info.provenance["validation"]["model"] and "date" in info.provenance
    assert info.provenance["config"]["task"] == task
    assert info.style == ("oil_painting" if task == "style" else None)  # backs the base's preset
    listed = {
        m.path: m for m in catalog.list_methods(task, include_providers=False) if m.path is not None
    }
    assert model_path in {str(p) for p in listed}

    probe = _probe_input(task)
    with torch.no_grad():
        trained = load_network(model_path)(probe)
        original = load_network(base)(probe)
    assert trained.shape == original.shape
    # Keep-best: weights that beat the base on the held-out photos, else the base unchanged
    # (issue 19); style has no score to judge by, so it always exports what it learnt.
    assert finished.outcome == (
        "trained" if task == "style" else info.metadata["fine_tune_outcome"]
    )
    if finished.outcome == "no_better":
        assert torch.equal(trained, original)
    else:
        assert (trained - original).abs().mean() > 1e-3


def test_training_from_scratch_and_a_one_image_folder(tmp_path):
    folder = tmp_path / "one"
    write_photos(folder, 1)
    config = tiny_config("enhance", folder, "from scratch", steps=3)
    events, model_path = run_to_end(train(config))
    assert of_type(events, ev.RunStarted)[0].image_count == 1
    assert read_model_info(model_path).provenance["base_model"] == ""


def test_problem_folders_fail_before_training_starts(tmp_path):
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "readme.txt").write_text("no photos here")
    with pytest.raises(TrainingDataError, match="no usable image"):
        next(train(tiny_config("repair", tmp_path / "junk", "junk")))
    (tmp_path / "empty").mkdir()
    with pytest.raises(TrainingDataError, match="contains no files"):
        next(train(tiny_config("repair", tmp_path / "empty", "empty")))


def test_unreadable_files_are_reported_and_training_goes_on(tmp_path, photo_folder):
    (photo_folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff garbage")
    events, _ = run_to_end(train(tiny_config("repair", photo_folder, "with junk", steps=2)))
    started = of_type(events, ev.RunStarted)[0]
    assert started.image_count == 6 and any("corrupt.jpg" in s for s in started.skipped_files)


def test_cancel_writes_a_checkpoint_and_resume_continues(photo_folder):
    config = tiny_config("repair", photo_folder, "resumable", steps=8, checkpoint_every=100)
    run = train(config)
    for event in run:
        if isinstance(event, ev.StepDone) and event.step == 3:
            break
    run.close()  # what Cancel does
    with pytest.raises(UserFacingError, match="already exists"):
        next(train(tiny_config("repair", photo_folder, "resumable")))
    events, model_path = run_to_end(train(config, resume=True, steps=9))
    assert of_type(events, ev.RunStarted)[0].start_step == 3
    assert [s.step for s in of_type(events, ev.StepDone)] == list(range(4, 10))
    assert read_model_info(model_path).provenance["steps"] == 9


def _poison(monkeypatch, bad_calls: set[int]) -> None:
    """Batches number ``bad_calls`` (counting from 0) carry NaN pixels."""
    original = RepairPairs.make_batch
    calls = {"n": 0}

    def make_batch(self, rng, size):
        batch = original(self, rng, size)
        if calls["n"] in bad_calls:
            batch["input"][:] = np.nan
        calls["n"] += 1
        return batch

    monkeypatch.setattr(RepairPairs, "make_batch", make_batch)


def test_guard_rolls_back_lowers_the_learning_rate_and_records(monkeypatch, photo_folder):
    _poison(monkeypatch, {5})
    # 30 steps: a tenth of the run is 3 steps, so checkpoints stay 3 steps apart
    config = tiny_config(
        "repair", photo_folder, "guarded", steps=30, checkpoint_every=3, validate_every=10
    )
    events, model_path = run_to_end(train(config))
    (guard,) = of_type(events, ev.GuardTriggered)
    assert guard.kind == "non_finite" and guard.step == 5 and guard.rolled_back_to == 3
    assert guard.new_learning_rate == pytest.approx(config.lr_g * 0.5)
    steps = [s.step for s in of_type(events, ev.StepDone)]
    assert steps == [1, 2, 3, 4, 5, 4, 5, *range(6, 31)]  # steps 4-5 redone after the rollback
    after = [s for s in of_type(events, ev.StepDone)][5:]
    assert all(s.learning_rate == pytest.approx(config.lr_g * 0.5) for s in after)
    assert all(math.isfinite(v) for s in after for v in s.losses.values())
    with torch.no_grad():
        output = load_network(model_path)(_probe_input("repair"))
    assert torch.isfinite(output).all()
    assert read_model_info(model_path).provenance["steps"] == 30
    recorded = json.loads((run_dir_for("guarded") / "guard_events.json").read_text())
    assert [(e["kind"], e["step"], e["rolled_back_to"]) for e in recorded] == [("non_finite", 5, 3)]


def test_repeated_failures_stop_with_a_clear_explanation(monkeypatch, photo_folder):
    _poison(monkeypatch, set(range(2, 100)))
    guard = GuardSettings(max_failures=3)
    config = tiny_config("repair", photo_folder, "hopeless", steps=8, guard=guard)
    run = train(config)
    seen = []
    with pytest.raises(TrainingUnstable, match="unstable 3 times") as raised:
        for event in run:
            seen.append(event)
    assert len(of_type(seen, ev.GuardTriggered)) == 2
    assert "last good checkpoint is kept" in str(raised.value)


def test_a_classical_fill_refiner_trains_on_guided_inputs(photo_folder):
    config = tiny_config(
        "repair",
        photo_folder,
        "my refiner",
        architecture="inpaint_refiner",
        hyperparameters={"channels": 4, "dilations": [1, 2]},
        adv_weight=0.0,
        steps=6,
    )
    events, model_path = run_to_end(train(config))
    info = read_model_info(model_path)
    assert (info.task, info.architecture) == ("repair", "inpaint_refiner")
    validated = of_type(events, ev.Validated)[-1].scores
    assert "psnr_hole" in validated["model"] and "psnr_hole" in validated["classical"]
    pairs = RepairPairs(ImagePool(sorted(photo_folder.iterdir()), 96), 32, 0.0, guided=True)
    batch = pairs.make_batch(np.random.default_rng(0), 2)
    assert batch["input"].shape == (2, 7, 32, 32)
    hole = batch["mask"] > 0
    guides_known = batch["input"][:, :6] * (1 - batch["mask"])
    target_known = np.concatenate([batch["target"]] * 2, 1) * (1 - batch["mask"])
    np.testing.assert_allclose(guides_known, target_known, atol=1e-6)  # fills keep the photo
    np.testing.assert_array_equal(batch["input"][:, 6:], hole.astype(np.float32))
