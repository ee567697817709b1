"""``sdstudio restore``: real files, the shipped damage finder and repair, a gentle enhance."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from sdstudio.cli import main
from tests.test_cli import error_lines
from tests.test_cli_damage import _scratched_photo


def _pixels(path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB")).astype(np.int16)


def _near(truth: np.ndarray, pixels: int = 6) -> np.ndarray:
    return cv2.dilate(truth, np.ones((2 * pixels + 1,) * 2, np.uint8)) > 0


def test_a_file_is_restored_the_scratch_repaired_and_the_rest_kept(tmp_path, capsys):
    truth = _scratched_photo(tmp_path / "old.png")
    before = (tmp_path / "old.png").read_bytes()
    for name, extra in (("restored.png", []), ("repaired-only.png", ["--no-enhance"])):
        code = main(["restore", str(tmp_path / "old.png"), "-o", str(tmp_path / name),
                     "--sensitivity", "0.5", "--device", "cpu", *extra])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 0, err
        assert "wrote" in err and not error_lines(err)
        assert "found damaged and repaired" in err
    assert (tmp_path / "old.png").read_bytes() == before  # the input is untouched

    photo = _pixels(tmp_path / "old.png")
    repaired = _pixels(tmp_path / "repaired-only.png")
    restored = _pixels(tmp_path / "restored.png")
    assert restored.shape == repaired.shape == photo.shape  # the enhance keeps the size
    scratch = truth > 0
    assert photo[scratch].mean() > 240  # the bright scratch...
    assert repaired[scratch].mean() < photo[scratch].mean() - 60  # ...is filled in
    changed = np.any(repaired != photo, axis=2)
    assert not changed[~_near(truth)].any()  # without the enhance, only the damage changes
    gently = np.abs(restored - repaired)
    assert gently.max() > 0 and gently.mean() < 4  # the enhance runs, and gently


def test_a_folder_is_restored_with_a_progress_bar_and_a_bad_file_is_skipped(tmp_path, capsys):
    photos = tmp_path / "scans"
    photos.mkdir()
    _scratched_photo(photos / "a.png", seed=0)
    _scratched_photo(photos / "b.jpg", seed=1)
    (photos / "broken.png").write_bytes(b"not an image at all")
    inputs = {path.name: path.read_bytes() for path in photos.iterdir()}
    code = main(["restore", str(photos), "-o", str(tmp_path / "restored"), "--no-enhance"])
    err = capsys.readouterr().err
    assert code == 1  # one file failed
    (line,) = error_lines(err)
    assert line.startswith("sdstudio: error: broken.png:")
    assert "2 of 3 photos written" in err
    assert "3/3" in err or "2/3" in err  # the folder's progress bar
    assert sorted(path.name for path in (tmp_path / "restored").iterdir()) == ["a.png", "b.jpg"]
    assert {path.name: path.read_bytes() for path in photos.iterdir()} == inputs


def test_the_input_is_never_overwritten(tmp_path, capsys):
    _scratched_photo(tmp_path / "old.png")
    before = (tmp_path / "old.png").read_bytes()
    assert main(["restore", str(tmp_path / "old.png"), "-o", str(tmp_path / "old.png")]) == 1
    assert "is the input file" in error_lines(capsys.readouterr().err)[0]
    assert main(["restore", str(tmp_path / "old.png"), "-o", str(tmp_path)]) == 1  # same name
    assert "is the input file" in error_lines(capsys.readouterr().err)[0]
    assert main(["restore", str(tmp_path), "-o", str(tmp_path)]) == 1  # a folder onto itself
    assert "is the input file" in error_lines(capsys.readouterr().err)[0]
    assert (tmp_path / "old.png").read_bytes() == before
    assert main(["restore", str(tmp_path / "old.png"), "-o", str(tmp_path / "out.xyz")]) == 1
    assert error_lines(capsys.readouterr().err)  # an unknown format, refused before any work
    with pytest.raises(SystemExit) as usage:
        main(["restore", str(tmp_path / "old.png"), "-o", str(tmp_path / "r.png"),
              "--sensitivity", "2"])  # fmt: skip
    assert usage.value.code == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.png"]
