"""``sdstudio repair FOLDER --mask ONE.png`` and ``sdstudio extend``, on real files."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sdstudio.cli import main
from tests.test_cli import error_lines, run_cli, write_mask, write_photo

LOGO_BOX = (40, 30, 60, 44)  # where the "watermark" sits on every photo of the series


def _series(folder, names, size=(64, 48)):
    folder.mkdir()
    return {name: write_photo(folder / name, size=size, seed=index)
            for index, name in enumerate(names)}  # fmt: skip


# --- one mask for a folder --------------------------------------------------------------


def test_one_mask_repairs_every_same_size_photo_and_skips_another_size(tmp_path, capsys):
    photos = _series(tmp_path / "series", ["a.png", "b.png"])
    photos["odd.png"] = write_photo(tmp_path / "series" / "odd.png", size=(80, 60), seed=7)
    write_mask(tmp_path / "logo.png", box=LOGO_BOX)
    code = main(["repair", str(tmp_path / "series"), "--mask", str(tmp_path / "logo.png"),
                 "-o", str(tmp_path / "clean"), "--method", "telea"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1  # one photo was skipped
    assert sorted(p.name for p in (tmp_path / "clean").iterdir()) == ["a.png", "b.png"]
    (skipped,) = error_lines(err)
    assert "odd.png" in skipped and "skipped" in skipped
    assert "64 x 48" in skipped and "80 x 60" in skipped
    assert "2 of 3 images written" in err
    x0, y0, x1, y1 = LOGO_BOX
    for name in ("a.png", "b.png"):
        out = np.asarray(Image.open(tmp_path / "clean" / name))
        np.testing.assert_array_equal(out[:20], photos[name][:20])  # far from the logo
        assert not np.array_equal(out[y0:y1, x0:x1], photos[name][y0:y1, x0:x1])


def test_the_mask_file_inside_the_photo_folder_is_not_a_photo(tmp_path, capsys):
    _series(tmp_path / "series", ["a.png", "b.png"])
    mask = write_mask(tmp_path / "series" / "logo-mask.png", box=LOGO_BOX)
    code = main(["repair", str(tmp_path / "series"), "--mask",
                 str(tmp_path / "series" / "logo-mask.png"), "-o", str(tmp_path / "clean"),
                 "--method", "telea"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "clean").iterdir()) == ["a.png", "b.png"]
    np.testing.assert_array_equal(
        np.asarray(Image.open(tmp_path / "series" / "logo-mask.png")), mask
    )


def test_a_result_that_would_replace_the_shared_mask_is_refused(tmp_path, capsys):
    _series(tmp_path / "series", ["a.png", "logo.png"])
    (tmp_path / "out").mkdir()
    mask = write_mask(tmp_path / "out" / "logo.png", box=LOGO_BOX)
    code = main(["repair", str(tmp_path / "series"), "--mask", str(tmp_path / "out" / "logo.png"),
                 "-o", str(tmp_path / "out"), "--method", "telea"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert len(error_lines(err)) == 1 and "mask" in err and "--overwrite" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["logo.png"]  # nothing new
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "out" / "logo.png")), mask)


def test_an_unreadable_shared_mask_stops_the_batch_with_one_line(tmp_path, capsys):
    _series(tmp_path / "series", ["a.png", "b.png", "c.png"])
    (tmp_path / "logo.png").write_bytes(b"not a picture")
    code = main(["repair", str(tmp_path / "series"), "--mask", str(tmp_path / "logo.png"),
                 "-o", str(tmp_path / "clean")])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert len(error_lines(err)) == 1 and "logo.png" in err
    assert list((tmp_path / "clean").iterdir()) == []


# --- extend ------------------------------------------------------------------------------


def test_real_command_extends_a_file_and_keeps_the_photo_and_its_exif(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "SeriesCam"  # Make
    exif.get_ifd(0x8769)[0xA002] = 64  # PixelXDimension, as a camera writes it
    exif.get_ifd(0x8769)[0xA003] = 48
    original = write_photo(tmp_path / "in.png", exif=exif.tobytes())
    done = run_cli("extend", "in.png", "-o", "wide.png", "--left", "24", "--bottom", "10",
                   cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr
    with Image.open(tmp_path / "wide.png") as out:
        assert out.size == (64 + 24, 48 + 10)
        tags = out.getexif()
        assert tags.get(0x010F) == "SeriesCam"
        assert tags.get_ifd(0x8769).get(0xA002) == 88 and tags.get_ifd(0x8769).get(0xA003) == 58
        pixels = np.asarray(out.convert("RGB"))
    # The photo itself is kept, except a blend band along the two new borders.
    band = 4 + 3 + 1  # the engine's seam overlap plus the repair's blend ring, rounded up
    np.testing.assert_array_equal(pixels[: 48 - band, 24 + band :], original[: 48 - band, band:])


def test_extend_a_folder_to_an_aspect_ratio(tmp_path, capsys):
    _series(tmp_path / "series", ["a.png", "b.jpg"])
    write_photo(tmp_path / "series" / "tall.png", size=(40, 60), seed=3)
    code = main(["extend", str(tmp_path / "series"), "-o", str(tmp_path / "wide"),
                 "--aspect", "16:9", "--method", "telea"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    sizes = {p.name: Image.open(p).size for p in (tmp_path / "wide").iterdir()}
    # 48 * 16 / 9 = 85.3: 21 px more, 10 on the left and 11 on the right.
    assert sizes == {"a.png": (85, 48), "b.jpg": (85, 48), "tall.png": (107, 60)}


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "how much canvas"),
        (["--aspect", "16:9", "--left", "5"], "either --aspect"),
        (["--left", "-3"], "negative"),
        (["--aspect", "wide"], "ratio"),
        (["--left", "500"], "at most 2 times"),
    ],
)
def test_extend_refuses_unusable_borders_with_one_line(tmp_path, capsys, extra, message):
    write_photo(tmp_path / "in.png")
    argv = ["extend", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"), *extra]
    try:
        code = main(argv)
    except SystemExit as usage_error:  # argparse's own checks: exit 2, as for any command
        code = usage_error.code
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert len(error_lines(err)) == 1 and message in err
    assert not (tmp_path / "out.png").exists()


def test_extend_never_replaces_its_input(tmp_path, capsys):
    original = write_photo(tmp_path / "in.png")
    code = main(["extend", str(tmp_path / "in.png"), "-o", str(tmp_path / "in.png"), "--top", "8"])
    assert code == 1 and "input file" in capsys.readouterr().err
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "in.png")), original)
