from __future__ import annotations

import pytest
import torch

from sdstudio.training.checkpoints import (
    CheckpointError,
    load_checkpoint,
    remove_temporaries,
    save_checkpoint,
)


def test_round_trip_keeps_tensors_and_meta(tmp_path):
    net = torch.nn.Linear(3, 2)
    save_checkpoint(tmp_path, {"net": net.state_dict()}, {"step": 4, "rng": {"state": 2**100}})
    tensors, meta = load_checkpoint(tmp_path)
    assert meta == {"step": 4, "rng": {"state": 2**100}}
    assert torch.equal(tensors["net"]["weight"], net.weight.detach())


def test_a_damaged_latest_checkpoint_falls_back_to_the_previous(tmp_path):
    save_checkpoint(tmp_path, {"x": torch.zeros(1)}, {"step": 1})
    save_checkpoint(tmp_path, {"x": torch.ones(1)}, {"step": 2})
    (tmp_path / "checkpoint.pt").write_bytes(b"cut off mid-write")
    _, meta = load_checkpoint(tmp_path)
    assert meta["step"] == 1
    (tmp_path / "checkpoint.prev.pt").write_bytes(b"also damaged")
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path)


def test_no_checkpoint_and_stale_temporaries(tmp_path):
    assert load_checkpoint(tmp_path) is None
    (tmp_path / ".checkpoint.abc.tmp").write_bytes(b"x")
    remove_temporaries(tmp_path)
    assert not list(tmp_path.iterdir())


def test_checkpoints_never_unpickle_code(tmp_path):
    class Sneaky:
        def __reduce__(self):
            return (print, ("owned",))

    torch.save({"meta": "{}", "evil": Sneaky()}, tmp_path / "checkpoint.pt")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path)


def test_renaming_a_model_keeps_its_weights(tmp_path):
    from sdstudio.engine.model_file import load_network, read_model_info
    from sdstudio.training.model_rename import rename_model
    from tests.training.helpers import save_tiny_base

    path = save_tiny_base(tmp_path / "model.safetensors", "enhance")
    before = load_network(path).state_dict()
    info = rename_model(path, "  Holiday photos x2 ")
    assert info.name == "Holiday photos x2" and info.path == path and info.scale == 2
    after = load_network(read_model_info(path)).state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
