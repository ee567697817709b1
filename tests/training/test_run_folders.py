"""A run is the folder it lives in: copies, damaged settings, finished or not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sdstudio.engine.model_file import read_model_info
from sdstudio.paths import user_models_dir
from sdstudio.training import events as ev
from sdstudio.training.checkpoints import load_checkpoint
from sdstudio.training.cli_command import main
from sdstudio.training.config import TrainingConfig
from sdstudio.training.run_names import run_dir_for, runs_dir
from sdstudio.training.runs import read_run_state, unfinished_runs
from sdstudio.training.trainer import train
from tests.training.conftest import tiny_config
from tests.training.helpers import of_type, run_to_end


def _resume(name: str, **kwargs):
    return train(TrainingConfig(task="enhance", data_dir="", name=name), resume=True, **kwargs)


def _stop_after(run, step: int) -> None:
    """Cancels ``run`` (which writes a checkpoint) once ``step`` is done."""
    for event in run:
        if isinstance(event, ev.StepDone) and event.step == step:
            break
    run.close()


# "original-2" is the case that used to resume (and export over) the original run; a
# name with spaces is what a file manager's "copy" gives.
@pytest.mark.parametrize("copy_name", ["original-2", "original (copy)"])
def test_a_copied_run_folder_resumes_as_itself_and_exports_its_own_model(photo_folder, copy_name):
    config = tiny_config("enhance", photo_folder, "original", steps=4, validate_every=10_000)
    _, original_model = run_to_end(train(config))
    original_bytes = Path(original_model).read_bytes()
    copy_dir = runs_dir() / copy_name
    shutil.copytree(run_dir_for("original"), copy_dir)

    events, copy_model = run_to_end(_resume(copy_name, steps=6))

    started = of_type(events, ev.RunStarted)[0]
    assert started.run_dir == str(copy_dir) and started.start_step == 4
    assert [s.step for s in of_type(events, ev.StepDone)] == [5, 6]
    assert copy_model != original_model
    assert Path(original_model).read_bytes() == original_bytes  # the original is untouched
    assert load_checkpoint(run_dir_for("original"))[1]["step"] == 4
    info = read_model_info(copy_model)
    assert info.name == copy_name and info.provenance["steps"] == 6
    assert info.path.parent == user_models_dir()
    # Trained longer again, the copy replaces its own export, not the original's.
    _, again = run_to_end(_resume(copy_name, steps=7))
    assert again == copy_model and read_model_info(again).provenance["steps"] == 7
    assert Path(original_model).read_bytes() == original_bytes


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut off mid-write
        lambda text: "[1, 2]",  # valid JSON, but not settings
        lambda text: '{"data_dir": "x", "name": "cut"}',  # the task is missing
    ],
)
def test_damaged_run_settings_are_a_clear_error_naming_the_file(photo_folder, capsys, damage):
    config = tiny_config("repair", photo_folder, "cut", steps=4)
    _stop_after(train(config), 2)
    settings = run_dir_for("cut") / "config.json"
    settings.write_text(damage(settings.read_text()))

    assert main(["--name", "cut", "--resume"]) == 1
    error = capsys.readouterr().err
    assert str(settings) in error
    assert "are damaged" in error and "cannot be resumed" in error
    assert "unexpected" not in error and "Traceback" not in error
    (listed,) = unfinished_runs()
    assert listed.damaged and str(settings) in listed.problem


def test_finished_runs_are_not_offered_to_resume(photo_folder):
    run_to_end(train(tiny_config("enhance", photo_folder, "done", steps=3)))
    _stop_after(train(tiny_config("enhance", photo_folder, "stopped", steps=6)), 2)

    offered = unfinished_runs()
    assert [(run.name, run.step, run.total_steps) for run in offered] == [("stopped", 2, 6)]
    assert read_run_state(run_dir_for("done"))["finished"] is True
    # Trained longer from the command line, a finished run is unfinished until it ends.
    run = _resume("done", steps=5)
    _stop_after(run, 4)
    assert {run.name for run in unfinished_runs()} == {"done", "stopped"}
