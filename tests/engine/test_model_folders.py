"""Walking the models folders ends whatever links they hold; classical jobs never walk them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sdstudio import paths
from sdstudio.engine import catalog
from sdstudio.engine.backends import model_index
from sdstudio.engine.folder_walk import walk_model_folders
from sdstudio.engine.runner import run_to_completion
from sdstudio.jobs import EnhanceJob, RepairJob
from tests.engine.helpers import save_tiny_enhance_model

# A listing that loops never returns: run it in a child process that a timeout can stop.
LISTING = (
    "from sdstudio.engine import catalog\n"
    "listing = catalog.scan_catalog()\n"
    "print(' '.join(sorted(m.id for m in listing.methods if m.source == 'your models')))\n"
)


def _make_loop(models):
    (models / "sub").mkdir()
    (models / "again").symlink_to(".", target_is_directory=True)
    (models / "sub" / "up").symlink_to("..", target_is_directory=True)


def test_a_symlink_loop_in_the_models_folder_does_not_hang_the_listing():
    models = paths.user_models_dir()
    _make_loop(models)
    save_tiny_enhance_model(models / "sub", 2)
    done = subprocess.run(
        [sys.executable, "-c", LISTING], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["tiny-sr-x2"]  # found once, not once per way round


def test_the_walk_reads_each_real_folder_once():
    models = paths.user_models_dir()
    _make_loop(models)
    (models / "sub" / "a.pth").write_bytes(b"x")
    (models / "b.safetensors").write_bytes(b"x")
    (models / ".hidden.pth").write_bytes(b"x")  # an interrupted copy
    found = walk_model_folders([models], (".pth", ".safetensors"))
    assert [path.relative_to(models).as_posix() for path in found] == ["b.safetensors", "sub/a.pth"]


def test_a_folder_linked_into_the_models_folder_is_listed(tmp_path):
    elsewhere = tmp_path / "shared-upscalers"
    elsewhere.mkdir()
    save_tiny_enhance_model(elsewhere, 2)
    (paths.user_models_dir() / "shared").symlink_to(elsewhere, target_is_directory=True)
    enhance = catalog.list_methods("enhance", include_providers=False)
    assert [m.id for m in enhance if m.kind == "builtin"] == ["tiny-sr-x2"]


def _refuse_scans(monkeypatch):
    def scanned(*args, **kwargs):
        raise AssertionError("a classical method looked at the models folders")

    monkeypatch.setattr(catalog, "scan_catalog", scanned)
    monkeypatch.setattr(model_index, "scan", scanned)
    monkeypatch.setattr(catalog, "walk_model_folders", scanned)


def _photo_and_mask():
    image = np.random.default_rng(0).integers(0, 255, (40, 48, 3), dtype=np.uint8)
    mask = np.zeros((40, 48), np.uint8)
    mask[10:20, 12:30] = 255
    return image, mask


@pytest.mark.parametrize("method", ["telea", "navier_stokes", "Telea (OpenCV)", "TELEA"])
def test_a_classical_repair_never_scans_the_models_folders(monkeypatch, method):
    _refuse_scans(monkeypatch)
    image, mask = _photo_and_mask()
    result = run_to_completion(RepairJob(image, mask, method=method))
    assert result.params["method_kind"] == "classical"


def test_patchmatch_and_the_automatic_classical_fill_never_scan(monkeypatch):
    if not catalog.patchmatch_available():
        pytest.skip("pypatchmatch is not installed")
    _refuse_scans(monkeypatch)
    image, mask = _photo_and_mask()
    for method in ("patchmatch", "auto_classical"):
        assert run_to_completion(RepairJob(image, mask, method=method)).params["method"] == method


def test_a_lanczos_enlargement_never_scans_the_models_folders(monkeypatch):
    _refuse_scans(monkeypatch)
    image, _mask = _photo_and_mask()
    result = run_to_completion(EnhanceJob(image, scale=2, model="lanczos"))
    assert result.image.shape == (80, 96, 3) and result.params["upscaler"] == "lanczos"


def test_a_model_file_named_like_a_classical_method_does_not_take_its_name():
    save_tiny_enhance_model(paths.user_models_dir(), 2, name="lanczos")
    enhance = catalog.list_methods("enhance", include_providers=False)
    assert sorted(m.id for m in enhance) == ["lanczos", "user/lanczos"]
    assert catalog.find_method("enhance", "lanczos").kind == "classical"
    assert catalog.find_method("enhance", "user/lanczos").kind == "builtin"
