from __future__ import annotations

import json
import struct
import subprocess
import sys

import pytest
import torch

from sdstudio.engine.model_file import (
    load_network,
    read_model_info,
    read_safetensors_header,
    save_model,
)
from sdstudio.engine.networks import CompactSRNet
from sdstudio.errors import ModelLoadError
from tests.engine.helpers import (
    TINY_SR,
    save_tiny_enhance_model,
    save_tiny_repair_model,
    validation_scores,
)


def test_save_read_load_round_trip(tmp_path):
    path = save_tiny_repair_model(tmp_path)
    info = read_model_info(path)
    assert info.task == "repair" and info.architecture == "ffc_inpaint"
    assert info.name == "tiny-repair"
    assert info.provenance == {"steps": 3, "seed": 0, "validation": validation_scores("repair")}
    assert info.size_bytes == path.stat().st_size and len(info.sha256) == 64
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temp file

    torch.manual_seed(0)
    from sdstudio.engine.networks import FFCInpaintGenerator
    from tests.engine.helpers import TINY_FFC

    original = FFCInpaintGenerator(**TINY_FFC).eval()
    loaded = load_network(path)
    x = torch.rand(1, 4, 24, 20)
    with torch.no_grad():
        assert torch.equal(original(x), loaded(x))


def test_reading_metadata_does_not_import_torch(tmp_path):
    path = save_tiny_enhance_model(tmp_path, 2)
    code = (
        "import sys; from sdstudio.engine.model_file import read_model_info; "
        f"info = read_model_info({str(path)!r}); print(info.scale, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "False"]


def test_truncated_file_is_a_clear_error(tmp_path):
    path = save_tiny_enhance_model(tmp_path, 2)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(ModelLoadError, match="truncated"):
        read_model_info(path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"junk",
        b"\x00" * 64,
        struct.pack("<Q", 10**12) + b"{}",  # header longer than the file
        struct.pack("<Q", 4) + b"nope",  # not JSON
        struct.pack("<Q", 2) + b"[]",  # not an object
    ],
)
def test_junk_files_are_clear_errors(tmp_path, content):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match="junk.safetensors"):
        read_safetensors_header(path)


def _rewrite_metadata(path, **changes):
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    header["__metadata__"].update(changes)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + length :])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hyperparameters": json.dumps({**TINY_SR, "scale": 2, "features": 16})}, "match"),
        # hostile: would need terabytes if it were allocated before checking
        ({"hyperparameters": json.dumps({**TINY_SR, "scale": 2, "features": 10**6})}, "match"),
        ({"hyperparameters": json.dumps({"bogus": 1})}, "hyperparameters"),
        ({"hyperparameters": "{not json"}, "hyperparameters"),
        ({"architecture": "no_such_net"}, "Unknown architecture"),
        ({"task": "painting"}, "unknown task"),
        ({"sdstudio.format": "99"}, "format"),
    ],
)
def test_wrong_metadata_is_a_model_load_error_naming_the_file(tmp_path, changes, message):
    path = save_tiny_enhance_model(tmp_path, 2, name="wrong")
    _rewrite_metadata(path, **changes)
    with pytest.raises(ModelLoadError, match=message) as caught:
        load_network(path)
    assert "wrong.safetensors" in str(caught.value)


def test_save_refuses_a_mismatched_architecture(tmp_path):
    with pytest.raises(ValueError):
        save_model(
            tmp_path / "x.safetensors", CompactSRNet(**TINY_SR), task="enhance",
            architecture="ffc_inpaint", hyperparameters=TINY_SR, name="x",
        )  # fmt: skip
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("architecture", "task", "hyperparameters", "channels"),
    [
        ("ffc_inpaint", "repair", {"base_channels": 4, "downsamplings": 2,
                                   "residual_blocks": 1, "max_channels": 8}, 4),
        ("compact_sr", "enhance", {"features": 4, "convs": 1, "scale": 4}, 3),
        ("style_resnet", "style", {"channels": 4, "residual_blocks": 1}, 3),
        ("patch_discriminator", "repair", {"in_channels": 4, "channels": 4, "layers": 2}, 4),
    ],
)  # fmt: skip
def test_every_architecture_round_trips(tmp_path, architecture, task, hyperparameters, channels):
    from sdstudio.engine.architectures import architecture as architecture_record

    torch.manual_seed(5)
    network = architecture_record(architecture).load()(**hyperparameters).eval()
    path = tmp_path / f"{architecture}.safetensors"
    save_model(
        path, network, task=task, architecture=architecture, hyperparameters=hyperparameters,
        name=architecture, scale=hyperparameters.get("scale"),
    )  # fmt: skip
    loaded = load_network(path)
    x = torch.rand(1, channels, 19, 23)
    with torch.no_grad():
        expected, actual = network(x), loaded(x)
    if isinstance(expected, tuple):
        expected, actual = expected[0], actual[0]
    assert torch.equal(expected, actual)


def test_saved_models_are_readable_by_other_accounts(tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        path = save_tiny_enhance_model(tmp_path, 2)
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert not list(tmp_path.glob(".*.tmp"))
