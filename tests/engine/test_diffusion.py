"""Stable Diffusion checkpoints: offline loading and the real Repair path (tiny pipeline)."""

from __future__ import annotations

import json
import os
import shutil
import threading

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from sdstudio import paths  # noqa: E402
from sdstudio.engine import catalog  # noqa: E402
from sdstudio.engine.backends import diffusion_files  # noqa: E402
from sdstudio.engine.backends import diffusion_pipeline as diffusion  # noqa: E402
from sdstudio.engine.model_cache import model_cache  # noqa: E402
from sdstudio.engine.runner import run_job  # noqa: E402
from sdstudio.jobs import Progress, RepairJob  # noqa: E402
from tests.engine.helpers import drive
from tests.engine.test_diffusion_support import build_tiny_sd  # noqa: E402

VARIANT_FOLDERS = ["sd1", "sd1-inpaint", "sd2", "sd2-inpaint", "sdxl", "sdxl-inpaint"]


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory):
    """(diffusers folder, single file) of a tiny SD 1.x inpainting model, built once."""
    return build_tiny_sd(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(autouse=True)
def _fresh_pipeline_cache():
    model_cache.clear()
    yield
    model_cache.clear()


def _image_and_mask() -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:64, 0:64]
    image = np.stack([xs * 3, ys * 3, np.full_like(xs, 90)], axis=-1).astype(np.uint8)
    mask = np.zeros((64, 64), np.uint8)
    mask[24:40, 20:44] = 255
    return image, mask


def _install(tiny_sd, form: str, monkeypatch) -> str:
    folder, single = tiny_sd
    models = paths.user_models_dir()
    if form == "single file":
        shutil.copy(single, models / single.name)
        # The shipped configs describe full-size SD; the tiny model brings its own shapes.
        monkeypatch.setattr(diffusion, "config_folder", lambda variant, inpainting: folder)
        return "sd:" + single.name
    shutil.copytree(folder, models / folder.name)
    return "sd:" + folder.name


def _run(job: RepairJob) -> tuple[list[Progress], object]:
    result, seen = drive(run_job(job))
    return seen, result


def test_hub_is_never_contacted():
    assert os.environ["HF_HUB_OFFLINE"] == "1"


@pytest.mark.parametrize("name", VARIANT_FOLDERS)
def test_shipped_configs_load_offline(name):
    from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig

    folder = paths.resource_path("diffusion_configs", name)
    unet = UNet2DConditionModel.load_config(folder / "unet")
    assert unet["in_channels"] == (9 if name.endswith("inpaint") else 4)
    assert unet["cross_attention_dim"] == {"sd1": 768, "sd2": 1024, "sdx": 2048}[name[:3]]
    AutoencoderKL.load_config(folder / "vae")
    DPMSolverMultistepScheduler.from_pretrained(folder, subfolder="scheduler")
    text = CLIPTextConfig.from_pretrained(folder / "text_encoder")
    assert text.vocab_size == 49408
    index = json.loads((folder / "model_index.json").read_text())
    assert ("text_encoder_2" in index) == name.startswith("sdxl")


def test_shipped_tokenizer_gives_clip_ids():
    tokenizer = diffusion.clip_tokenizer()
    # CLIP's ids for "a photo of a cat" (start, a, photo, of, a, cat, end).
    assert tokenizer("a photo of a cat").input_ids == [49406, 320, 1125, 539, 320, 2368, 49407]
    assert diffusion.clip_tokenizer("!").pad_token_id == 0


def _header(**shapes):
    return {
        key: {"dtype": "F16", "shape": shape, "data_offsets": [0, 0]}
        for key, shape in shapes.items()
    }


@pytest.mark.parametrize(
    ("extra", "channels", "expected"),
    [
        ({"cond_stage_model.transformer.text_model.embeddings.x": [1]}, 9, ("sd1", True)),
        ({"cond_stage_model.model.token_embedding.weight": [1]}, 4, ("sd2", False)),
        ({"conditioner.embedders.1.model.ln_final.weight": [1]}, 9, ("sdxl", True)),
    ],
)
def test_checkpoint_variant_is_read_from_the_header(extra, channels, expected):
    header = {
        "model.diffusion_model.input_blocks.0.0.weight": {"shape": [320, channels, 3, 3]},
        **{key: {"shape": shape} for key, shape in extra.items()},
    }
    assert diffusion_files.describe_checkpoint_header(header) == expected


@pytest.mark.slow
@pytest.mark.parametrize("form", ["single file", "diffusers folder"])
def test_repair_with_stable_diffusion_two_steps(tiny_sd, form, monkeypatch):
    method_id = _install(tiny_sd, form, monkeypatch)
    methods = {m.id: m for m in catalog.list_methods("repair")}
    assert methods[method_id].kind == "diffusion"
    assert "SD 1.x" in methods[method_id].display_name
    image, mask = _image_and_mask()
    job = RepairJob(image=image, mask=mask, method=method_id, prompt="a red ball", seed=3,
                    options={"steps": 2, "guidance": 5.0})  # fmt: skip
    progress, result = _run(job)
    steps = [p.message for p in progress if "step" in p.message]
    assert steps == ["Stable Diffusion: step 1 of 2", "Stable Diffusion: step 2 of 2"]
    assert result.image.shape == image.shape
    far = np.ones_like(mask, bool)
    far[14:50, 10:54] = False
    assert np.array_equal(result.image[far], image[far])
    assert not np.array_equal(result.image[24:40, 20:44], image[24:40, 20:44])
    assert any("Stable Diffusion (2 steps" in note for note in result.notes)
    again = _run(job)[1]  # same seed, same pixels
    assert np.array_equal(again.image, result.image)


@pytest.mark.slow
def test_cancel_stops_between_denoising_steps(tiny_sd, monkeypatch):
    import torch

    method_id = _install(tiny_sd, "diffusers folder", monkeypatch)
    pipe = diffusion.pipeline(
        paths.user_models_dir() / method_id[3:], torch.device("cpu"), torch.float32
    )
    unet_calls = []
    pipe.unet.register_forward_hook(lambda *args: unet_calls.append(1))
    image, mask = _image_and_mask()
    work = run_job(RepairJob(image=image, mask=mask, method=method_id, options={"steps": 40}))
    while "step 1 of" not in next(work).message:
        pass
    work.close()  # what the worker does on Cancel
    assert not any(t.name == "diffusion-steps" for t in threading.enumerate())
    assert 1 <= len(unet_calls) <= 3  # stopped after the step in flight, not after 40


def test_without_the_extra_the_ui_says_how_to_enable_it(tiny_sd, monkeypatch):
    from sdstudio.engine.backends import diffusion as diffusion_backend

    _install(tiny_sd, "diffusers folder", monkeypatch)
    monkeypatch.setattr(diffusion_backend, "diffusers_available", lambda: False)
    result = catalog.scan_catalog()
    assert not any(m.kind == "diffusion" for m in result.methods)
    assert any('pip install "sdstudio[diffusion]"' in p.message for p in result.problems)
    assert any(m.id == "telea" for m in result.methods)  # the rest still works
