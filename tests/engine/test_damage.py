"""Find the damage: the detector through its model file, tiling, sensitivity, errors;
and the classical top-hat finder it is benchmarked against."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sdstudio.engine.architectures import architecture
from sdstudio.engine.damage import (
    detect_damage,
    iter_damage_probability,
    iter_detect_damage,
    mask_from_probability,
    threshold_for_sensitivity,
)
from sdstudio.engine.damage_classical import find_damage_classical
from sdstudio.engine.model_file import read_model_info, save_model
from sdstudio.engine.networks import CompactSRNet, DamageUNet
from sdstudio.errors import ModelLoadError, UserFacingError

TINY = {"widths": [4, 8], "deep_blocks": 1, "in_channels": 5, "cue_kernel": 5}


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = [100 + 50 * np.sin(xx / 29 + c) + 40 * np.cos(yy / 17 + 2 * c) for c in (0, 1, 2)]
    image = np.stack(channels, 2) + rng.normal(0, 6, (height, width, 3))
    image[height // 3, :] = 250  # a bright scratch so the cues have something to say
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    network = DamageUNet(**TINY)
    with torch.no_grad():  # spread the logits so thresholds matter
        network.head.weight.mul_(20.0)
    path = tmp_path / "tiny-damage.safetensors"
    save_model(path, network, task="damage", architecture="damage_unet",
               hyperparameters=TINY, name="tiny damage")  # fmt: skip
    return path


def test_network_is_registered_and_keeps_any_size():
    assert architecture("damage_unet").load() is DamageUNet
    network = DamageUNet(**TINY).eval()
    with torch.no_grad():
        out = network(torch.rand(2, 5, 37, 53))
    assert out.shape == (2, 1, 37, 53)
    with pytest.raises(ValueError):
        DamageUNet(cue_kernel=4)


def test_detect_damage_returns_a_full_size_binary_mask_and_reports_progress(tiny_model):
    seen = []
    for image in (photo(90, 120), np.dstack([photo(90, 120), np.full((90, 120), 200, np.uint8)])):
        mask = detect_damage(image, model_path=tiny_model, progress=seen.append)
        assert mask.shape == (90, 120) and mask.dtype == np.uint8
        assert set(np.unique(mask)) <= {0, 255}
    assert seen and seen[-1].fraction == 1.0
    assert read_model_info(tiny_model).task == "damage"


def test_tiles_meet_without_seams(tiny_model):
    image = photo(300, 420, seed=3)
    whole = _drive(iter_damage_probability(image, model_path=tiny_model, tile_size=1024))
    tiled = _drive(iter_damage_probability(image, model_path=tiny_model, tile_size=128))
    assert whole.std() > 5, "the probability map should not be flat"
    difference = np.abs(whole.astype(int) - tiled.astype(int))
    assert difference.mean() < 0.2 and np.percentile(difference, 99.9) <= 3


def test_higher_sensitivity_never_marks_fewer_pixels(tiny_model):
    image = photo(120, 160, seed=1)
    probability = _drive(iter_damage_probability(image, model_path=tiny_model))
    masks = [mask_from_probability(probability, s) for s in np.linspace(0, 1, 11)]
    for lower, higher in zip(masks[:-1], masks[1:], strict=True):
        assert not (lower & ~higher).any()  # every pixel marked at lower is marked at higher
    counts = [int(m.sum()) for m in masks]
    assert counts[0] < counts[-1]
    assert np.array_equal(detect_damage(image, model_path=tiny_model, sensitivity=0.3), masks[3])
    assert threshold_for_sensitivity(0.5) == pytest.approx(0.5)
    with pytest.raises(UserFacingError):
        detect_damage(image, model_path=tiny_model, sensitivity=1.5)


def test_sensitivity_one_half_is_the_operating_point_the_model_file_names(tmp_path):
    torch.manual_seed(0)
    network = DamageUNet(**TINY)
    with torch.no_grad():
        network.head.weight.mul_(20.0)
    path = tmp_path / "calibrated.safetensors"
    save_model(path, network, task="damage", architecture="damage_unet", hyperparameters=TINY,
               name="calibrated", extra_metadata={"operating_threshold": "0.8"})  # fmt: skip
    image = photo(120, 160, seed=1)
    probability = _drive(iter_damage_probability(image, model_path=path))
    expected = np.where(probability > 0.8 * 255, 255, 0)
    assert np.array_equal(detect_damage(image, model_path=path), expected)
    assert threshold_for_sensitivity(0.5, 0.8) == pytest.approx(0.8)
    assert threshold_for_sensitivity(0.9, 0.8) < 0.8 < threshold_for_sensitivity(0.1, 0.8)


def test_classical_finder_finds_a_bright_scratch_and_little_else():
    image = photo(200, 240, seed=2)
    image[image.shape[0] // 3, :] = image[image.shape[0] // 3 - 3, :]  # remove photo()'s line
    truth = np.zeros(image.shape[:2], bool)
    truth[100:102, 20:220] = True
    image[truth] = 255
    mask = find_damage_classical(image) > 0
    assert mask[truth].mean() > 0.95
    far = ~np.pad(truth, 3)[3:-3, 3:-3]
    assert mask[far].mean() < 0.01


@pytest.mark.parametrize("damage", ["garbage", "truncated", "missing", "other task"])
def test_bad_model_files_give_a_clear_error(tiny_model, tmp_path, damage):
    path = tmp_path / "bad.safetensors"
    if damage == "garbage":
        path.write_bytes(b"this is not a model at all" * 10)
    elif damage == "truncated":
        data = tiny_model.read_bytes()
        path.write_bytes(data[: len(data) - 200])
    elif damage == "other task":
        save_model(path, CompactSRNet(scale=2, features=4, convs=1), task="enhance",
                   architecture="compact_sr",
                   hyperparameters={"scale": 2, "features": 4, "convs": 1},
                   name="x2", scale=2)  # fmt: skip
    with pytest.raises(UserFacingError) as caught:
        detect_damage(photo(40, 40), model_path=path)
    assert isinstance(caught.value, ModelLoadError)
    assert path.name in str(caught.value)


def test_no_installed_model_is_a_clear_error():
    with pytest.raises(ModelLoadError, match="No damage detector"):
        detect_damage(photo(40, 40))


def test_the_generator_yields_per_tile_and_returns_the_mask(tiny_model):
    work = iter_detect_damage(photo(300, 300), model_path=tiny_model, tile_size=128)
    updates, mask = [], None
    while True:
        try:
            updates.append(next(work))
        except StopIteration as finished:
            mask = finished.value
            break
    count = len(updates)
    assert count > 4 and f"tile {count} of {count}" in updates[-1].message
    fractions = [update.fraction for update in updates]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert mask.shape == (300, 300)


def _drive(work):
    while True:
        try:
            next(work)
        except StopIteration as finished:
            return finished.value
