from __future__ import annotations

import json

from sdstudio.engine.model_file import read_model_info
from sdstudio.paths import user_models_dir
from sdstudio.training.cli_command import main
from tests.training.conftest import TINY_DISCRIMINATOR, TINY_NETWORKS

SMALL = json.dumps(
    {
        "val_count": 1,
        "val_size": 32,
        "discriminator_hyperparameters": TINY_DISCRIMINATOR,
        "max_side": 96,
        "checkpoint_every": 2,
    }
)


def _args(folder, name, steps="3"):
    return [
        "--task",
        "repair",
        "--data",
        str(folder),
        "--name",
        name,
        "--steps",
        steps,
        "--batch-size",
        "2",
        "--crop",
        "32",
        "--device",
        "cpu",
        "--hyperparameters",
        json.dumps(TINY_NETWORKS["repair"]),
        "--config",
        SMALL,
    ]


def test_cli_trains_prints_progress_and_resumes_for_more_steps(photo_folder, capsys):
    assert main(_args(photo_folder, "cli model")) == 0
    out = capsys.readouterr().out
    assert "Training on 6 image(s) on cpu" in out
    assert "step 3/3" in out and "ETA" in out and "img/s" in out
    assert "validation: model: psnr_hole" in out
    path = user_models_dir() / "cli-model.safetensors"
    assert f"Model saved: {path}" in out
    assert main(["--name", "cli model", "--resume", "--steps", "5"]) == 0
    assert "step 5/5" in capsys.readouterr().out
    assert read_model_info(path).provenance["steps"] == 5  # the same file, trained longer


def test_cli_explains_bad_input(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(_args(tmp_path / "empty", "nothing")) == 1
    assert "contains no files" in capsys.readouterr().err
    assert main(["--name", "never ran", "--resume"]) == 1
    assert "no training run named 'never ran'" in capsys.readouterr().err
    assert main(["--name", "x", "--task", "repair"]) == 2
    assert main(_args(tmp_path, "bad", "3")[:-2] + ["--config", '{"nonsense": 1}']) == 2


def test_cli_refuses_an_unknown_style_preset(photo_folder, capsys):
    args = [
        "--task",
        "style",
        "--data",
        str(photo_folder),
        "--style-data",
        str(photo_folder),
        "--name",
        "s",
        "--style-preset",
        "finger_painting",
    ]
    assert main(args) == 2
    assert "Unknown style preset 'finger_painting'" in capsys.readouterr().err
