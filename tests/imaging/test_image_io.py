from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image, ImageCms

from sdstudio.errors import ImageLoadError
from sdstudio.imaging.image_io import (
    MAX_SIDE,
    OPEN_EXTENSIONS,
    SAVE_FORMATS,
    load_image,
    save_image,
)
from tests.imaging.files import cmyk_icc_profile, png_16bit_rgb, png_claiming_size


def _photo(height: int = 48, width: int = 64, channels: int = 3, seed: int = 0) -> np.ndarray:
    """Smooth gradients plus a little noise: survives lossy formats recognisably."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = np.stack([xx * 255 / width, yy * 255 / height, (xx + yy) * 127 / (width + height)], -1)
    pixels = np.clip(base + rng.normal(0, 4, base.shape), 0, 255).astype(np.uint8)
    if channels == 4:
        alpha = np.full((height, width, 1), 255, np.uint8)
        alpha[: height // 2] = 80
        pixels = np.concatenate([pixels, alpha], axis=2)
    return pixels


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --- save and load round trips ------------------------------------------------------


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("suffix", [".png", ".tif", ".webp"])
def test_lossless_formats_round_trip_exactly(tmp_path, suffix, channels):
    pixels = _photo(channels=channels)
    path = tmp_path / f"photo{suffix}"
    options = {"quality": 100} if suffix == ".webp" else {}  # WebP at 100 % is lossless
    save_image(pixels, path, **options)
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded.pixels, pixels)
    assert loaded.path == path
    assert loaded.notes == []


@pytest.mark.parametrize("suffix", [".jpg", ".bmp", ".avif"])
def test_other_formats_round_trip_closely(tmp_path, suffix):
    if suffix == ".avif" and "AVIF" not in SAVE_FORMATS:
        pytest.skip("this Pillow has no AVIF support")
    pixels = _photo()
    path = tmp_path / f"photo{suffix}"
    save_image(pixels, path, quality=95)
    loaded = load_image(path)
    assert loaded.pixels.shape == pixels.shape
    assert loaded.pixels.dtype == np.uint8
    assert np.abs(loaded.pixels.astype(int) - pixels).mean() < 4


def test_jpeg_quality_changes_file_size(tmp_path):
    pixels = _photo(128, 128)
    save_image(pixels, tmp_path / "low.jpg", quality=20)
    save_image(pixels, tmp_path / "high.jpg", quality=95)
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size


def test_jpeg_puts_transparent_pixels_on_white(tmp_path):
    pixels = np.zeros((16, 16, 4), np.uint8)
    pixels[..., 0] = 255  # red, but the left half fully transparent
    pixels[:, 8:, 3] = 255
    save_image(pixels, tmp_path / "flat.jpg", quality=95)
    loaded = load_image(tmp_path / "flat.jpg").pixels
    assert loaded.shape == (16, 16, 3)
    assert (loaded[4, 2] > 240).all()  # white where it was transparent
    assert loaded[4, 13, 0] > 240 and loaded[4, 13, 1] < 20  # red where opaque


def test_greyscale_array_saves_and_loads(tmp_path):
    grey = (np.arange(20 * 30) % 256).astype(np.uint8).reshape(20, 30)
    save_image(grey, tmp_path / "grey.png")
    loaded = load_image(tmp_path / "grey.png").pixels
    np.testing.assert_array_equal(loaded, np.repeat(grey[..., None], 3, axis=2))


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp"])
def test_exif_icc_and_dpi_survive_a_save(tmp_path, suffix):
    exif = Image.Exif()
    exif[0x010F] = "SD Studio Test Camera"  # Make
    exif[0x0112] = 1
    icc = _srgb_icc()
    path = tmp_path / f"meta{suffix}"
    save_image(_photo(), path, exif=exif.tobytes(), icc_profile=icc, dpi=(300.0, 300.0))
    loaded = load_image(path)
    kept = Image.Exif()
    kept.load(loaded.exif)
    assert kept[0x010F] == "SD Studio Test Camera"
    assert kept.get(0x0112, 1) == 1
    assert loaded.icc_profile == icc
    if suffix == ".webp":
        assert loaded.dpi is None  # WebP has no place for DPI
    else:
        assert loaded.dpi == (300.0, 300.0)


def test_replacing_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "photo.png"
    save_image(_photo(), path)
    os.chmod(path, 0o640)
    save_image(_photo(seed=1), path)
    assert path.stat().st_mode & 0o777 == 0o640
    np.testing.assert_array_equal(load_image(path).pixels, _photo(seed=1))


def test_new_file_gets_normal_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save_image(_photo(), tmp_path / "new.png")
    finally:
        os.umask(umask)
    assert (tmp_path / "new.png").stat().st_mode & 0o777 == 0o644


# --- modes and orientation ------------------------------------------------------------


def _save_pil(image: Image.Image, path, **options):
    image.save(path, **options)
    return path


def test_exif_orientation_is_applied_and_reset(tmp_path):
    # Stored 60 wide x 40 tall, red block at the stored top-left; orientation 6 means
    # "rotate 90 degrees clockwise to display".
    stored = np.full((40, 60, 3), 40, np.uint8)
    stored[:10, :10] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "Rotating Camera"
    path = _save_pil(Image.fromarray(stored), tmp_path / "rotated.jpg", exif=exif, quality=95)
    loaded = load_image(path)
    assert loaded.pixels.shape == (60, 40, 3)
    top_right = loaded.pixels[2:8, -8:-2].mean(axis=(0, 1))
    assert top_right[0] > 200 and top_right[1] < 60  # the red block moved top-right
    assert loaded.pixels[2:8, 2:8, 0].mean() < 80
    kept = Image.Exif()
    kept.load(loaded.exif)
    assert kept[0x0112] == 1 and kept[0x010F] == "Rotating Camera"
    # Saving with the kept EXIF does not rotate the photo a second time.
    save_image(loaded.pixels, tmp_path / "again.jpg", exif=loaded.exif)
    assert load_image(tmp_path / "again.jpg").pixels.shape == (60, 40, 3)


def test_cmyk_without_profile_becomes_rgb(tmp_path):
    image = Image.new("CMYK", (8, 8), (0, 255, 255, 0))  # red ink mix
    loaded = load_image(_save_pil(image, tmp_path / "cmyk.jpg", quality=100))
    assert loaded.pixels.shape == (8, 8, 3)
    red, green, blue = loaded.pixels[4, 4].astype(int)
    assert red > 240 and green < 15 and blue < 15
    assert any("CMYK" in note for note in loaded.notes)


def test_cmyk_uses_its_embedded_profile(tmp_path):
    # The test profile prints "no ink" as green paper: only the profile can say that.
    icc = cmyk_icc_profile((50, -60, 40))
    image = Image.new("CMYK", (8, 8), (0, 0, 0, 0))
    image.paste((0, 0, 0, 255), (4, 0, 8, 8))
    loaded = load_image(_save_pil(image, tmp_path / "cmyk.jpg", icc_profile=icc, quality=100))
    paper = loaded.pixels[4, 1].astype(int)
    assert paper[1] > 100 and paper[0] < 40 and paper[2] < 80
    assert (loaded.pixels[4, 6] < 20).all()
    assert any("colour profile" in note for note in loaded.notes)
    assert loaded.icc_profile is None  # the pixels are sRGB now


def test_16bit_grey_png_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257, 32768, 65535]], np.uint16)
    loaded = load_image(_save_pil(Image.fromarray(values), tmp_path / "grey16.png"))
    assert loaded.pixels[0, :, 0].tolist() == [0, 1, 128, 255]
    assert loaded.pixels.shape == (1, 4, 3)
    assert "16-bit image converted to 8 bits per channel." in loaded.notes


def test_16bit_big_endian_tiff(tmp_path):
    values = np.array([[0, 32768, 65535]], dtype=">u2")
    loaded = load_image(_save_pil(Image.fromarray(values), tmp_path / "grey16.tif"))
    assert loaded.pixels[0, :, 0].tolist() == [0, 128, 255]


def test_16bit_rgb_png(tmp_path):
    path = tmp_path / "rgb16.png"
    path.write_bytes(png_16bit_rgb([[(65535, 32768, 0), (0, 65535, 16384)]]))
    loaded = load_image(path)
    assert loaded.pixels.tolist() == [[[255, 128, 0], [0, 255, 64]]]
    assert "16-bit image converted to 8 bits per channel." in loaded.notes


def test_float_tiff_is_scaled(tmp_path):
    values = np.array([[0.0, 0.5, 1.0]], np.float32)
    loaded = load_image(_save_pil(Image.fromarray(values, mode="F"), tmp_path / "f.tif"))
    assert loaded.pixels[0, :, 0].tolist() == [0, 128, 255]
    assert any("floating-point" in note for note in loaded.notes)


def test_palette_with_transparency_becomes_rgba(tmp_path):
    image = Image.new("P", (4, 1))
    image.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    image.putpixel((1, 0), 1)
    loaded = load_image(_save_pil(image, tmp_path / "p.png", transparency=0))
    assert loaded.pixels.shape == (1, 4, 4)
    assert loaded.pixels[0, 0, 3] == 0
    assert loaded.pixels[0, 1].tolist() == [0, 0, 255, 255]


def test_palette_without_transparency_becomes_rgb(tmp_path):
    image = Image.new("P", (2, 1))
    image.putpalette([10, 20, 30] * 256)
    loaded = load_image(_save_pil(image, tmp_path / "p.gif"))
    assert loaded.pixels.tolist() == [[[10, 20, 30], [10, 20, 30]]]


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [("L", 77, [77, 77, 77]), ("1", 1, [255, 255, 255]), ("LA", (90, 30), [90, 90, 90, 30])],
)
def test_greyscale_modes(tmp_path, mode, value, expected):
    loaded = load_image(_save_pil(Image.new(mode, (3, 2), value), tmp_path / "g.png"))
    assert loaded.pixels.shape == (2, 3, len(expected))
    assert loaded.pixels[1, 2].tolist() == expected


def test_animation_opens_first_frame_with_a_note(tmp_path):
    frames = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    loaded = load_image(path)
    assert loaded.pixels[0, 0].tolist() == [255, 0, 0]
    assert any("first" in note for note in loaded.notes)


def test_open_extensions_cover_the_main_formats():
    for ext in (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp"):
        assert ext in OPEN_EXTENSIONS


# --- bad files --------------------------------------------------------------------


def _expect_load_error(path, *words: str) -> str:
    with pytest.raises(ImageLoadError) as caught:
        load_image(path)
    message = str(caught.value)
    for word in words:
        assert word in message
    return message


def test_missing_file(tmp_path):
    _expect_load_error(tmp_path / "nope.jpg", "does not exist")


def test_folder(tmp_path):
    _expect_load_error(tmp_path, "folder")


def test_zero_byte_file(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    _expect_load_error(tmp_path / "empty.png", "empty")


def test_text_file_named_jpg(tmp_path):
    (tmp_path / "notes.jpg").write_text("shopping list: milk, eggs\n" * 20)
    _expect_load_error(tmp_path / "notes.jpg", "not an image")


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_file(tmp_path, suffix):
    whole = tmp_path / f"whole{suffix}"
    save_image(_photo(128, 128), whole)
    data = whole.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    _expect_load_error(cut, "damaged")


def test_decompression_bomb_rejected_by_pillow(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming_size(30000, 30000))  # 900 MP: Pillow refuses itself
    _expect_load_error(path, "too large", "250 megapixels")


def test_decompression_bomb_over_our_limit(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming_size(20000, 15000))  # 300 MP: Pillow only warns
    with pytest.warns(Image.DecompressionBombWarning):
        _expect_load_error(path, "too large", "300 megapixels")


def test_side_longer_than_qt_can_show(tmp_path):
    path = tmp_path / "strip.png"
    Image.new("L", (MAX_SIDE + 1, 2)).save(path)
    _expect_load_error(path, str(MAX_SIDE))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    save_image(_photo(), path)
    os.chmod(path, 0)
    try:
        _expect_load_error(path, "not allowed to read")
    finally:
        os.chmod(path, 0o644)


def test_in_memory_decode_has_no_file_handle_leak(tmp_path):
    path = tmp_path / "photo.png"
    buffer = io.BytesIO()
    Image.fromarray(_photo()).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    load_image(path)
    path.unlink()  # would fail on Windows if the file were still open
    assert not path.exists()


def test_heic_round_trip_when_the_plugin_is_installed(tmp_path):
    pytest.importorskip("pillow_heif")
    exif = Image.Exif()
    exif[0x010F] = "HEIC Camera"
    path = tmp_path / "photo.heic"
    save_image(_photo(), path, quality=95, exif=exif.tobytes())
    loaded = load_image(path)
    assert loaded.pixels.shape == (48, 64, 3)
    assert np.abs(loaded.pixels.astype(int) - _photo()).mean() < 6
    kept = Image.Exif()
    kept.load(loaded.exif)
    assert kept[0x010F] == "HEIC Camera"
    assert ".heic" in OPEN_EXTENSIONS and "HEIF" in SAVE_FORMATS


def test_tiff_layout_tags_do_not_leak_into_exif(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Scanner"
    path = _save_pil(Image.fromarray(_photo()), tmp_path / "scan.tif", exif=exif)
    kept = Image.Exif()
    kept.load(load_image(path).exif)
    assert kept[0x010F] == "Scanner"
    assert 273 not in kept and 259 not in kept  # strip offsets, compression
