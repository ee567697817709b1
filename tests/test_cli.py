"""The ``sdstudio`` command: real subprocesses for the main paths, ``main()`` for the rest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sdstudio import __version__
from sdstudio.cli import main


def write_photo(path: Path, size=(64, 48), mode="RGB", seed=0, **save) -> np.ndarray:
    rng = np.random.default_rng(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // max(width, 1), y * 255 // max(height, 1), (x + y) % 256], -1)
    pixels = np.clip(pixels + rng.integers(0, 30, pixels.shape), 0, 255).astype(np.uint8)
    if mode == "RGBA":
        alpha = np.full((height, width, 1), 255, np.uint8)
        alpha[: height // 2] = 90
        pixels = np.concatenate([pixels, alpha], axis=2)
    Image.fromarray(pixels, mode).save(path, **save)
    return pixels


def write_mask(path: Path, size=(64, 48), box=(20, 15, 40, 30)) -> np.ndarray:
    mask = np.zeros(size[::-1], np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255
    Image.fromarray(mask).save(path)
    return mask


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sdstudio", *args], capture_output=True, text=True, cwd=cwd,
        timeout=120,
    )  # fmt: skip


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("sdstudio: error:")]


# --- real subprocesses --------------------------------------------------------------------


def test_real_command_styles_a_file_and_reports_progress(tmp_path):
    write_photo(tmp_path / "in.png")
    done = run_cli("style", "in.png", "--style", "cartoon", "-o", "out.png", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "[" in done.stderr and "]" in done.stderr and "wrote" in done.stderr
    with Image.open(tmp_path / "out.png") as out:
        assert out.size == (64, 48)


def test_real_command_repairs_a_folder_with_a_progress_bar(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "masks").mkdir()
    originals = {}
    for index, name in enumerate(["a.png", "b.jpg", "c.png"]):
        originals[name] = write_photo(tmp_path / "photos" / name, seed=index)
        # Stems match, extensions need not.
        write_mask(tmp_path / "masks" / (Path(name).stem + ".png"), box=(5 + index, 5, 30, 20))
    done = run_cli(
        "repair", "photos", "--mask", "masks", "-o", "fixed", "--method", "telea", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "3/3 c.png" in done.stderr and "3 of 3 images written" in done.stderr
    for name in originals:
        with Image.open(tmp_path / "fixed" / name) as out:
            assert out.size == (64, 48)
    repaired = np.asarray(Image.open(tmp_path / "fixed" / "a.png"))
    np.testing.assert_array_equal(repaired[35:], originals["a.png"][35:])  # far from the mask
    assert not np.array_equal(repaired[5:20, 5:30], originals["a.png"][5:20, 5:30])


def test_real_command_empty_mask_fails_with_one_line_and_writes_nothing(tmp_path):
    write_photo(tmp_path / "in.png")
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(tmp_path / "mask.png")
    done = run_cli("repair", "in.png", "--mask", "mask.png", "-o", "out.png", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == error_lines(done.stderr)
    assert len(error_lines(done.stderr)) == 1 and "empty" in done.stderr.lower()
    assert not (tmp_path / "out.png").exists()


def test_importing_the_cli_loads_neither_torch_nor_qt():
    code = (
        "import sys, sdstudio.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'PySide6', 'cv2'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- in-process: the same main() the entry point calls ------------------------------------


def test_repair_with_a_mask_using_telea(tmp_path, capsys):
    original = write_photo(tmp_path / "in.png")
    write_mask(tmp_path / "mask.png")
    args = ["repair", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png")]
    assert main([*args, "-o", str(tmp_path / "out.png"), "--method", "telea"]) == 0
    out = np.asarray(Image.open(tmp_path / "out.png"))
    assert out.shape == original.shape
    assert not np.array_equal(out[15:30, 20:40], original[15:30, 20:40])
    np.testing.assert_array_equal(out[:8], original[:8])


def test_enhance_x2_doubles_the_size_and_keeps_exif_icc_dpi(tmp_path, capsys):
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    icc = Image.new("RGB", (1, 1)).info.get("icc_profile") or _srgb_profile()
    write_photo(tmp_path / "in.jpg", exif=exif.tobytes(), dpi=(300, 300), icc_profile=icc)
    assert main(["enhance", str(tmp_path / "in.jpg"), "-o", str(tmp_path / "big.jpg"),
                 "--scale", "2", "--model", "lanczos", "--sharpen", "0.3"]) == 0  # fmt: skip
    with Image.open(tmp_path / "big.jpg") as out:
        assert out.size == (128, 96)
        assert out.getexif().get(0x010F) == "TestCam"
        assert out.info.get("icc_profile") == icc
        assert round(out.info["dpi"][0]) == 600  # same print size, twice the pixels


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def test_style_with_strength_and_mask(tmp_path, capsys):
    original = write_photo(tmp_path / "in.png")
    write_mask(tmp_path / "mask.png")
    args = ["style", str(tmp_path / "in.png"), "--style", "pencil_sketch", "--strength", "0.8"]
    assert main([*args, "--mask", str(tmp_path / "mask.png"), "-o", str(tmp_path / "o.png")]) == 0
    out = np.asarray(Image.open(tmp_path / "o.png"))
    np.testing.assert_array_equal(out[:15], original[:15])
    assert np.abs(out[15:30, 20:40].astype(int) - original[15:30, 20:40]).mean() > 10


def test_style_filters_flag_skips_a_trained_style_model(tmp_path, isolated_user_data):
    from tests.engine.helpers import save_tiny_style_model

    models = isolated_user_data / "models"
    models.mkdir(exist_ok=True)
    save_tiny_style_model(models, "pencil_sketch")
    write_photo(tmp_path / "in.png")
    base = ["style", str(tmp_path / "in.png"), "--style", "pencil_sketch", "-o"]
    assert main([*base, str(tmp_path / "net.png")]) == 0
    assert main([*base, str(tmp_path / "filters.png"), "--filters"]) == 0
    network = np.asarray(Image.open(tmp_path / "net.png")).astype(int)
    filters = np.asarray(Image.open(tmp_path / "filters.png")).astype(int)
    # The untrained network is far from a grey pencil drawing; the filters make one.
    assert np.abs(filters[..., 0] - filters[..., 1]).max() <= 8
    assert np.abs(network - filters).mean() > 10


def test_models_lists_every_task_and_problem_files(isolated_user_data, capsys):
    models = isolated_user_data / "models"
    models.mkdir(exist_ok=True)
    (models / "broken.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for expected in ("Repair:", "Style:", "Enhance:", "telea", "oil_painting", "lanczos"):
        assert expected in out
    assert "broken.safetensors" in out.split("Problem files")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["style", "{in}", "--style", "van_gogh", "-o", "{out}"], "oil_painting"),
        (["repair", "{in}", "--mask", "{mask}", "--method", "magic", "-o", "{out}"], "magic"),
        (["repair", "{in}", "--mask", "{small}", "-o", "{out}"], "10 x 10"),
        (["style", "{bad}", "--style", "cartoon", "-o", "{out}"], "bad.png"),
        (["style", "{in}", "--style", "cartoon", "-o", "{in}"], "--overwrite"),
        (["style", "{missing}", "--style", "cartoon", "-o", "{out}"], "does not exist"),
        (["style", "{in}", "--style", "cartoon", "-o", "{nofolder}"], "does not exist"),
        (["style", "{in}", "--style", "cartoon", "-o", "{badext}"], ".xyz"),
    ],
)
def test_bad_input_gets_one_clear_line_and_nothing_is_written(tmp_path, capsys, args, message):
    write_photo(tmp_path / "in.png")
    before = (tmp_path / "in.png").read_bytes()
    write_mask(tmp_path / "mask.png")
    Image.fromarray(np.full((10, 10), 255, np.uint8)).save(tmp_path / "small.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)  # truncated
    names = {
        "in": "in.png", "out": "out.png", "mask": "mask.png", "small": "small.png",
        "bad": "bad.png", "missing": "missing.png", "nofolder": "no/such/out.png",
        "badext": "out.xyz",
    }  # fmt: skip
    argv = [arg.format(**{k: str(tmp_path / v) for k, v in names.items()}) for arg in args]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and message in error_lines(err)[0]
    assert not (tmp_path / "out.png").exists() and not (tmp_path / "out.xyz").exists()
    assert (tmp_path / "in.png").read_bytes() == before


def test_overwrite_flag_allows_replacing_the_input(tmp_path, capsys):
    original = write_photo(tmp_path / "in.png")
    path = str(tmp_path / "in.png")
    assert main(["style", path, "--style", "charcoal", "-o", path, "--overwrite"]) == 0
    assert not np.array_equal(np.asarray(Image.open(path)), original)


def test_odd_inputs_one_pixel_rgba_and_sixteen_bit(tmp_path, capsys):
    write_photo(tmp_path / "dot.png", size=(1, 1))
    assert main(["style", str(tmp_path / "dot.png"), "--style", "oil_painting",
                 "-o", str(tmp_path / "dot-out.png")]) == 0  # fmt: skip
    assert Image.open(tmp_path / "dot-out.png").size == (1, 1)
    assert main(["enhance", str(tmp_path / "dot.png"), "-o", str(tmp_path / "dot2.png")]) == 0
    assert Image.open(tmp_path / "dot2.png").size == (2, 2)

    rgba = write_photo(tmp_path / "rgba.png", mode="RGBA")
    assert main(["style", str(tmp_path / "rgba.png"), "--style", "watercolour",
                 "-o", str(tmp_path / "rgba-out.png")]) == 0  # fmt: skip
    out = np.asarray(Image.open(tmp_path / "rgba-out.png"))
    assert out.shape == rgba.shape
    np.testing.assert_array_equal(out[..., 3], rgba[..., 3])

    deep = (np.arange(48 * 64, dtype=np.uint16).reshape(48, 64) * 21).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "deep.png")
    capsys.readouterr()
    assert main(["style", str(tmp_path / "deep.png"), "--style", "vintage_film",
                 "-o", str(tmp_path / "deep-out.png")]) == 0  # fmt: skip
    assert "note:" in capsys.readouterr().err  # the 16-bit conversion is reported
    assert Image.open(tmp_path / "deep-out.png").size == (64, 48)


def test_batch_goes_on_past_a_missing_mask_and_reports_it(tmp_path, capsys):
    for folder in ("in", "masks"):
        (tmp_path / folder).mkdir()
    for name in ("one", "two", "three"):
        write_photo(tmp_path / "in" / f"{name}.png")
    for name in ("one", "three"):
        write_mask(tmp_path / "masks" / f"{name}.bmp")
    code = main(["repair", str(tmp_path / "in"), "--mask", str(tmp_path / "masks"),
                 "-o", str(tmp_path / "out"), "--method", "navier_stokes"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one.png", "three.png"]
    assert len(error_lines(err)) == 1 and "two.png" in err and "2 of 3" in err


def test_unexpected_errors_are_one_line_with_exit_3_unless_debug(tmp_path, capsys, monkeypatch):
    import sdstudio.engine.runner as runner

    def broken(job):
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "run_job", broken)
    write_photo(tmp_path / "in.png")
    argv = ["style", str(tmp_path / "in.png"), "--style", "cartoon", "-o", str(tmp_path / "o.png")]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert err.strip().splitlines() == error_lines(err) and "boom" in err
    assert main([*argv, "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_without_a_command_the_app_opens_with_the_images(monkeypatch, tmp_path):
    import sdstudio.app.main as app_main

    opened = []
    monkeypatch.setattr(app_main, "launch", lambda paths: opened.append(paths) or 0)
    assert main([str(tmp_path / "photo.jpg")]) == 0
    assert main([]) == 0
    assert opened == [[str(tmp_path / "photo.jpg")], []]


def test_help_version_and_self_test(monkeypatch, capsys):
    assert main(["--help"]) == 0
    help_text = capsys.readouterr().out
    for command in ("repair", "style", "enhance", "models", "train"):
        assert command in help_text
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and __version__ in capsys.readouterr().out
    import sdstudio.selftest

    monkeypatch.setattr(sdstudio.selftest, "main", lambda: 0)
    assert main(["--self-test"]) == 0


def test_bad_arguments_are_one_line_with_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["style", "in.png", "--style", "cartoon", "--strength", "2", "-o", "x.png"])
    assert stop.value.code == 2
    assert len(error_lines(capsys.readouterr().err)) == 1
