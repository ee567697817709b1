"""scripts/train_damage_detector.py on tiny settings: trains, resumes, exports a model
the engine loads."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sdstudio.engine.damage import detect_damage
from sdstudio.engine.model_file import load_network, read_model_info

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_damage_detector.py"


@pytest.fixture(scope="module")
def script():
    import torch

    threads = torch.get_num_threads()  # the script trains with one; give the rest back
    spec = importlib.util.spec_from_file_location("train_damage_detector", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)
        torch.set_num_threads(threads)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(3):
        yy, xx = np.mgrid[0:96, 0:128].astype(np.float32)
        image = np.stack([120 + 60 * np.sin(xx / (9 + index) + c) + 30 * np.cos(yy / 13)
                          for c in (0, 1, 2)], 2) + rng.normal(0, 4, (96, 128, 3))  # fmt: skip
        Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(folder / f"p{index}.png")
    return folder


def arguments(photos: Path, tmp_path: Path, steps: int, **extra: str) -> list[str]:
    options = {
        "--photos": str(photos), "--checkpoints": str(tmp_path / "ckpt"),
        "--export": str(tmp_path / "out" / "damage.safetensors"), "--steps": str(steps),
        "--batch-size": "2", "--widths": "4,8", "--deep-blocks": "1", "--holdout": "1",
        "--holdout-side": "64", "--render-workers": "0", "--log-seconds": "0",
    }  # fmt: skip
    options.update(extra)
    return [item for pair in options.items() for item in pair]


def test_trains_resumes_and_exports_a_loadable_model(script, photos, tmp_path, capsys):
    state = script.train(script.parse_args(arguments(photos, tmp_path, 3)))
    assert state["step"] == 3 and state["exports"] == 1
    assert (tmp_path / "ckpt" / "last.pt").exists()
    export = tmp_path / "out" / "damage.safetensors"
    info = read_model_info(export)
    assert info.task == "damage" and info.architecture == "damage_unet"
    assert info.hyperparameters["widths"] == [4, 8]
    assert int(info.metadata["steps"]) == 3
    assert 0.0 < float(info.metadata["operating_threshold"]) < 1.0
    assert "f1" in info.provenance["validation"]
    load_network(info)
    mask = detect_damage(np.zeros((40, 50, 3), np.uint8), model_path=export)
    assert mask.shape == (40, 50)
    capsys.readouterr()

    resumed = script.train(script.parse_args(arguments(photos, tmp_path, 5)))
    assert "resumed from" in capsys.readouterr().out
    assert resumed["step"] == 5
    assert resumed["elapsed"] >= state["elapsed"]


def test_a_checkpoint_of_another_network_is_not_resumed(script, photos, tmp_path):
    script.train(script.parse_args(arguments(photos, tmp_path, 1)))
    with pytest.raises(SystemExit, match="was trained with"):
        script.train(script.parse_args(arguments(photos, tmp_path, 2, **{"--widths": "4,6"})))


def test_a_budget_is_required(script):
    with pytest.raises(SystemExit):
        script.parse_args(["--photos", "x"])
