"""Prompt-based style presets through Stable Diffusion image-to-image (tiny pipelines)."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from sdstudio import paths  # noqa: E402
from sdstudio.engine.backends import diffusion_pipeline as diffusion  # noqa: E402
from sdstudio.engine.model_cache import model_cache  # noqa: E402
from sdstudio.engine.runner import run_job  # noqa: E402
from sdstudio.engine.style.presets_info import (  # noqa: E402
    DIFFUSION_STYLE_PRESETS,
    STYLE_PRESETS,
)
from sdstudio.errors import UnknownNameError, UserFacingError  # noqa: E402
from sdstudio.jobs import StyleJob  # noqa: E402
from tests.engine.helpers import drive
from tests.engine.test_diffusion_support import build_tiny_sd  # noqa: E402


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Diffusers folders of a tiny inpainting and a tiny text-to-image SD 1.x model."""
    inpaint = build_tiny_sd(tmp_path_factory.mktemp("tiny-inpaint"))[0]
    plain = build_tiny_sd(tmp_path_factory.mktemp("tiny-t2i"), inpainting=False, seed=1)[0]
    return {"inpainting": inpaint, "text-to-image": plain}


@pytest.fixture(autouse=True)
def _fresh_pipeline_cache():
    model_cache.clear()
    yield
    model_cache.clear()


def _install(tiny_models, kind: str) -> str:
    name = f"tiny-{kind}"
    shutil.copytree(tiny_models[kind], paths.user_models_dir() / name)
    return "sd:" + name


def _photo() -> np.ndarray:
    ys, xs = np.mgrid[0:48, 0:64]
    rgb = np.stack([xs * 3, ys * 4, np.full_like(xs, 90)], axis=-1).astype(np.uint8)
    alpha = ((xs + ys) * 2 % 256).astype(np.uint8)[..., None]
    return np.concatenate([rgb, alpha], axis=-1)


def _run(job: StyleJob):
    result, seen = drive(run_job(job))
    return seen, result


def _job(method_id: str, **kwargs) -> StyleJob:
    options = {"method": method_id, "steps": 2, "denoise": 1.0, "guidance": 5.0}
    options.update(kwargs.pop("options", {}))
    return StyleJob(_photo(), kwargs.pop("preset", "sd_oil_painting"), options=options, **kwargs)


def test_prompt_presets_are_separate_from_the_procedural_ones():
    assert len(STYLE_PRESETS) == 9 and "oil_painting" in STYLE_PRESETS
    assert not set(DIFFUSION_STYLE_PRESETS) & set(STYLE_PRESETS)
    assert all(p.prompt for p in DIFFUSION_STYLE_PRESETS.values() if p.id != "sd_prompt")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["inpainting", "text-to-image"])
def test_image_to_image_style_changes_the_photo(tiny_models, kind):
    method_id = _install(tiny_models, kind)
    job = _job(method_id, seed=5)
    progress, result = _run(job)
    image = job.image
    assert result.image.shape == image.shape
    np.testing.assert_array_equal(result.image[..., 3], image[..., 3])  # alpha untouched
    assert np.abs(result.image[..., :3].astype(int) - image[..., :3]).mean() > 2
    steps = [p.message for p in progress if "step" in p.message]
    assert steps == ["Stable Diffusion: step 1 of 2", "Stable Diffusion: step 2 of 2"]
    assert result.params["method"] == method_id
    assert "oil painting" in result.params["prompt"]
    assert any("image-to-image" in note for note in result.notes)
    again = _run(_job(method_id, seed=5))[1]  # same seed, same pixels
    np.testing.assert_array_equal(again.image, result.image)


@pytest.mark.slow
def test_strength_and_mask_blend_like_other_presets(tiny_models):
    method_id = _install(tiny_models, "text-to-image")
    untouched = _run(_job(method_id, strength=0.0))[1]
    np.testing.assert_array_equal(untouched.image, _photo())
    mask = np.zeros((48, 64), np.uint8)
    mask[10:30, 20:50] = 255
    result = _run(_job(method_id, mask=mask))[1]
    outside = mask == 0
    np.testing.assert_array_equal(result.image[outside], _photo()[outside])
    assert not np.array_equal(result.image[10:30, 20:50], _photo()[10:30, 20:50])


@pytest.mark.slow
def test_cancel_stops_between_denoising_steps(tiny_models):
    import torch

    method_id = _install(tiny_models, "text-to-image")
    pipe = diffusion.pipeline(
        paths.user_models_dir() / method_id[3:], torch.device("cpu"), torch.float32
    )
    unet_calls = []
    pipe.unet.register_forward_hook(lambda *args: unet_calls.append(1))
    work = run_job(_job(method_id, options={"steps": 40}))
    while "step 1 of" not in next(work).message:
        pass
    work.close()  # what the worker does on Cancel
    assert not any(t.name == "diffusion-steps" for t in threading.enumerate())
    assert 1 <= len(unet_calls) <= 3  # stopped after the step in flight, not after 40


def test_free_prompt_needs_a_prompt_and_names_are_checked(tiny_models):
    method_id = _install(tiny_models, "inpainting")
    with pytest.raises(UserFacingError, match="Type a prompt"):
        _run(_job(method_id, preset="sd_prompt"))
    with pytest.raises(UnknownNameError, match="Stable Diffusion style"):
        _run(_job(method_id, preset="oil_painting"))
    with pytest.raises(UnknownNameError, match="not a Stable Diffusion model"):
        _run(_job("telea"))
    with pytest.raises(UserFacingError, match="Steps must be"):
        _run(_job(method_id, options={"steps": 0}))


@pytest.mark.slow
def test_cli_runs_a_prompt_style_and_lists_the_prompt_presets(tiny_models, tmp_path, capsys):
    from PIL import Image

    from sdstudio.cli import main

    method_id = _install(tiny_models, "text-to-image")
    source, output = tmp_path / "in.png", tmp_path / "out.png"
    Image.fromarray(_photo()[..., :3]).save(source)
    assert main(["style", str(source), "-o", str(output), "--style", "sd_prompt",
                 "--prompt", "a pastel drawing", "--model", method_id, "--steps", "2",
                 "--change", "1", "--device", "cpu"]) == 0  # fmt: skip
    styled = np.asarray(Image.open(output))
    assert styled.shape == (48, 64, 3)
    assert np.abs(styled.astype(int) - _photo()[..., :3]).mean() > 2
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert "sd_oil_painting" in listing and method_id in listing


@pytest.mark.slow
def test_out_of_gpu_memory_slices_attention_then_falls_back_to_the_cpu(tiny_models, monkeypatch):
    import torch

    from sdstudio.engine.backends import diffusion_style

    method_id = _install(tiny_models, "inpainting")
    real = diffusion_style._denoise
    calls = []

    def short_of_memory(rgb, path, device, *args):
        calls.append(device.type)
        if len(calls) <= 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real(rgb, path, device, *args)

    monkeypatch.setattr(diffusion_style, "_denoise", short_of_memory)
    result = _run(_job(method_id, device="cpu"))[1]
    assert calls == ["cpu", "cpu", "cpu"]
    pipe = diffusion.pipeline(
        paths.user_models_dir() / method_id[3:], torch.device("cpu"), torch.float32
    )
    assert pipe.vae.use_tiling  # the second try ran with the lighter settings
    assert any("ran out of memory" in note for note in result.notes)
    assert result.image.shape == _photo().shape
