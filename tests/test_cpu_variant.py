"""The CPU-only build ships without torchvision, so spandrel cannot import there.

Community model files must then be refused with a clear message (listed as a catalog
problem), and the self-test must check that refusal instead of running a community model,
but only in that variant: a CUDA build or one with torchvision still runs them.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from sdstudio import paths
from sdstudio.engine.backends import spandrel_files as spandrel_models
from sdstudio.engine.catalog import model_problems
from sdstudio.engine.model_cache import model_cache
from sdstudio.errors import ModelLoadError
from sdstudio.imaging.image_io import LoadedImage
from sdstudio.selftest import runtime_checks
from sdstudio.selftest.common import SelfTestFailure


@pytest.fixture
def without_spandrel(monkeypatch):
    """Makes ``import spandrel`` fail as it does in the CPU-only build."""
    model_cache.clear()
    for name in list(sys.modules):
        if name == "spandrel" or name.startswith("spandrel."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "spandrel", None)
    yield
    model_cache.clear()


def _community_file(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"params": {"body.0.weight": torch.zeros(8, 3, 3, 3)}}, path)
    return path


def test_community_file_is_refused_clearly_without_spandrel(without_spandrel, tmp_path):
    path = _community_file(tmp_path / "compact.pth")
    with pytest.raises(ModelLoadError, match="torchvision"):
        spandrel_models.load_descriptor(path)
    with pytest.raises(ModelLoadError, match="compact.pth"):
        spandrel_models.load_state_dict(path)


def test_catalog_lists_the_refusal_as_a_problem(without_spandrel):
    path = _community_file(paths.user_models_dir() / "compact.pth")
    problems = [p for p in model_problems() if p.path.name == path.name]
    assert len(problems) == 1 and "torchvision" in problems[0].message


def test_community_models_expected_only_without_cuda_and_torchvision(monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "torchvision" else real_find_spec(name, *args)

    monkeypatch.setattr(torch, "version", SimpleNamespace(cuda=None))
    assert runtime_checks.community_models_expected() is True  # torchvision is installed
    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert runtime_checks.community_models_expected() is False
    monkeypatch.setattr(torch, "version", SimpleNamespace(cuda="13.0"))
    assert runtime_checks.community_models_expected() is True


def _state():
    rows, cols = np.mgrid[0:96, 0:96]
    photo = np.stack([rows * 2, cols * 2, rows + cols], -1).astype(np.uint8)
    return {"loaded": LoadedImage(pixels=photo, path=paths.example_photo_path())}


def test_self_test_checks_the_refusal_in_the_cpu_only_variant(without_spandrel, monkeypatch):
    monkeypatch.setattr(runtime_checks, "community_models_expected", lambda: False)
    summary = runtime_checks.check_network(_state())
    assert "no torchvision" in summary and "refused" in summary


def test_self_test_fails_when_the_refusal_is_unclear(without_spandrel, monkeypatch):
    monkeypatch.setattr(runtime_checks, "community_models_expected", lambda: False)

    def unclear(path):
        raise ModelLoadError(f"{path.name}: broken")

    monkeypatch.setattr(spandrel_models, "require_spandrel", unclear)
    with pytest.raises(SelfTestFailure, match="not a clear refusal"):
        runtime_checks.check_network(_state())


def test_spec_leaves_out_torch_test_programs_but_keeps_the_shm_manager(monkeypatch):
    from tests import test_build_spec

    torch_files = [
        ("torch/test/Dict_test", "/venv/torch/test/Dict_test", "BINARY"),
        ("torch/bin/protoc", "/venv/torch/bin/protoc", "BINARY"),
        ("torch/bin/torch_shm_manager", "/venv/torch/bin/torch_shm_manager", "BINARY"),
        ("torch/lib/libtorch_cpu.so", "/venv/torch/lib/libtorch_cpu.so", "BINARY"),
    ]
    monkeypatch.setattr(
        test_build_spec, "ANALYSED_BINARIES", test_build_spec.ANALYSED_BINARIES + torch_files
    )
    spec = test_build_spec.run_spec(test_build_spec.ROOT)
    collected = {entry[0] for entry in spec["COLLECT"].args[1]}
    assert {"torch/bin/torch_shm_manager", "torch/lib/libtorch_cpu.so"} <= collected
    assert not collected & {"torch/test/Dict_test", "torch/bin/protoc"}
