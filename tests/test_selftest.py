"""The self-test that release builds run on the frozen app (``sdstudio --self-test``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sdstudio import paths, selftest
from sdstudio.imaging.image_io import LoadedImage
from sdstudio.jobs import JobResult
from sdstudio.selftest import photo_checks
from sdstudio.selftest.common import SelfTestFailure

ROOT = Path(__file__).resolve().parent.parent


def _photo(height: int = 60, width: int = 80) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    return np.stack([rows * 4 % 256, cols * 3 % 256, (rows + cols) % 256], -1).astype(np.uint8)


def _state(photo: np.ndarray) -> dict[str, object]:
    return {"loaded": LoadedImage(pixels=photo, path=Path("photo.png"))}


def _fake_run(transform):
    def run(job):
        return JobResult(image=transform(job), params={"method": "fake"})

    return run


def test_repair_mask_marks_a_blob_and_a_scratch():
    mask = photo_checks.repair_mask(300, 400)
    assert mask.shape == (300, 400) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    assert 0.01 < (mask > 0).mean() < 0.1
    left, right = mask[:, :200], mask[:, 220:]
    assert left.any() and right.any()  # the blob on the left, the scratch on the right


def test_repair_check_passes_a_real_fill_and_reports_it(monkeypatch):
    photo = _photo()

    def fill_with_original(job):
        out = job.image.copy()
        out[job.mask > 0] = photo[job.mask > 0]
        return out

    monkeypatch.setattr(photo_checks, "run_to_result", _fake_run(fill_with_original))
    summary = photo_checks.check_repair(_state(photo))
    assert "method fake" in summary and "mean error vs the original 0.0" in summary


def test_repair_check_fails_when_pixels_outside_the_mask_change(monkeypatch):
    photo = _photo()

    def fill_and_spill(job):
        out = job.image.copy()
        out[job.mask > 0] = photo[job.mask > 0]
        out[0, 0] = 255 - out[0, 0]
        return out

    monkeypatch.setattr(photo_checks, "run_to_result", _fake_run(fill_and_spill))
    with pytest.raises(SelfTestFailure, match="1 pixels outside the mask changed"):
        photo_checks.check_repair(_state(photo))


def test_repair_check_fails_when_the_mask_is_not_filled(monkeypatch):
    monkeypatch.setattr(photo_checks, "run_to_result", _fake_run(lambda job: job.image.copy()))
    with pytest.raises(SelfTestFailure, match="100% of the masked area was not filled"):
        photo_checks.check_repair(_state(_photo()))


def test_style_check_fails_when_nothing_changed(monkeypatch):
    monkeypatch.setattr(photo_checks, "run_to_result", _fake_run(lambda job: job.image.copy()))
    with pytest.raises(SelfTestFailure, match="barely changed"):
        photo_checks.check_style(_state(_photo()))


def test_enhance_check_needs_the_right_size_and_a_faithful_upscale(monkeypatch):
    photo = _photo()
    state = _state(photo)
    monkeypatch.setattr(
        photo_checks, "run_to_result", _fake_run(lambda job: job.image.repeat(2, 0).repeat(2, 1))
    )
    assert "80x60 -> 160x120" in photo_checks.check_enhance(state)

    monkeypatch.setattr(photo_checks, "run_to_result", _fake_run(lambda job: job.image.copy()))
    with pytest.raises(SelfTestFailure, match="expected \\(120, 160, 3\\)"):
        photo_checks.check_enhance(state)

    noise = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    monkeypatch.setattr(photo_checks, "run_to_result", _fake_run(lambda job: noise))
    with pytest.raises(SelfTestFailure, match="does not match the original"):
        photo_checks.check_enhance(state)


def test_missing_example_photo_fails_with_the_reason(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(paths, "example_photo_path", lambda: tmp_path / "gone.jpg")
    assert selftest.main() == 1
    out = capsys.readouterr().out
    assert f"[FAIL] example photo: the bundled example photo is missing: {tmp_path}" in out
    assert "Self-test FAILED" in out
    # Windowed builds have no console: the same report is in the user's log folder.
    log = (paths.logs_dir() / selftest.SELF_TEST_LOG).read_text(encoding="utf-8")
    assert "[FAIL] example photo" in log and "Self-test FAILED" in log


@pytest.mark.slow
def test_self_test_passes_from_the_source_tree(tmp_path):
    """The whole self-test, as `sdstudio --self-test` runs it, with no display."""
    env = {**os.environ, "SDSTUDIO_DATA_DIR": str(tmp_path)}
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must choose offscreen itself
    env.pop("DISPLAY", None)
    completed = subprocess.run(
        [sys.executable, "-m", "sdstudio", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    steps = ("example photo", "main window", "repair", "style", "enhance", "network")
    for step in (*steps, "training process"):
        assert f"[ok] {step}:" in completed.stdout
    assert "Self-test passed" in completed.stdout
