"""The model files shipped in ``models/``: each is offered by the catalog, describes itself
completely, matches the recipe that reproduces it, and works through the real job."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sdstudio import paths
from sdstudio.engine import catalog
from sdstudio.engine.model_file import read_model_info
from sdstudio.engine.runner import run_to_completion
from sdstudio.engine.style.effects import preset_finish
from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob
from tests.script_loading import load_script

MODELS_DIR = paths.bundled_models_dir()
SHIPPED = sorted(MODELS_DIR.glob("*.safetensors"))
RECIPE_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "train_default_models.py"
PROVENANCE_KEYS = (
    "steps", "seed", "config", "date", "image_count", "validation", "command", "hardware",
    "training_data",
)  # fmt: skip


def load_recipes() -> dict:
    module = load_script("train_default_models")
    return {recipe.file_name: recipe for recipe in module.RECIPES}


def example_crop(size: int) -> np.ndarray:
    """A real photo crop (the bundled example photo), ``size`` square."""
    image = np.asarray(Image.open(paths.example_photo_path()).convert("RGB"))
    top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    return np.ascontiguousarray(image[top : top + size, left : left + size])


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255.0**2 / max(mse, 1e-10))


def test_default_enhance_models_are_shipped_and_chosen_by_auto():
    by_scale = {}
    for method in catalog.list_methods("enhance"):
        if method.kind == "builtin" and method.source == "bundled models" and not method.variant:
            by_scale.setdefault(method.scale, method)
    assert {2, 4} <= set(by_scale), "models/ must hold trained x2 and x4 enhance models"
    for scale in (2, 4):
        assert catalog.best_method("enhance", scale=scale).path == by_scale[scale].path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_model_is_listed_with_complete_metadata(path: Path):
    info = read_model_info(path)
    assert info.size_bytes < 30_000_000
    listed = [m for m in catalog.list_methods(info.task) if m.path == path]
    assert len(listed) == 1 and listed[0].kind == "builtin"
    assert listed[0].source == "bundled models"
    assert not [p for p in catalog.model_problems() if p.path == path]
    assert info.name and info.description and info.version
    for key in PROVENANCE_KEYS:
        assert str(info.provenance.get(key, "")).strip(), f"{path.name} lacks {key}"
    config = json.loads(info.metadata["config"])
    assert config["steps"] == int(info.metadata["steps"])
    assert config["seed"] == int(info.metadata["seed"])
    assert int(info.metadata["image_count"]) > 0
    if info.task == "enhance":
        assert info.scale == info.hyperparameters["scale"]
    if info.task == "style":
        assert info.style


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_model_matches_its_reproducing_recipe(path: Path):
    info = read_model_info(path)
    if info.task == "damage":  # a segmentation network: its own training script
        _check_damage_recipe(info)
        return
    recipes = load_recipes()
    assert path.name in recipes, f"{path.name} has no recipe in scripts/train_default_models.py"
    recipe = recipes[path.name]
    info = read_model_info(path)
    assert info.task == recipe.task
    assert info.hyperparameters == recipe.hyperparameters
    assert int(info.metadata["steps"]) == recipe.steps
    config = json.loads(info.metadata["config"])
    assert (config["batch_size"], config["crop"]) == (recipe.batch_size, recipe.crop)
    for key, value in recipe.metadata.items():  # working_size, variant, ...
        assert info.metadata.get(key) == value, f"{path.name}: {key}"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_model_runs_through_the_real_job(path: Path):
    info = read_model_info(path)
    method = next(m for m in catalog.list_methods(info.task) if m.path == path)
    if info.task == "enhance":
        scale = info.scale
        truth = example_crop(24 * scale)
        small = np.asarray(
            Image.fromarray(truth).resize((24, 24), Image.Resampling.BICUBIC)
        )  # fmt: skip
        alpha = np.full((24, 24, 1), 200, np.uint8)
        result = run_to_completion(
            EnhanceJob(image=np.concatenate([small, alpha], 2), scale=scale, model=method.id)
        )
        out = result.image
        assert out.shape == (24 * scale, 24 * scale, 4)
        assert (out[..., 3] == 200).all()
        bicubic = np.asarray(
            Image.fromarray(small).resize(truth.shape[1::-1], Image.Resampling.BICUBIC)
        )
        # A trained restorer is close to bicubic on a clean input, far from noise. The
        # adversarial "detail" variant trades fidelity for crisp edges: on this smooth
        # crop it is 4 dB below bicubic (-0.2 dB on average over the val photos).
        margin = 6.0 if method.variant else 3.0
        assert psnr(out[..., :3], truth) > psnr(bicubic, truth) - margin
    elif info.task == "repair":
        image = example_crop(64)
        mask = np.zeros((64, 64), np.uint8)
        mask[24:40, 20:44] = 255
        out = run_to_completion(RepairJob(image=image, mask=mask, method=method.id)).image
        assert out.shape == image.shape
        assert (out[mask == 0] == image[mask == 0]).mean() > 0.8
        assert psnr(out[mask > 0], image[mask > 0]) > 12.0
    elif info.task == "damage":
        from sdstudio.engine.damage import detect_damage

        image = example_crop(160).copy()
        image[40:43, 10:150] = 250  # a bright scratch across the photo
        found = detect_damage(image, model_path=path, sensitivity=0.8)
        assert found.shape == image.shape[:2] and found.dtype == np.uint8
        assert (found[40:43, 30:130] > 0).mean() > 0.5
        assert (found > 0).mean() < 0.2  # a proposal, not the whole photo
    else:
        photo = Image.open(paths.example_photo_path()).convert("RGB")
        image = np.asarray(photo.resize((300, 200), Image.Resampling.LANCZOS))
        styled = run_to_completion(StyleJob(image=image, preset=info.style, strength=1.0))
        assert styled.params["method"] == method.id
        procedural = run_to_completion(
            StyleJob(image=image, preset=info.style, options={"renderer": "filters"})
        )
        assert styled.image.shape == image.shape
        # A learnt preset looks like the preset: far closer to it than the photo is.
        assert psnr(styled.image, procedural.image) > psnr(image, procedural.image) + 3.0


def test_shipped_style_models_back_their_presets_and_the_repair_model_is_the_default():
    recipes = load_recipes()
    for recipe in recipes.values():
        if recipe.task == "style" and (MODELS_DIR / recipe.file_name).exists():
            info = read_model_info(MODELS_DIR / recipe.file_name)
            assert info.style == recipe.config["style_preset"]
            # A preset with a position-dependent finish was learnt without it; the file
            # tells the engine to add it after the network.
            assert info.provenance.get("finish") == preset_finish(info.style)
    repair_files = [r.file_name for r in recipes.values() if r.task == "repair"]
    shipped = [MODELS_DIR / name for name in repair_files if (MODELS_DIR / name).exists()]
    if shipped:
        assert catalog.best_method("repair").path == shipped[0]


def test_compact_sr_with_bicubic_base_and_zero_residual_is_bicubic_upscaling():
    """The shipped enhance models add their residual to a bicubic base."""
    import torch
    from torch.nn import functional as F

    from sdstudio.engine.networks import CompactSRNet

    network = CompactSRNet(scale=2, features=4, convs=1, upsample="bicubic").eval()
    with torch.no_grad():
        network.body[-1].weight.zero_()
        network.body[-1].bias.zero_()
        x = torch.rand(1, 3, 9, 7)
        expected = F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False)
        assert torch.allclose(network(x), expected)
    with pytest.raises(ValueError):
        CompactSRNet(upsample="area")


def _check_damage_recipe(info) -> None:
    """The file's command, run through its script's own parser, builds this network."""
    script = RECIPE_SCRIPT.parent / "train_damage_detector.py"
    command = info.metadata["command"].split()
    assert command[0] == "scripts/train_damage_detector.py" and script.exists()
    spec = importlib.util.spec_from_file_location("train_damage_detector", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = module.parse_args(command[1:])
    assert info.hyperparameters == module.hyperparameters(args)
    assert json.loads(info.metadata["config"])["batch_size"] == args.batch_size
