"""Which SD Studio files are offered, which "auto" may pick, and files that do not build."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdstudio import paths
from sdstudio.engine import catalog, model_checks
from sdstudio.engine.enhance import run_enhance
from sdstudio.engine.model_checks import validated_better
from sdstudio.jobs import EnhanceJob
from tests.engine.helpers import (
    TINY_SR,
    drive,
    rewrite_metadata,
    save_tiny_enhance_model,
    save_tiny_repair_model,
    validation_scores,
)


def _mismatched_x2(folder: Path) -> Path:
    """A validated x2 model whose metadata names twice the features its weights have."""
    path = save_tiny_enhance_model(folder, 2, name="mislabelled-x2")
    rewrite_metadata(path, hyperparameters=json.dumps({**TINY_SR, "scale": 2, "features": 16}))
    return path


def _photo() -> np.ndarray:
    return np.random.default_rng(3).integers(0, 255, (24, 32, 3), dtype=np.uint8)


def test_a_user_model_without_validation_is_offered_by_name_but_never_auto():
    folder = paths.user_models_dir()
    path = save_tiny_enhance_model(folder, 2)
    rewrite_metadata(path, validation="")  # dropped in by hand, no training record
    enhance = catalog.list_methods("enhance", include_providers=False)
    assert [m.id for m in enhance] == ["tiny-sr-x2", "lanczos"] and not enhance[0].automatic
    assert catalog.best_method("enhance", scale=2).id == "lanczos"
    assert catalog.find_method("enhance", "tiny-sr-x2").path == path  # still chosen by name


def test_a_user_model_that_scored_below_classical_is_never_auto():
    # A 40-step model its own validation scores 8 dB below the classical fill.
    below = validation_scores("repair", model=17.0, classical=25.0)
    save_tiny_repair_model(paths.user_models_dir(), name="undertrained", validation=below)
    assert catalog.find_method("repair", "undertrained").kind == "builtin"
    assert catalog.best_method("repair").kind == "classical"


def test_a_user_model_better_than_its_base_and_classical_is_auto():
    save_tiny_repair_model(paths.user_models_dir(), name="good-fill")
    assert catalog.best_method("repair").id == "good-fill"


def test_a_shipped_model_is_auto_without_validation(no_bundled_models):
    path = save_tiny_enhance_model(no_bundled_models, 2, name="shipped-x2")
    rewrite_metadata(path, validation="")
    [method] = [m for m in catalog.list_methods("enhance") if m.kind == "builtin"]
    assert method.source == "bundled models" and method.automatic
    assert catalog.best_method("enhance", scale=2).path == path


@pytest.mark.parametrize(
    ("validation", "better"),
    [
        ({"model": {"psnr": 30}, "base": {"psnr": 20}, "classical": {"psnr": 25}}, True),
        ({"model": {"psnr": 30}, "base": {"psnr": 31}, "classical": {"psnr": 25}}, False),
        ({"model": {"psnr": 25}, "classical": {"psnr": 25}}, False),  # equal is not better
        ({"model": {"psnr": 30}}, False),  # nothing to be better than
        ({"model": {"psnr": float("nan")}, "classical": {"psnr": 25}}, False),
        ({"model": {"psnr": "30"}, "classical": {"psnr": 25}}, False),
        ({"model": {"ssim": 0.9}, "classical": {"ssim": 0.8}}, False),  # not the score used
        ("not scores", False),
        (None, False),
    ],
)
def test_validation_must_show_the_model_better(validation, better):
    assert validated_better("enhance", validation) is better


def test_a_file_whose_weights_do_not_fit_its_metadata_is_a_problem_and_auto_skips_it():
    path = _mismatched_x2(paths.user_models_dir())
    listing = catalog.scan_catalog()
    assert not any(method.path == path for method in listing.methods)
    [problem] = [p for p in listing.problems if p.path == path]
    assert "does not match its declared architecture" in problem.message
    assert "mislabelled-x2.safetensors" in problem.message
    result, _ = drive(run_enhance(EnhanceJob(_photo(), scale=2)))  # "auto" still works
    assert result.params["upscaler"] == "lanczos"


def test_hyperparameters_the_network_cannot_take_are_a_problem():
    path = save_tiny_enhance_model(paths.user_models_dir(), 2, name="odd-x2")
    rewrite_metadata(path, hyperparameters=json.dumps({"bogus": 1}))
    problems = {p.path.name: p.message for p in catalog.model_problems()}
    assert "hyperparameters" in problems["odd-x2.safetensors"]


def _listing_in_a_fresh_process() -> tuple[list[str], list[str], bool]:
    code = (
        "import sys\nfrom sdstudio.engine import catalog\n"
        "listing = catalog.scan_catalog(include_providers=False)\n"
        "print(' '.join(m.id for m in listing.methods if m.source == 'your models'))\n"
        "print(' '.join(p.path.name for p in listing.problems))\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    methods, problems, torch_loaded = done.stdout.split("\n")[:3]
    return methods.split(), problems.split(), torch_loaded == "True"


def test_a_copied_in_file_is_compared_once_then_listing_needs_no_torch(tmp_path):
    made = save_tiny_enhance_model(tmp_path, 2, name="fits")
    shutil.copyfile(made, paths.user_models_dir() / "fits.safetensors")  # never checked here
    _mismatched_x2(tmp_path)
    shutil.copyfile(
        tmp_path / "mislabelled-x2.safetensors", paths.user_models_dir() / "bad.safetensors"
    )
    first = _listing_in_a_fresh_process()
    assert first == (["fits"], ["bad.safetensors"], True)
    assert _listing_in_a_fresh_process() == (["fits"], ["bad.safetensors"], False)


def test_on_the_gui_thread_a_new_file_waits_for_the_background_check(monkeypatch, tmp_path):
    made = save_tiny_enhance_model(tmp_path, 2, name="dropped")
    target = paths.user_models_dir() / "dropped.safetensors"
    shutil.copyfile(made, target)
    monkeypatch.setattr(model_checks, "_defer_on_main_thread", True)
    monkeypatch.setattr(model_checks, "_torch_ready", lambda: False)  # GUI start-up
    compared = []
    real = model_checks.compare_weights_now
    monkeypatch.setattr(
        model_checks, "compare_weights_now", lambda info: compared.append(info.path) or real(info)
    )
    listing = catalog.scan_catalog(include_providers=False)
    assert not any(method.path == target for method in listing.methods)
    assert any("being checked" in problem.message for problem in listing.problems)
    assert compared == []

    import threading

    checked: list[list[Path]] = []
    worker = threading.Thread(
        target=lambda: checked.append(catalog.check_new_model_files(catalog.model_folders()))
    )
    worker.start()
    worker.join(120)
    assert checked == [[target]] and compared == [target]
    listing = catalog.scan_catalog(include_providers=False)
    assert [m.id for m in listing.methods if m.path == target] == ["dropped"]
