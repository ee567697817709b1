"""``sdstudio detect-damage``: real files, the real (tiny) damage finder."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from sdstudio.cli import main
from sdstudio.training.damage_scores import MaskCounts
from tests.test_cli import error_lines, write_photo


def _scratched_photo(path, size=(160, 120), seed=0):
    """A smooth photo with a bright scratch; returns the scratch's mask."""
    photo = cv2.GaussianBlur(write_photo(path, size=size, seed=seed), (0, 0), 2)
    truth = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(truth, (10, 20 + seed * 5), (size[0] - 10, size[1] - 20), 255, 2)
    photo[truth > 0] = 250
    Image.fromarray(photo).save(path)
    return truth


def _check_mask(path, truth):
    mask = np.asarray(Image.open(path))
    assert mask.shape == truth.shape  # greyscale, the photo's size
    assert set(np.unique(mask)) <= {0, 255}
    counts = MaskCounts()
    counts.add(mask, truth, tolerance=2)
    assert counts.recall >= 0.5, counts
    assert counts.precision >= 0.5, counts
    return mask


def test_a_file_gets_a_mask_white_on_the_scratch(tmp_path, capsys):
    truth = _scratched_photo(tmp_path / "old.png")
    code = main(["detect-damage", str(tmp_path / "old.png"), "-o", str(tmp_path / "old-mask.png")])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "wrote" in err and not error_lines(err)
    _check_mask(tmp_path / "old-mask.png", truth)


def test_higher_sensitivity_marks_at_least_as_much(tmp_path, capsys):
    _scratched_photo(tmp_path / "old.png")
    marked = []
    for sensitivity in ("0.1", "0.9"):
        out = tmp_path / f"m{sensitivity}.png"
        assert main(["detect-damage", str(tmp_path / "old.png"), "-o", str(out),
                     "--sensitivity", sensitivity, "--device", "cpu"]) == 0  # fmt: skip
        marked.append(int((np.asarray(Image.open(out)) > 0).sum()))
    assert marked[0] < marked[1]


def test_a_folder_gets_one_mask_per_photo_and_an_unreadable_file_is_skipped(tmp_path, capsys):
    photos = tmp_path / "scans"
    photos.mkdir()
    truths = {
        "a": _scratched_photo(photos / "a.png", seed=0),
        "b": _scratched_photo(photos / "b.jpg", seed=1),
    }
    (photos / "broken.png").write_bytes(b"not an image at all")
    code = main(["detect-damage", str(photos), "-o", str(tmp_path / "masks")])
    err = capsys.readouterr().err
    assert code == 1  # one file failed
    (line,) = error_lines(err)
    assert line.startswith("sdstudio: error: broken.png:")
    assert "2 of 3 masks written" in err
    assert "3/3" in err or "2/3" in err  # the folder's progress bar
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == ["a.png", "b.png"]
    for name, truth in truths.items():
        # JPEG noise may add a few specks; the scratch is still found
        _check_mask(tmp_path / "masks" / f"{name}.png", truth)


def test_mistakes_are_refused_before_any_work(tmp_path, capsys):
    _scratched_photo(tmp_path / "old.png")
    assert main(["detect-damage", str(tmp_path / "missing"), "-o", str(tmp_path / "m")]) == 1
    assert "does not exist" in error_lines(capsys.readouterr().err)[0]
    assert main(["detect-damage", str(tmp_path / "old.png"), "-o", str(tmp_path / "old.png")]) == 1
    assert "is the input file" in error_lines(capsys.readouterr().err)[0]
    assert main(["detect-damage", str(tmp_path / "old.png"), "-o", str(tmp_path / "m.jpg")]) == 1
    assert "PNG" in error_lines(capsys.readouterr().err)[0]
    (tmp_path / "bad.png").write_bytes(b"junk")
    assert main(["detect-damage", str(tmp_path / "bad.png"), "-o", str(tmp_path / "m.png")]) == 1
    (line,) = error_lines(capsys.readouterr().err)
    assert "bad.png" in line
    assert not (tmp_path / "m.png").exists()
    with pytest.raises(SystemExit) as usage:
        main(["detect-damage", str(tmp_path / "old.png"), "-o", str(tmp_path / "m.png"),
              "--sensitivity", "2"])  # fmt: skip
    assert usage.value.code == 2
    assert "not between 0 and 1" in error_lines(capsys.readouterr().err)[0]
