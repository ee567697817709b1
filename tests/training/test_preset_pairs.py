"""Learning a procedural style preset from paired renders (how the default styles are made)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sdstudio.engine.model_file import load_network, read_model_info
from sdstudio.engine.style.context import TileContext
from sdstudio.engine.style.effects import EFFECTS, FINISHES, preset_finish
from sdstudio.errors import UnknownNameError
from sdstudio.training import events as ev
from sdstudio.training.config import TrainingConfig
from sdstudio.training.datasets import ImagePool
from sdstudio.training.preset_pairs import NETWORK_UNIT, PresetStylePairs, render_preset
from sdstudio.training.trainer import train
from tests.training.conftest import tiny_config
from tests.training.helpers import of_type, run_to_end


def test_targets_are_the_preset_rendered_at_the_reference_size(photo_folder):
    pool = ImagePool(sorted(photo_folder.iterdir()), 96)
    batch = PresetStylePairs(pool, "cartoon", 40, 0.0).make_batch(np.random.default_rng(3), 2)
    assert batch["input"].shape == batch["target"].shape == (2, 3, 40, 40)
    assert batch["target"].dtype == np.float32
    first = torch.from_numpy(batch["input"][:1])
    ctx = TileContext((0, 0), (40, 40), NETWORK_UNIT, 0, first.device)
    expected = EFFECTS["cartoon"].apply(first, ctx).clamp(0, 1)[0].numpy()
    np.testing.assert_allclose(batch["target"][0], expected, atol=1e-6)
    assert np.abs(batch["target"] - batch["input"]).mean() > 0.02  # the style changed them


def test_a_staged_preset_is_learnt_without_its_position_seeded_finish():
    # Film grain and the vignette depend on where a pixel is in the whole photo, which a
    # convolutional network cannot know: the target is the grade, the same for every seed.
    batch = np.random.default_rng(0).random((1, 3, 40, 48), dtype=np.float32)
    first, second = (
        render_preset("vintage_film", batch, [0]),
        render_preset("vintage_film", batch, [9]),
    )
    np.testing.assert_array_equal(first, second)
    x = torch.from_numpy(batch)
    whole = [
        EFFECTS["vintage_film"].apply(x, TileContext((0, 0), (40, 48), NETWORK_UNIT, s, x.device))
        for s in (0, 9)
    ]
    assert not torch.equal(whole[0], whole[1])  # the whole preset does depend on the seed
    finished = FINISHES[preset_finish("vintage_film")].apply(
        torch.from_numpy(first), TileContext((0, 0), (40, 48), NETWORK_UNIT, 0, x.device)
    )
    torch.testing.assert_close(finished, whole[0].clamp(0, 1), atol=1e-5, rtol=0)
    assert preset_finish("cartoon") is None


def test_an_unknown_preset_is_named():
    with pytest.raises(UnknownNameError, match="cartoon"):
        render_preset("crayon", np.zeros((1, 3, 8, 8), np.float32), [0])
    with pytest.raises(ValueError, match="style source"):
        TrainingConfig(task="style", data_dir=".", name="x", style_source="internet")


def test_a_style_network_learns_a_preset_and_backs_it(photo_folder):
    config = tiny_config(
        "style",
        photo_folder,
        "learnt neon",
        style_source="preset",
        style_preset="neon_glow",
        nce_weight=0.0,
        adv_weight=0.0,
        lr_g=5e-3,
        steps=24,
        crop=48,
    )
    events, model_path = run_to_end(train(config))
    l1 = [step.losses["l1"] for step in of_type(events, ev.StepDone)]
    assert np.mean(l1[-4:]) < 0.7 * np.mean(l1[:4])  # it moves towards the preset's renders
    info = read_model_info(model_path)
    assert info.style == "neon_glow" and info.provenance["config"]["style_source"] == "preset"
    assert "finish" not in info.provenance  # neon glow has no finish to add after it
    assert load_network(model_path)(torch.rand(1, 3, 24, 24)).shape == (1, 3, 24, 24)


@pytest.mark.parametrize(
    ("source", "finish"), [("preset", "film"), ("examples", None)], ids=["preset", "examples"]
)
def test_a_model_that_learnt_a_staged_preset_names_its_finish(tmp_path, source, finish):
    from sdstudio.engine.networks import StyleTransferNet
    from sdstudio.training.model_setup import export_model

    config = TrainingConfig(
        task="style", data_dir=str(tmp_path), name="grade", style_preset="vintage_film",
        style_source=source,
    )  # fmt: skip
    hyper = {"channels": 4, "residual_blocks": 1}
    info = export_model(
        tmp_path / "grade.safetensors", StyleTransferNet(**hyper), config, "style_resnet",
        hyper, None, steps=1, image_count=1, scores={},
    )  # fmt: skip
    # Learnt from a user's examples, the network learnt their whole look: nothing to add.
    assert info.provenance.get("finish") == finish
