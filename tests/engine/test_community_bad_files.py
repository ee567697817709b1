"""One bad community file hides only itself, with a message that says what is wrong."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from sdstudio import paths
from sdstudio.engine import catalog
from sdstudio.engine.backends import model_index
from sdstudio.engine.backends.spandrel_files import load_state_dict
from sdstudio.errors import ModelLoadError


def _good_esrgan(folder: Path) -> Path:
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(0)
    path = folder / "good-x2.pth"
    torch.save(ESRGAN(in_nc=3, out_nc=3, num_filters=8, num_blocks=1, scale=2).state_dict(), path)
    return path


def _problems(listing: catalog.Catalog) -> dict[str, str]:
    return {problem.path.name: problem.message for problem in listing.problems}


def test_a_malformed_stable_diffusion_header_hides_only_that_file():
    folder = paths.user_models_dir()
    _good_esrgan(folder)
    # SD-like by its key names, but the UNet's first convolution has shape [1].
    save_file(
        {"model.diffusion_model.input_blocks.0.0.weight": torch.zeros(1)},
        folder / "odd.safetensors",
    )
    listing = catalog.scan_catalog()
    assert "community:good-x2.pth" in [method.id for method in listing.methods]
    problems = _problems(listing)
    assert "odd.safetensors" in problems and "damaged" in problems["odd.safetensors"]
    assert "odd.safetensors" in problems["odd.safetensors"]  # the message names the file
    assert not any("Model listing" in message for message in problems.values())


def test_any_failure_inspecting_one_file_becomes_that_files_problem(monkeypatch):
    folder = paths.user_models_dir()
    _good_esrgan(folder)
    (folder / "trips-the-loader.pth").write_bytes(b"whatever")
    real = model_index.inspect_file

    def inspect(path: Path):
        if path.name == "trips-the-loader.pth":
            raise ZeroDivisionError("a bug in some loader")
        return real(path)

    monkeypatch.setattr(model_index, "inspect_file", inspect)
    listing = catalog.scan_catalog()
    assert "community:good-x2.pth" in [method.id for method in listing.methods]
    message = _problems(listing)["trips-the-loader.pth"]
    assert "trips-the-loader.pth" in message and "a bug in some loader" in message


def test_a_damaged_cache_entry_is_checked_again_not_fatal(monkeypatch):
    folder = paths.user_models_dir()
    good = _good_esrgan(folder)
    model_index.scan([folder])  # cached
    key, stamp = model_index._file_key(good)
    model_index.metadata_cache.store_many({key: {"stamp": stamp, "record": {"kind": "spandrel"}}})
    assert [item.spandrel.scale for item in model_index.scan([folder])] == [2]


@pytest.mark.parametrize(
    "data",
    [
        b"\x80\x02\xff\xfe some random bytes",  # starts like a pickle, is not one
        b"\x80\x02.",  # STOP with nothing on the stack: the unpickler's IndexError
        b"\x80\x02]a.",
    ],
)
def test_random_bytes_are_not_a_model_file_rather_than_pickle_features(tmp_path, data):
    path = tmp_path / "noise.pth"
    path.write_bytes(data)
    with pytest.raises(ModelLoadError) as caught:
        load_state_dict(path)
    message = str(caught.value)
    assert "not a model file" in message and "noise.pth" in message
    assert "pickle features" not in message


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_a_real_pickle_beyond_tensors_is_still_refused_as_such(tmp_path):
    path = tmp_path / "set.pth"
    path.write_bytes(pickle.dumps({"weights": {1, 2}}, protocol=4))
    with pytest.raises(ModelLoadError, match="pickle features"):
        load_state_dict(path)
