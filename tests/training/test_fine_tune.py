"""Fine-tuning continues the base model's recipe, keeps its best weights, and never offers
a worse model as better (issue 19)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from sdstudio.engine.model_checks import validated_better
from sdstudio.engine.model_file import build_network, read_model_info, save_model
from sdstudio.paths import bundled_models_dir
from sdstudio.training import events as ev
from sdstudio.training.cli_command import main as cli_main
from sdstudio.training.config import TrainingConfig
from sdstudio.training.datasets import ImagePool
from sdstudio.training.degradation_profiles import PROFILES, downscale
from sdstudio.training.keep_best import NO_BETTER, KeepBest
from sdstudio.training.model_setup import trainable_parameters
from sdstudio.training.objectives.enhance import EnhancePairs
from sdstudio.training.recipe import (
    RECIPE_KEY,
    apply_base_recipe,
    continue_base_recipe,
    ema_decay_for,
    read_recipe,
    recipe_of_config,
    warmup_factor,
)
from sdstudio.training.run_data import held_out_count
from sdstudio.training.trainer import train
from tests.training.conftest import TINY_NETWORKS, tiny_config, write_photos
from tests.training.helpers import of_type, run_to_end

FIDELITY_RECIPE = {
    "degradation": "clean_mild",
    "adv_weight": 0.0,
    "l1_weight": 1.0,
    "lr_g": 5e-4,
    "lr_d": 2e-4,
    "betas": [0.9, 0.99],
}


def _enhance_base(path, recipe=FIDELITY_RECIPE, seed=0):
    torch.manual_seed(seed)
    params = dict(TINY_NETWORKS["enhance"], upsample="bicubic")
    network = build_network("compact_sr", params)
    with torch.no_grad():  # start exactly at bicubic, as the shipped models do
        network.body[-1].weight.zero_()
        network.body[-1].bias.zero_()
    save_model(
        path,
        network,
        task="enhance",
        architecture="compact_sr",
        hyperparameters=params,
        name="Tiny enhance base",
        scale=2,
        extra_metadata={RECIPE_KEY: json.dumps(recipe)},
    )
    return path


def test_the_shipped_models_carry_the_recipe_they_were_trained_with():
    x2 = read_model_info(bundled_models_dir() / "sdstudio-enhance-x2.safetensors")
    x4 = read_model_info(bundled_models_dir() / "sdstudio-enhance-x4.safetensors")
    repair = read_model_info(bundled_models_dir() / "sdstudio-repair.safetensors")
    assert json.loads(x2.metadata[RECIPE_KEY])["degradation"] == "any_downscale"
    assert json.loads(x4.metadata[RECIPE_KEY])["degradation"] == "any_downscale"
    for info in (x2, x4, repair):
        recipe = json.loads(info.metadata[RECIPE_KEY])
        trained_with = json.loads(info.metadata["config"])
        assert recipe["adv_weight"] == trained_with["adv_weight"] == 0.0
        assert recipe["lr_g"] == trained_with["lr_g"]
        assert recipe["crop"] == trained_with["crop"]
    assert "degradation" not in json.loads(repair.metadata[RECIPE_KEY])


def test_an_older_file_without_a_recipe_is_read_from_its_config_and_profile_values():
    metadata = {
        "config": json.dumps({"task": "enhance", "adv_weight": 0.0, "lr_g": 5e-4, "crop": 96}),
        "degradation": json.dumps(PROFILES["mild"].as_dict()),
    }
    recipe = read_recipe(metadata)
    assert recipe["degradation"] == "mild" and recipe["lr_g"] == 5e-4 and recipe["crop"] == 96


def test_a_fine_tune_continues_the_base_recipe_with_averaging_sized_to_its_length():
    config = TrainingConfig(task="enhance", data_dir="", name="x").with_preset("quick")
    assert config.adv_weight > 0 and config.degradation is None  # the trainer's defaults
    continue_base_recipe(config, {RECIPE_KEY: json.dumps(FIDELITY_RECIPE)})
    assert config.degradation == "clean_mild" and config.adv_weight == 0.0
    assert config.betas == (0.9, 0.99) and config.lr_g == FIDELITY_RECIPE["lr_g"]
    assert config.ema_decay == ema_decay_for(300) < 0.98  # 0.999 would export the base
    assert ema_decay_for(100_000) == 0.999
    assert config.validate_every * 4 <= config.steps and config.base_recipe_applied
    # Adam's first steps are as big as the rate whatever the gradient: ramp it up, and
    # average from the base's own weights instead of warming the average up from step 1.
    assert config.warmup_steps == 60 and not config.ema_warmup
    assert warmup_factor(0, config) == pytest.approx(1 / 60) and warmup_factor(60, config) == 1.0
    assert recipe_of_config(config)["degradation"] == "clean_mild"


def test_enhance_pairs_use_the_profile_they_are_given(tmp_path):
    write_photos(tmp_path, 2)
    pool = ImagePool(sorted(tmp_path.iterdir()), 96)
    clean_only = PROFILES["mild"].__class__(1.0, 0, (1, 1), 0, (1, 1), 0, (90, 90))
    from sdstudio.training.degradation_profiles import profile_degrade

    pairs = EnhancePairs(pool, 32, 2, 0.0, lambda rng, c, s: profile_degrade(rng, c, s, clean_only))
    batch = pairs.make_batch(np.random.default_rng(0), 2)
    for low, high in zip(batch["input"], batch["target"], strict=True):
        expected = downscale(high.transpose(1, 2, 0), 2, 0).transpose(2, 0, 1)
        assert np.allclose(low, expected, atol=1e-6)


def test_keep_best_remembers_the_best_scoring_weights_not_the_last():
    keeper = KeepBest("enhance", has_base=True)
    for step, score in ((10, 20.0), (20, 23.0), (30, 21.0)):
        keeper.offer(step, {"psnr": score}, {"w": torch.full((1,), float(step))})
    assert keeper.best_step == 20 and float(keeper.best_state["w"]) == 20.0
    assert keeper.outcome({"psnr": 22.0}) == "better"
    assert keeper.outcome({"psnr": 23.0}) == NO_BETTER  # no gain is not "better"


def test_training_only_the_last_layers_freezes_the_others():
    network = build_network("compact_sr", dict(TINY_NETWORKS["enhance"]))
    everything = trainable_parameters(network, 0)
    assert len(everything) == len(list(network.parameters()))
    last = trainable_parameters(network, 1)
    assert [p.shape for p in last] == [p.shape for p in network.body[-1].parameters()]
    assert all(p.requires_grad == any(p is q for q in last) for p in network.parameters())


def test_a_fifth_of_a_folder_is_held_out_when_the_recipe_asks():
    config = TrainingConfig(task="enhance", data_dir="", name="x", val_fraction=0.2)
    assert held_out_count(config, 24) == 5 and held_out_count(config, 10) == 4
    assert held_out_count(config, 6) == 4  # too few to hold out: validates on training photos


def _finetune(tmp_path, name, base, **overrides):
    photos = tmp_path / "photos"
    if not photos.exists():
        write_photos(photos, 10)
    config = tiny_config("enhance", photos, name, base_model=str(base), hyperparameters={})
    apply_base_recipe(config)  # as the wizard and the CLI do, before their own settings
    for key, value in overrides.items():
        setattr(config, key, value)
    return run_to_end(train(config))


def test_a_fine_tune_that_improves_exports_its_best_weights_as_a_personal_variant(tmp_path):
    base = _enhance_base(tmp_path / "base.safetensors")
    events, path = _finetune(tmp_path, "Better", base, steps=40, batch_size=4, crop=48, val_size=48)
    finished = of_type(events, ev.RunFinished)[-1]
    info = read_model_info(path)
    validation = json.loads(info.metadata["validation"])
    config = json.loads(info.metadata["config"])
    assert config["degradation"] == "clean_mild" and config["adv_weight"] == 0.0
    assert json.loads(info.metadata[RECIPE_KEY])["degradation"] == "clean_mild"
    assert info.metadata["variant"] == "personal"  # listed by name, never "auto" over a default
    assert finished.outcome == info.metadata["fine_tune_outcome"]
    assert finished.held_out_count == int(info.metadata["held_out_images"]) == 2
    # The scores written are the exported weights' own, and agree with the verdict.
    assert validation["model"] == finished.scores["model"]
    better = validation["model"]["psnr"] > validation["base"]["psnr"]
    assert (finished.outcome == "better") == better
    if better:
        assert finished.gain_db == pytest.approx(
            validation["model"]["psnr"] - validation["base"]["psnr"]
        )
    assert finished.comparison_path.endswith("comparison.png")
    assert finished.elapsed_seconds > 0


def test_a_fine_tune_that_cannot_improve_exports_the_base_unchanged_and_says_so(tmp_path):
    base = _enhance_base(tmp_path / "base.safetensors")
    # A learning rate of zero cannot beat the base: the run must not pretend it did.
    events, path = _finetune(tmp_path, "Same", base, lr_g=0.0, steps=6)
    finished = of_type(events, ev.RunFinished)[-1]
    info = read_model_info(path)
    assert finished.outcome == info.metadata["fine_tune_outcome"] == NO_BETTER
    assert info.metadata["fine_tune_gain_db"] == "0.000"
    assert "no better than Tiny enhance base" in info.description
    saved, original = load_file(str(path)), load_file(str(base))
    assert saved.keys() == original.keys()
    assert all(torch.equal(saved[key], original[key]) for key in saved)
    validation = json.loads(info.metadata["validation"])
    assert validation["model"] == validation["base"]
    assert not validated_better("enhance", validation)  # "auto" never picks it


def test_cli_prints_the_held_out_score_base_to_tuned_and_the_time(tmp_path, capsys):
    base = _enhance_base(tmp_path / "base.safetensors")
    photos = tmp_path / "photos"
    write_photos(photos, 8)
    small = {"val_size": 32, "max_side": 96, "checkpoint_every": 2}
    code = cli_main(
        ["--task", "enhance", "--data", str(photos), "--name", "Cli tuned", "--base", str(base)]
        + ["--steps", "4", "--batch-size", "2", "--crop", "32", "--device", "cpu"]
        + ["--config", json.dumps(small)]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    line = next(text for text in out.splitlines() if text.startswith("Held-out score"))
    assert "4 photo(s)" in line and "base " in line and "-> tuned " in line and "dB" in line
    assert any(text.startswith("Time taken: ") for text in out.splitlines())
    config = json.loads(read_model_info(out.split("Model saved: ")[1].strip()).metadata["config"])
    assert config["degradation"] == "clean_mild"  # the CLI continued the base's recipe


def test_a_learnt_preset_style_tuned_on_examples_keeps_the_example_losses():
    preset_recipe = {"adv_weight": 0.0, "lr_g": 1e-3, "style_source": "preset", "crop": 160}
    config = TrainingConfig(task="style", data_dir="", name="x").with_preset("quick")
    adversarial = config.adv_weight
    continue_base_recipe(config, {RECIPE_KEY: json.dumps(preset_recipe)})
    assert config.adv_weight == adversarial > 0 and config.style_source == "examples"
    assert config.base_recipe_applied and not config.ema_warmup
