"""Community model files (spandrel): detection, safety, caching and real Repair/Enhance runs.

Every model here is a small random-weight network built from spandrel's own architecture
classes and saved the way people share them (.pth state dicts and .safetensors).
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from sdstudio import paths
from sdstudio.engine import catalog
from sdstudio.engine.backends import model_index
from sdstudio.engine.backends.spandrel_files import inspect_file, load_state_dict
from sdstudio.engine.model_cache import model_cache
from sdstudio.engine.runner import run_to_completion
from sdstudio.errors import ModelLoadError
from sdstudio.jobs import EnhanceJob, RepairJob
from tests.engine.helpers import save_tiny_enhance_model


def _esrgan(scale: int) -> torch.nn.Module:
    from spandrel.architectures.ESRGAN import ESRGAN

    return ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=scale)


def _compact() -> torch.nn.Module:
    from spandrel.architectures.Compact import Compact

    return Compact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=4)


def _scunet() -> torch.nn.Module:
    from spandrel.architectures.SCUNet import SCUNet

    return SCUNet(in_nc=3, config=[1, 1, 1, 1, 1, 1, 1], dim=64)


def _drunet_gray() -> torch.nn.Module:
    from spandrel.architectures.DRUNet import DRUNet

    return DRUNet(in_nc=2, out_nc=1, nc=[8, 16, 32, 64], nb=2)


# builder, expected (architecture, task, scale, purpose)
KINDS = {
    "esrgan-x2": (lambda: _esrgan(2), ("ESRGAN", "enhance", 2, "SR")),
    "esrgan-x4": (lambda: _esrgan(4), ("ESRGAN", "enhance", 4, "SR")),
    "compact-x4": (_compact, ("RealESRGAN Compact", "enhance", 4, "SR")),
    "scunet": (_scunet, ("SCUNet", "enhance", 1, "Restoration")),
    "drunet-gray": (_drunet_gray, ("DRUNet", "enhance", 1, "Restoration")),
}


def save_network(network: torch.nn.Module, path: Path, *, wrap: str | None = None) -> Path:
    torch.manual_seed(0)
    state = {key: value.contiguous().clone() for key, value in network.state_dict().items()}
    if path.suffix == ".safetensors":
        save_file(state, str(path))
    else:
        torch.save({wrap: state} if wrap else state, path)
    return path


@pytest.fixture(autouse=True)
def _forget_loaded_models():
    model_cache.clear()
    yield
    model_cache.clear()


@pytest.fixture(scope="session")
def lama_file(tmp_path_factory) -> Path:
    """A LaMa (big-lama layout, random weights, fp16 on disk) built once per session."""
    from spandrel.architectures.LaMa import LaMa

    torch.manual_seed(0)
    network = LaMa(in_nc=4, out_nc=3)
    state = {key: value.half().contiguous() for key, value in network.state_dict().items()}
    path = tmp_path_factory.mktemp("lama") / "big-lama.safetensors"
    save_file(state, str(path))
    return path


def _photo(height: int = 40, width: int = 48, channels: int = 3) -> np.ndarray:
    rng = np.random.default_rng(3)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([xs * 4, ys * 5, (xs + ys) * 2], axis=-1) % 256
    image = (base + rng.integers(0, 20, (height, width, 3))).clip(0, 255).astype(np.uint8)
    if channels == 4:
        alpha = np.full((height, width, 1), 200, np.uint8)
        alpha[:12] = 0
        image = np.concatenate([image, alpha], axis=2)
    return image


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_architecture_is_detected_with_task_and_scale(tmp_path, kind, suffix):
    build, (architecture, task, scale, purpose) = KINDS[kind]
    path = save_network(build(), tmp_path / f"{kind}{suffix}")
    info = inspect_file(path)
    assert (info.architecture, info.task, info.scale, info.purpose) == (
        architecture,
        task,
        scale,
        purpose,
    )


def test_real_esrgan_params_ema_layout_is_unwrapped(tmp_path):
    path = save_network(_esrgan(4), tmp_path / "RealESRGAN_x4plus.pth", wrap="params_ema")
    assert inspect_file(path).scale == 4


def test_catalog_lists_community_files_with_name_task_scale_size_and_source():
    folder = paths.user_models_dir()
    save_network(_esrgan(2), folder / "esrgan-x2.pth")
    save_network(_scunet(), folder / "scunet.safetensors")
    save_tiny_enhance_model(folder, 2)  # our own format: listed by the catalog, not by us
    methods = {m.id: m for m in catalog.list_methods("enhance")}
    esrgan = methods["community:esrgan-x2.pth"]
    assert (esrgan.kind, esrgan.task, esrgan.scale, esrgan.architecture) == (
        "community",
        "enhance",
        2,
        "ESRGAN",
    )
    assert esrgan.size_bytes == (folder / "esrgan-x2.pth").stat().st_size
    assert esrgan.source == "your models" and esrgan.path == folder / "esrgan-x2.pth"
    assert "x2" in esrgan.display_name
    assert methods["community:scunet.safetensors"].scale == 1
    assert not any(m.id.startswith("community:tiny-sr") for m in methods.values())
    assert catalog.find_method("enhance", "esrgan-x2").id == "community:esrgan-x2.pth"


def test_enhance_x2_with_community_upscaler_keeps_alpha():
    folder = paths.user_models_dir()
    save_network(_esrgan(2), folder / "esrgan-x2.safetensors")
    image = _photo(channels=4)
    result = run_to_completion(
        EnhanceJob(image=image, scale=2, model="community:esrgan-x2.safetensors")
    )
    assert result.image.shape == (80, 96, 4)
    assert (result.image[:14, :, 3] == 0).all() and (result.image[34:, :, 3] == 200).all()
    assert result.params["upscaler"] == "community:esrgan-x2.safetensors"
    assert any("community model" in note and "ESRGAN x2" in note for note in result.notes)
    # A random network does not reproduce a plain Lanczos enlargement.
    lanczos = run_to_completion(EnhanceJob(image=image, scale=2, model="lanczos")).image
    assert not np.array_equal(result.image[..., :3], lanczos[..., :3])


def test_x4_model_asked_for_x2_is_resampled_with_a_note():
    save_network(_compact(), paths.user_models_dir() / "compact-x4.pth")
    result = run_to_completion(
        EnhanceJob(image=_photo(), scale=2, model="community:compact-x4.pth")
    )
    assert result.image.shape == (80, 96, 3)


@pytest.mark.parametrize("kind", [pytest.param("scunet", marks=pytest.mark.slow), "drunet-gray"])
def test_restoration_models_denoise_at_the_same_size(kind):
    build, _ = KINDS[kind]
    save_network(build(), paths.user_models_dir() / f"{kind}.pth")
    image = _photo(36, 52)
    result = run_to_completion(EnhanceJob(image=image, scale=1, model=f"community:{kind}.pth"))
    assert result.image.shape == image.shape
    assert not np.array_equal(result.image, image)


@pytest.mark.slow
def test_lama_repairs_only_the_painted_area(lama_file):
    shutil.copy(lama_file, paths.user_models_dir() / "big-lama.safetensors")
    methods = {m.id: m for m in catalog.list_methods("repair")}
    assert methods["community:big-lama.safetensors"].architecture == "LaMa"
    image = _photo(64, 80)
    mask = np.zeros((64, 80), np.uint8)
    mask[20:34, 30:44] = 255
    result = run_to_completion(
        RepairJob(image=image, mask=mask, method="community:big-lama.safetensors")
    )
    assert result.image.shape == image.shape
    assert result.params["method"] == "community:big-lama.safetensors"
    far = np.ones_like(mask, bool)
    far[10:44, 20:54] = False  # the hole plus a generous blend ring
    assert np.array_equal(result.image[far], image[far])
    assert not np.array_equal(result.image[20:34, 30:44], image[20:34, 30:44])


class _RunsShell:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("suffix", [".pth", ".ckpt", ".pt"])
def test_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, suffix):
    marker = tmp_path / "pwned"
    path = tmp_path / f"evil{suffix}"
    torch.save({"weight": torch.zeros(2), "payload": _RunsShell(marker)}, path)
    with pytest.raises(ModelLoadError, match="refused") as error:
        load_state_dict(path)
    assert "system" in str(error.value)
    assert not marker.exists()


def test_plain_pickle_with_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(pickle.dumps({"payload": _RunsShell(marker)}))
    with pytest.raises(ModelLoadError, match="refused"):
        load_state_dict(path)
    assert not marker.exists()


@pytest.mark.parametrize("suffix", [".pth", ".safetensors"])
def test_truncated_file_gives_a_clear_message(tmp_path, suffix):
    path = save_network(_esrgan(2), tmp_path / f"whole{suffix}")
    data = path.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="damaged|incomplete|truncated") as error:
        inspect_file(cut)
    assert "cut" in str(error.value)


def test_unknown_architecture_is_reported_by_name_of_file_and_keys(tmp_path):
    path = tmp_path / "mystery.safetensors"
    save_file({"encoder.alpha.weight": torch.zeros(3, 3), "decoder.beta": torch.ones(2)}, path)
    with pytest.raises(ModelLoadError, match="unknown network architecture") as error:
        inspect_file(path)
    assert "mystery.safetensors" in str(error.value) and "encoder.alpha.weight" in str(error.value)
    assert "ESRGAN" in str(error.value)  # says what is supported


def test_restrictively_licensed_architecture_is_named_and_refused(tmp_path):
    pytest.importorskip("spandrel_extra_arches")
    path = tmp_path / "Places_512_FullData_G.safetensors"
    save_file(
        {
            "synthesis.first_stage.conv_first.conv.resample_filter": torch.ones(4, 4),
            "mapping.fc0.weight": torch.zeros(4, 4),
        },
        path,
    )
    with pytest.raises(ModelLoadError, match="MAT model") as error:
        inspect_file(path)
    assert "non-commercial" in str(error.value)


def test_bad_files_become_catalog_problems_not_failures(tmp_path):
    folder = paths.user_models_dir()
    (folder / "broken.pth").write_bytes(b"not a model at all")
    save_network(_esrgan(2), folder / "good.pth")
    result = catalog.scan_catalog()
    assert any(m.id == "community:good.pth" for m in result.methods)
    problems = {p.path.name: p.message for p in result.problems}
    assert "broken.pth" in problems and "could not be read" in problems["broken.pth"]


def test_listing_again_reads_the_cache_until_the_file_changes(monkeypatch):
    folder = paths.user_models_dir()
    path = save_network(_esrgan(2), folder / "esrgan.pth")
    calls = []
    real = model_index.inspect_file
    monkeypatch.setattr(model_index, "inspect_file", lambda p: calls.append(p) or real(p))
    assert [i.path for i in model_index.scan([folder])] == [path]
    assert [i.spandrel.scale for i in model_index.scan([folder])] == [2]
    assert len(calls) == 1
    save_network(_esrgan(4), path)  # replaced by another model: new size and mtime
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert [i.spandrel.scale for i in model_index.scan([folder])] == [4]
    assert len(calls) == 2


def test_models_in_subfolders_are_found():
    sub = paths.user_models_dir() / "upscalers"
    sub.mkdir()
    save_network(_esrgan(2), sub / "nested.pth")
    assert any(m.id == "community:nested.pth" for m in catalog.list_methods("enhance"))


def test_torchscript_file_is_read_for_its_weights_only(tmp_path):
    network = _esrgan(2).eval()
    traced = torch.jit.trace(network, torch.rand(1, 3, 8, 8))
    path = tmp_path / "traced-esrgan.pt"
    traced.save(str(path))
    info = inspect_file(path)
    assert (info.architecture, info.scale) == ("ESRGAN", 2)
