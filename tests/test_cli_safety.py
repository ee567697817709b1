"""The command refuses to destroy what it reads (masks as well as photos) and checks names
before loading torch; real files on disk, the same ``main()`` the entry point calls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from sdstudio.cli import main
from tests.test_cli import error_lines, write_mask, write_photo

ROOT = Path(__file__).resolve().parents[1]


def _repair(photo: Path | str, mask: Path | str, output: Path | str, *extra: str) -> int:
    argv = ["repair", str(photo), "--mask", str(mask), "-o", str(output), "--method", "telea"]
    return main([*argv, *extra])


@pytest.mark.parametrize("spelling", ["same path", "relative with ..", "linked folder"])
def test_an_output_naming_the_mask_file_is_refused(tmp_path, capsys, monkeypatch, spelling):
    write_photo(tmp_path / "in.png")
    write_mask(tmp_path / "mask.png")
    before = (tmp_path / "mask.png").read_bytes()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    if spelling == "linked folder":
        # The result would go through the link into the real folder, over the mask.
        (tmp_path / "alias").symlink_to(tmp_path, target_is_directory=True)
    output = {
        "same path": tmp_path / "mask.png",
        "relative with ..": Path("..") / "sub" / ".." / "mask.png",
        "linked folder": tmp_path / "alias" / "mask.png",
    }[spelling]
    assert _repair(tmp_path / "in.png", "../mask.png", output) == 1
    errors = error_lines(capsys.readouterr().err)
    assert len(errors) == 1
    assert "is the mask file" in errors[0] and "--overwrite" in errors[0]
    assert (tmp_path / "mask.png").read_bytes() == before


def test_an_output_that_is_a_link_to_the_mask_is_refused(tmp_path, capsys):
    write_photo(tmp_path / "in.png")
    write_mask(tmp_path / "mask.png")
    (tmp_path / "out.png").symlink_to(tmp_path / "mask.png")
    assert _repair(tmp_path / "in.png", tmp_path / "mask.png", tmp_path / "out.png") == 1
    assert "is the mask file" in capsys.readouterr().err
    assert (tmp_path / "out.png").is_symlink()  # nothing was written in its place


def test_overwrite_allows_replacing_the_mask(tmp_path, capsys):
    write_photo(tmp_path / "in.png")
    write_mask(tmp_path / "mask.png")
    mask = tmp_path / "mask.png"
    assert _repair(tmp_path / "in.png", mask, mask, "--overwrite") == 0
    with Image.open(mask) as written:
        assert written.mode == "RGB"  # now the repaired photo, not the greyscale mask


def _folders(tmp_path: Path) -> dict[str, bytes]:
    (tmp_path / "photos").mkdir()
    (tmp_path / "masks").mkdir()
    for index, name in enumerate(("a", "b")):
        write_photo(tmp_path / "photos" / f"{name}.png", seed=index)
        write_mask(tmp_path / "masks" / f"{name}.png")
    return {path.name: path.read_bytes() for path in (tmp_path / "masks").iterdir()}


@pytest.mark.parametrize("spelling", ["same path", "relative with ..", "linked folder"])
def test_an_output_folder_that_is_the_mask_folder_is_refused(
    tmp_path, capsys, monkeypatch, spelling
):
    masks_before = _folders(tmp_path)
    monkeypatch.chdir(tmp_path / "photos")
    (tmp_path / "alias").symlink_to(tmp_path / "masks", target_is_directory=True)
    output = {
        "same path": tmp_path / "masks",
        "relative with ..": Path("..") / "photos" / ".." / "masks",
        "linked folder": tmp_path / "alias",
    }[spelling]
    assert _repair(tmp_path / "photos", tmp_path / "masks", output) == 1
    errors = error_lines(capsys.readouterr().err)
    assert len(errors) == 1 and "mask folder" in errors[0] and "--overwrite" in errors[0]
    after = {path.name: path.read_bytes() for path in (tmp_path / "masks").iterdir()}
    assert after == masks_before


def test_a_batch_output_linked_to_another_images_mask_is_refused(tmp_path, capsys):
    # Not the matched mask but another one of the folder: it is still a mask to keep.
    masks_before = _folders(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.png").symlink_to(tmp_path / "masks" / "b.png")
    assert _repair(tmp_path / "photos", tmp_path / "masks", tmp_path / "out") == 1
    assert "is the mask file" in capsys.readouterr().err
    after = {path.name: path.read_bytes() for path in (tmp_path / "masks").iterdir()}
    assert after == masks_before
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == ["a.png"]


# A fresh interpreter: whether torch was imported is visible only there.
_STYLE_CHILD = """
import sys
from sdstudio.cli import main
code = main(["style", sys.argv[1], "--style", sys.argv[2], "-o", sys.argv[3], *sys.argv[4:]])
print(code, "torch" in sys.modules)
"""


@pytest.mark.parametrize(
    ("style", "extra", "expected"),
    [
        ("nonsense", [], ["'nonsense'", "oil_painting", "watercolour", "neon_glow"]),
        ("sd_anime", [], ["Stable Diffusion", "--model"]),
        ("cartoon", ["--model", "some-sd-model"], ["leave out --model", "sd_anime"]),
    ],
)
def test_a_wrong_style_name_is_reported_before_torch_loads(tmp_path, style, extra, expected):
    write_photo(tmp_path / "photo.jpg")
    done = subprocess.run(
        [sys.executable, "-c", _STYLE_CHILD, "photo.jpg", style, "out.png", *extra],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.stdout.split() == ["1", "False"], done.stderr
    errors = error_lines(done.stderr)
    assert len(errors) == 1 and all(text in errors[0] for text in expected), done.stderr
    assert not (tmp_path / "out.png").exists()
