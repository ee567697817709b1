"""Open and save photos as 8-bit RGB/RGBA arrays, with clear messages for bad files.

Every mode Pillow reads (CMYK, 16-bit, float, palette, greyscale, alpha) becomes a
``uint8`` ``(H, W, 3)`` or ``(H, W, 4)`` array with EXIF orientation applied; anything the
user should know about the conversion goes into ``LoadedImage.notes``. Saving lives in
``image_save`` and file-format facts in ``file_formats``; both are re-exported here so
callers need one import.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from sdstudio.errors import ImageLoadError
from sdstudio.imaging.file_formats import (
    OPEN_EXTENSIONS,
    READABLE_FORMATS,
    SAVE_FORMATS,
    SaveFormat,
    edited_path,
    ensure_heif_registered,
    format_for_dialog_filter,
    format_for_path,
    open_dialog_filter,
    save_dialog_filters,
)
from sdstudio.imaging.image_save import save_image

__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE",
    "OPEN_EXTENSIONS",
    "SAVE_FORMATS",
    "LoadedImage",
    "SaveFormat",
    "edited_path",
    "format_for_dialog_filter",
    "format_for_path",
    "load_image",
    "open_dialog_filter",
    "save_dialog_filters",
    "save_image",
]

# Pillow refuses images above twice this (DecompressionBombError) and warns above it; we
# refuse above it. 250 MP is ten times a 24 MP photo, and about 1 GB of RGBA pixels.
MAX_PIXELS = 250_000_000
# Qt's QImage cannot show a side longer than this.
MAX_SIDE = 32767
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_ORIENTATION_TAG = 0x0112
# TIFF tags that describe how the source file laid out its pixels (strips, compression,
# sample format, embedded ICC); TIFF files report them as EXIF, but they would be wrong
# in any file we write.
_LAYOUT_TAGS = frozenset(
    (256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 317, 320, 322, 323, 324, 325, 338, 339,
     34675)
)  # fmt: skip


@dataclass
class LoadedImage:
    """A photo as opened: pixels plus what a save needs to keep (EXIF with orientation 1,
    ICC profile, DPI) and notes for the person about any conversion."""

    pixels: np.ndarray
    path: Path | None = None
    format: str | None = None
    exif: bytes | None = None
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)


def load_image(path: Path | str) -> LoadedImage:
    """Read an image file into an 8-bit RGB/RGBA array; ImageLoadError for any bad file."""
    path = Path(path)
    name = path.name or str(path)
    if path.is_dir():
        raise ImageLoadError(f"'{path}' is a folder, not an image file.")
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ImageLoadError(f"The file '{path}' does not exist.") from None
    except OSError as exc:
        raise ImageLoadError(f"Cannot read '{path}': {exc.strerror or exc}.") from exc
    if size == 0:
        raise ImageLoadError(f"'{name}' is empty (0 bytes), so it is not an image.")
    ensure_heif_registered()
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except PermissionError:
        raise ImageLoadError(f"SD Studio is not allowed to read '{path}'.") from None
    except OSError as exc:
        raise ImageLoadError(f"Cannot read '{path}': {exc.strerror or exc}.") from exc
    loaded = _decode(data, name)
    loaded.path = path
    return loaded


def _decode(data: bytes, name: str) -> LoadedImage:
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageLoadError(
            f"'{name}' is not an image SD Studio can open. It opens {READABLE_FORMATS}."
        ) from None
    except Image.DecompressionBombError:
        raise ImageLoadError(_too_many_pixels(name)) from None
    except Exception as exc:  # a damaged header can raise almost anything inside Pillow
        raise ImageLoadError(f"'{name}' is damaged and cannot be opened ({_detail(exc)}).") from exc
    width, height = image.size
    if width < 1 or height < 1:
        raise ImageLoadError(f"'{name}' has no pixels ({width} x {height}).")
    if width * height > MAX_PIXELS:
        raise ImageLoadError(_too_many_pixels(name, width, height))
    if max(width, height) > MAX_SIDE:
        raise ImageLoadError(
            f"'{name}' is {width} x {height} pixels; SD Studio can show at most "
            f"{MAX_SIDE} pixels on a side."
        )
    notes: list[str] = []
    sixteen_bit = any(";16" in str(tile.args) for tile in image.tile)
    file_format, info = image.format, dict(image.info)
    try:
        if getattr(image, "n_frames", 1) > 1:
            notes.append("The file holds several frames or pages; only the first was opened.")
        image.load()  # decode everything now, so truncation is found here and not later
        exif, image = _apply_orientation(image, notes)
        pixels = _to_8bit(image, notes, sixteen_bit)
    except ImageLoadError:
        raise
    except MemoryError:
        raise ImageLoadError(f"There is not enough memory to open '{name}'.") from None
    except Exception as exc:  # decoders report damaged data with many exception types
        raise ImageLoadError(
            f"'{name}' is damaged or incomplete and cannot be opened ({_detail(exc)})."
        ) from exc
    icc = info.get("icc_profile") or None
    if image.mode == "CMYK":
        icc = None  # the pixels are sRGB now; the CMYK profile no longer describes them
    return LoadedImage(
        pixels=pixels,
        format=file_format,
        exif=exif,
        icc_profile=icc if isinstance(icc, bytes) else None,
        dpi=_clean_dpi(info.get("dpi")),
        notes=notes,
    )


def _detail(exc: Exception) -> str:
    return str(exc).strip() or type(exc).__name__


def _too_many_pixels(name: str, width: int = 0, height: int = 0) -> str:
    size = f" ({width * height / 1e6:.0f} megapixels)" if width else ""
    return (
        f"'{name}' is too large to open{size}. SD Studio opens images up to "
        f"{MAX_PIXELS // 1_000_000} megapixels."
    )


def _apply_orientation(image: Image.Image, notes: list[str]) -> tuple[bytes | None, Image.Image]:
    try:
        exif = image.getexif()
        orientation = exif.get(_ORIENTATION_TAG, 1)
        if orientation in range(2, 9):
            image = ImageOps.exif_transpose(image)
        if _ORIENTATION_TAG in exif:
            exif[_ORIENTATION_TAG] = 1
        for tag in _LAYOUT_TAGS.intersection(exif):
            del exif[tag]
        return (exif.tobytes() if len(exif) else None), image
    except Exception:  # broken EXIF must not stop the photo from opening
        notes.append("The photo's EXIF data is damaged and was left out.")
        return None, image


def _to_8bit(image: Image.Image, notes: list[str], sixteen_bit: bool) -> np.ndarray:
    mode = image.mode
    if sixteen_bit and not mode.startswith("I"):
        # Pillow keeps the high byte of each 16-bit sample: within one level of exact.
        notes.append("16-bit image converted to 8 bits per channel.")
    if mode == "RGBA" or (mode == "RGB" and "transparency" not in image.info):
        return np.asarray(image, dtype=np.uint8).copy()
    if mode.startswith("I;16") or mode == "I":
        values = np.asarray(image).astype(np.int64)
        if mode == "I" and (values.min() < 0 or values.max() > 65535):
            grey = _stretch(values.astype(np.float64))
            notes.append("32-bit integer image converted to 8 bits per channel.")
        else:
            grey = ((values * 255 + 32767) // 65535).astype(np.uint8)
            notes.append("16-bit image converted to 8 bits per channel.")
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64), posinf=0.0, neginf=0.0)
        if values.min() >= 0 and values.max() <= 1:
            grey = np.round(values * 255).astype(np.uint8)
        elif values.min() >= 0 and values.max() <= 255:
            grey = np.round(values).astype(np.uint8)
        else:
            grey = _stretch(values)
        notes.append("32-bit floating-point image converted to 8 bits per channel.")
        return np.repeat(grey[..., None], 3, axis=2)
    if mode == "CMYK":
        return np.asarray(_cmyk_to_rgb(image, notes), dtype=np.uint8).copy()
    has_alpha = mode in ("LA", "La", "PA", "RGBa") or (
        mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    try:
        converted = image.convert("RGBA" if has_alpha else "RGB")
    except ValueError:
        raise ImageLoadError(f"SD Studio cannot open images in the '{mode}' colour mode.") from None
    return np.asarray(converted, dtype=np.uint8).copy()


def _stretch(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round((values - low) * (255.0 / (high - low))).astype(np.uint8)


def _cmyk_to_rgb(image: Image.Image, notes: list[str]) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            notes.append("CMYK image converted to RGB using its colour profile.")
            return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            notes.append("The CMYK image's colour profile is unusable; colours are approximate.")
    notes.append("CMYK image converted to RGB.")
    return image.convert("RGB")


def _clean_dpi(value: object) -> tuple[float, float] | None:
    try:
        x, y = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if 0 < x < 1e6 and 0 < y < 1e6:
        return (round(x, 2), round(y, 2))  # PNG and BMP store pixels per metre
    return None
