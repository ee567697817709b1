from __future__ import annotations

import shutil

import pytest
import torch

from sdstudio.training import events as ev
from sdstudio.training.checkpoints import (
    CheckpointError,
    load_checkpoint,
    remove_temporaries,
    save_checkpoint,
)
from sdstudio.training.trainer import TrainingRun, train
from tests.training.conftest import tiny_config
from tests.training.helpers import of_type, run_to_end


def test_round_trip_keeps_tensors_and_meta(tmp_path):
    net = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path, {"net": net.state_dict()}, {"step": 4, "rng": {"state": 2**100}})
    tensors, meta = load_checkpoint(tmp_path)
    assert meta == {"step": 4, "rng": {"state": 2**100}}
    assert torch.equal(tensors["net"]["weight"], net.weight.detach())


def test_a_damaged_latest_checkpoint_falls_back_to_the_previous(tmp_path):
    save_checkpoint(tmp_path, {"x": torch.zeros(1)}, {"step": 1})
    save_checkpoint(tmp_path, {"x": torch.ones(1)}, {"step": 2})
    (tmp_path / "checkpoint.pt").write_bytes(b"cut off mid-write")
    _, meta = load_checkpoint(tmp_path)
    assert meta["step"] == 1
    (tmp_path / "checkpoint.prev.pt").write_bytes(b"also damaged")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path)


def test_no_checkpoint_and_stale_temporaries(tmp_path):
    assert load_checkpoint(tmp_path) is None
    (tmp_path / ".checkpoint.abc.tmp").write_bytes(b"x")
    remove_temporaries(tmp_path)
    assert not list(tmp_path.iterdir())


def test_checkpoints_never_unpickle_code(tmp_path):
    class Sneaky:
        def __reduce__(self):
            return (print, ("owned",))

    torch.save({"meta": "{}", "evil": Sneaky()}, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path)


def test_renaming_a_model_keeps_its_weights(tmp_path):
    from sdstudio.engine.model_file import load_network, read_model_info
    from sdstudio.training.model_rename import rename_model
    from tests.training.helpers import save_tiny_base

    path = save_tiny_base(tmp_path / "model.safetensors", "enhance")
    before = load_network(path).state_dict()
    info = rename_model(path, "  Holiday photos x2 ")
    assert info.name == "Holiday photos x2" and info.path == path and info.scale == 2
    after = load_network(read_model_info(path)).state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_short_runs_checkpoint_at_least_every_tenth_of_the_run():
    from sdstudio.training.checkpoints import step_interval

    assert step_interval(50, 40) == 4  # a 40-step run keeps more than its first step
    assert step_interval(50, 300) == 30
    assert step_interval(50, 2000) == 50  # long runs keep the configured interval
    assert step_interval(50, 5) == 1


def _copy_run_folder(source, target) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)


def test_a_run_shorter_than_the_interval_killed_midway_resumes_from_its_checkpoint(
    photo_folder, tmp_path
):
    config = tiny_config(
        "repair", photo_folder, "short", steps=40, checkpoint_every=50, validate_every=10_000
    )
    run = TrainingRun(config)
    events = run.events()
    for event in events:
        if isinstance(event, ev.StepDone) and event.step == 22:
            break
    assert load_checkpoint(run.run_dir)[1]["step"] == 20
    # A kill leaves the folder as it is now; closing the generator would write step 22.
    _copy_run_folder(run.run_dir, tmp_path / "as killed")
    events.close()
    _copy_run_folder(tmp_path / "as killed", run.run_dir)

    resumed, _ = run_to_end(train(config, resume=True))
    assert of_type(resumed, ev.RunStarted)[0].start_step == 20
    assert [s.step for s in of_type(resumed, ev.StepDone)] == list(range(21, 41))


def test_a_checkpoint_is_written_after_two_minutes_of_wall_time(photo_folder):
    now = [0.0]
    config = tiny_config(
        "enhance", photo_folder, "slow", steps=1000, checkpoint_every=1000, validate_every=10_000
    )
    events = TrainingRun(config, clock=lambda: now[0]).events()
    saved = []
    for event in events:
        if isinstance(event, ev.CheckpointSaved):
            saved.append(event.step)
        elif isinstance(event, ev.StepDone):
            if event.step == 7:
                break
            now[0] += 50.0  # each step takes 50 s on this (fake) clock
    events.close()
    # Step 0 always; then when 120 s have passed since the last one (150 s, at 3 and 6),
    # long before the 100-step interval (a tenth of 1000).
    assert saved == [0, 3, 6]
