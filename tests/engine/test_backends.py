"""Each method's backend runs it; the catalog lists over a snapshot; no import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from sdstudio import paths
from sdstudio.engine import backends, catalog, model_file
from sdstudio.engine.backends.network_filler import InpaintInput, NetworkFiller
from sdstudio.engine.methods import MethodInfo, MethodKind
from sdstudio.engine.runner import run_to_completion
from sdstudio.errors import UserFacingError
from sdstudio.jobs import RepairJob
from tests.engine.helpers import save_tiny_enhance_model, save_tiny_repair_model

BACKENDS_FOLDER = Path(backends.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_backends_never_import_the_catalog_or_the_task_modules():
    task_modules = {
        "sdstudio.engine.catalog",
        "sdstudio.engine.repair",
        "sdstudio.engine.enhance",
        "sdstudio.engine.runner",
        "sdstudio.engine.style.run",
    }
    for path in BACKENDS_FOLDER.glob("*.py"):
        assert not _imported_modules(path) & task_modules, path.name


def test_importing_the_backends_loads_neither_torch_nor_the_catalog():
    code = (
        "import sys\nimport sdstudio.engine.backends\n"
        "print('torch' in sys.modules, 'sdstudio.engine.catalog' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_every_kind_has_a_backend_and_a_plain_string_kind_finds_it():
    assert set(backends.BACKENDS) == set(MethodKind)
    method = MethodInfo("x", "repair", "X", "", "classical")
    assert method.kind is MethodKind.CLASSICAL
    assert backends.backend_for(method).kind is MethodKind.CLASSICAL


def test_a_listing_is_reused_until_a_models_folder_changes(monkeypatch):
    scans = []
    real = catalog._scan_backends
    monkeypatch.setattr(catalog, "_scan_backends", lambda *a, **k: scans.append(1) or real(*a, **k))
    catalog.snapshots.clear()
    folder = paths.user_models_dir()
    save_tiny_enhance_model(folder, 2)
    first = catalog.list_methods("enhance")
    assert catalog.list_methods("enhance") == first and len(scans) == 1
    save_tiny_enhance_model(folder, 4)  # a new file: a new snapshot
    assert "tiny-sr-x4" in [m.id for m in catalog.list_methods("enhance")]
    assert len(scans) == 2
    (folder / "tiny-sr-x4.safetensors").unlink()
    assert "tiny-sr-x4" not in [m.id for m in catalog.list_methods("enhance")]


def test_a_repair_job_reads_each_model_header_once(monkeypatch):
    path = save_tiny_repair_model(paths.user_models_dir())
    reads: Counter[str] = Counter()
    real = model_file._read_safetensors_header_from_disk
    monkeypatch.setattr(
        model_file,
        "_read_safetensors_header_from_disk",
        lambda p: reads.update([Path(p).name]) or real(p),
    )
    model_file._headers.clear()
    catalog.snapshots.clear()
    image = np.full((48, 48, 3), 120, np.uint8)
    mask = np.zeros((48, 48), np.uint8)
    mask[20:28, 20:28] = 255
    for _ in range(2):
        result = run_to_completion(RepairJob(image, mask, device="cpu"))
        assert result.params["method"] == "tiny-repair"
    assert reads[path.name] == 1


class _TwoInputs(torch.nn.Module):
    """Stands in for a spandrel inpainting model: photo and mask as two tensors."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return image * (1 - mask) + 0.5 * mask


def test_the_network_filler_feeds_photo_and_mask_as_two_tensors():
    filler = NetworkFiller(
        _TwoInputs(), torch.device("cpu"), torch.float32, feed=InpaintInput.PHOTO_AND_MASK
    )
    image = np.zeros((16, 16, 3), np.uint8)
    hole = np.zeros((16, 16), bool)
    hole[4:8, 4:8] = True
    filled = filler.fill(image, hole)
    assert filled.shape == image.shape
    assert (filled[hole] == 128).all() and (filled[~hole] == 0).all()


def test_a_backend_without_a_task_says_its_method_cannot_do_it():
    checkpoint = MethodInfo("sd:x", "repair", "Stable Diffusion: x", "", MethodKind.DIFFUSION)
    with pytest.raises(UserFacingError, match="cannot enhance"):
        backends.upscaler_for(checkpoint)
    lanczos = MethodInfo("lanczos", "enhance", "Lanczos", "", MethodKind.CLASSICAL)
    with pytest.raises(UserFacingError, match="cannot style"):
        backends.styler_for(lanczos)
