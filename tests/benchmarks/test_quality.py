"""benchmarks/quality.py: the downscaler matrix, the verdicts against issue 18's targets
and the whole command, on two tiny generated photos with classical methods only."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from benchmarks import quality, quality_tables
from benchmarks.quality_cases import DEGRADED, DOWNSCALERS, degrade, enhance_cases
from benchmarks.quality_methods import Method


def tiny_photo(seed: int, height: int = 48, width: int = 64) -> np.ndarray:
    """Edges, a gradient and some texture, so every resampler gives a different input."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    image = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1).astype(np.float64)
    image[height // 3 : height // 2, width // 4 : width // 2] = (230, 40, 60)
    image += rng.normal(0, 12, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


PHOTOS = [("first", tiny_photo(1)), ("second", tiny_photo(2))]
CLASSICAL = [Method("bicubic", "classical"), Method("lanczos", "classical")]


def test_matrix_has_a_row_per_downscaler_and_a_column_per_method():
    cases = enhance_cases((2, 4), (*DOWNSCALERS, DEGRADED))
    assert [c.name for c in cases if c.downscaler == DEGRADED] == ["x2 degraded"]
    scores = quality.evaluate_enhance(PHOTOS, CLASSICAL, cases, {}, 0, lambda _: None)
    assert set(scores) == {(case.name, m.id) for case in cases for m in CLASSICAL}
    assert all(len(values) == 2 for values in scores.values())

    x2 = [case for case in cases if case.scale == 2]
    verdicts = quality_tables.enhance_verdicts(scores, x2, ["lanczos"], ["first", "second"])
    lines = quality_tables.matrix(
        scores, x2, ["bicubic", "lanczos"], quality_tables.psnr_ssim_cell, verdicts
    )
    assert lines[0].startswith("| downscaler | bicubic | lanczos | target | pass |")
    assert [line.split(" | ")[0] for line in lines[2:]] == [f"| {c.name}" for c in x2]
    assert all("lanczos yes" in line or "lanczos no" in line for line in lines[2:])
    for verdict in verdicts:
        assert verdict.worst_photo in ("first", "second")
        assert verdict.passed is not None


def test_a_verdict_names_the_worst_photo_and_what_fell_short():
    scores = {
        ("x2 cv2_area", "bicubic"): [(30.0, 0.90, 0.5), (30.0, 0.90, 0.5)],
        ("x2 cv2_area", "model"): [(31.5, 0.91, 0.7), (29.6, 0.88, 0.6)],
    }
    target = quality_tables.enhance_target(enhance_cases((2,), ("cv2_area",))[0])
    verdict = quality_tables.judge(scores, "x2 cv2_area", "model", target, ["a", "b"])
    assert verdict.gain_db == pytest.approx(0.55)
    assert (verdict.worst_photo, round(verdict.worst_gain_db, 2)) == ("b", -0.4)
    assert verdict.passed is False
    assert verdict.misses == ["SSIM -0.0050", "b -0.40 dB"]

    missing = quality_tables.judge(
        {("box", "net"): [(25.0, 0.8, 0.9)]}, "box", "net", quality_tables.repair_target("box"),
        ["a"],
    )  # fmt: skip
    assert missing.passed is None and "patchmatch did not run" in missing.verdict_text()


def test_degraded_input_is_seeded_by_the_photo_name():
    photo = tiny_photo(3)
    assert np.array_equal(degrade(photo, 2, "same"), degrade(photo, 2, "same"))
    assert not np.array_equal(degrade(photo, 2, "same"), degrade(photo, 2, "other"))
    assert degrade(photo, 2, "same").shape == (24, 32, 3)


def test_one_command_prints_the_tables_and_writes_the_json(tmp_path, capsys):
    folder = tmp_path / "val"
    folder.mkdir()
    for name, image in PHOTOS:
        Image.fromarray(image).save(folder / f"{name}.png")
    argv = ["--val", str(folder), "--size", "64", "--tasks", "enhance,repair",
            "--no-shipped", "--no-speed", "--grid", str(tmp_path / "grid.jpg"),
            "--json", str(tmp_path / "scores.json")]  # fmt: skip
    assert quality.main(argv) == 0
    printed = capsys.readouterr().out
    assert "Enhance x2, PSNR dB / SSIM" in printed and "Enhance x4, detail" in printed
    for downscaler in (*DOWNSCALERS, DEGRADED):
        assert f"| x2 {downscaler} |" in printed
    assert "| box | navier_stokes |" in printed
    written = json.loads((tmp_path / "scores.json").read_text())
    assert written["photos"] == ["first", "second"]
    assert "x4 pil_lanczos|bicubic" in written["enhance"]
    assert len(written["repair"]["blobs|telea"][0]) == 3  # PSNR, SSIM, detail
    assert written["verdicts"] == []  # no model ran
    assert (tmp_path / "grid.jpg").is_file()


@pytest.mark.slow  # loads torch and checks the weights of the file
def test_a_candidate_file_is_measured_and_judged_alone(tmp_path, capsys):
    from tests.engine.helpers import save_tiny_enhance_model

    folder = tmp_path / "val"
    folder.mkdir()
    for name, image in PHOTOS:
        Image.fromarray(image).save(folder / f"{name}.png")
    candidate = save_tiny_enhance_model(tmp_path, 2, name="candidate-x2")
    argv = ["--val", str(folder), "--size", "64", "--tasks", "enhance", "--scales", "2",
            "--downscalers", "cv2_area,degraded", "--enhance-model", str(candidate),
            "--no-shipped", "--no-speed", "--grid", str(tmp_path / "grid.jpg"),
            "--json", str(tmp_path / "scores.json")]  # fmt: skip
    assert quality.main(argv) == 0
    printed = capsys.readouterr().out
    assert f"- candidate-x2: enhance, candidate, {candidate}" in printed
    assert "sdstudio-enhance" not in printed  # the shipped files were left out
    verdicts = json.loads((tmp_path / "scores.json").read_text())["verdicts"]
    assert [(v["case"], v["method"]) for v in verdicts] == [
        ("x2 cv2_area", "candidate-x2"),
        ("x2 degraded", "candidate-x2"),
    ]
    assert all(v["checked"] and v["worst_photo"] in ("first", "second") for v in verdicts)
