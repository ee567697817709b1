"""Which detector Find damage uses: the shipped one, unless the person's own fine-tune was
validated better than the model it started from and the classical finder."""

from __future__ import annotations

import torch

from sdstudio.engine.damage import default_model_path, detector_path
from sdstudio.engine.model_file import save_model
from sdstudio.engine.networks import DamageUNet
from sdstudio.paths import user_models_dir

TINY = {"widths": [4, 8], "deep_blocks": 1, "in_channels": 5, "cue_kernel": 9}


def _fine_tune(name: str, model_f1: float, variant: str = "personal"):
    torch.manual_seed(0)
    folder = user_models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    scores = {"model": {"f1": model_f1}, "base": {"f1": 0.5}, "classical": {"f1": 0.3}}
    return save_model(
        folder / f"{name}.safetensors", DamageUNet(**TINY), task="damage",
        architecture="damage_unet", hyperparameters=TINY, name=name,
        extra_metadata={"variant": variant, "validation": scores, "operating_threshold": "0.7"},
    ).path  # fmt: skip


def test_the_shipped_detector_is_used_without_a_better_fine_tune():
    assert detector_path() == default_model_path()
    _fine_tune("no-better", model_f1=0.5)  # exported unchanged: its base's own score
    assert detector_path() == default_model_path()


def test_a_fine_tune_validated_better_takes_over_and_a_named_file_always_wins(tmp_path):
    better = _fine_tune("my-scans", model_f1=0.6)
    assert detector_path() == better
    named = tmp_path / "other.safetensors"
    assert detector_path(named) == named
