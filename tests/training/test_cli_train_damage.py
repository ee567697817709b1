"""``sdstudio train --task damage PHOTOS --masks MASKS``: the damage finder from the CLI."""

from __future__ import annotations

import json

from sdstudio.engine.damage import operating_threshold
from sdstudio.engine.model_file import read_model_info
from sdstudio.paths import user_models_dir
from sdstudio.training.cli_command import main
from tests.training.test_objective_damage import TINY_DETECTOR, marked_scans

SMALL = json.dumps({"val_count": 1, "val_size": 32, "max_side": 96, "checkpoint_every": 2})


def _args(photos, name, *extra):
    return [
        "--task", "damage", str(photos), *extra, "--name", name, "--steps", "3",
        "--batch-size", "2", "--crop", "32", "--device", "cpu",
        "--hyperparameters", json.dumps(TINY_DETECTOR), "--config", SMALL,
    ]  # fmt: skip


def test_cli_trains_the_damage_finder_on_marked_scans_and_resumes(tmp_path, capsys):
    photos, masks = marked_scans(tmp_path)
    assert main(_args(photos, "my scans", "--masks", str(masks))) == 0
    out = capsys.readouterr().out
    assert "Training on 6 image(s) on cpu" in out
    assert "note: 2 of 6 photo(s) have a mask" in out and "lost_scan.png" in out
    assert "validation: model: f1" in out and "classical: f1" in out
    path = user_models_dir() / "my-scans.safetensors"
    assert f"Model saved: {path}" in out
    info = read_model_info(path)
    assert info.task == "damage" and 0 < operating_threshold(info) < 1
    assert json.loads(info.metadata["config"])["adv_weight"] == 0.0  # no discriminator
    assert main(["--name", "my scans", "--resume", "--steps", "4"]) == 0
    assert "step 4/4" in capsys.readouterr().out
    assert read_model_info(path).provenance["steps"] == 4


def test_cli_refuses_masks_for_another_task_and_a_missing_masks_folder(tmp_path, capsys):
    photos, masks = marked_scans(tmp_path)
    repair = _args(photos, "r", "--masks", str(masks))
    repair[1] = "repair"
    assert main(repair) == 2
    assert "masks folder is for training the damage finder" in capsys.readouterr().err
    assert main(_args(photos, "m", "--masks", str(tmp_path / "nowhere"))) == 1
    assert "masks folder" in capsys.readouterr().err
