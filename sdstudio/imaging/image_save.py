"""Atomic image saving: a temporary file beside the destination is written, synced and
renamed over it, so a crash or a full disk never leaves a half-written file and never
damages the file that was there before."""

from __future__ import annotations

import errno
import glob
import os
import secrets
import time
from pathlib import Path

import numpy as np
from PIL import Image

from sdstudio.errors import ImageSaveError
from sdstudio.imaging.exif_size import exif_for_size
from sdstudio.imaging.file_formats import SAVE_FORMATS, ensure_heif_registered, format_for_path


def save_image(
    pixels: np.ndarray,
    path: Path | str,
    *,
    format: str | None = None,
    quality: int = 92,
    exif: bytes | None = None,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
) -> None:
    """Write ``pixels`` (uint8 HxW, HxWx3 or HxWx4) atomically; ImageSaveError on failure.

    Formats without alpha (JPEG, BMP) get the image composited onto white. EXIF, ICC and
    DPI are written where the format stores them; the EXIF's orientation and pixel size
    are made to describe ``pixels`` (after a crop, turn or resize).
    """
    path = Path(path)
    key = format.upper() if format else format_for_path(path)
    if key == "JPG":
        key = "JPEG"
    if key not in SAVE_FORMATS:
        raise ImageSaveError(f"SD Studio cannot save in the '{format}' format.")
    if key == "HEIF":
        ensure_heif_registered()
    image = _pil_image(pixels, SAVE_FORMATS[key].supports_alpha)
    exif = exif_for_size(exif, image.width, image.height)
    options = _save_options(key, quality, exif, icc_profile, dpi)
    folder = path.parent
    if not folder.is_dir():
        raise ImageSaveError(
            f"The folder '{folder}' does not exist, so '{path.name}' was not saved."
        )
    temp = folder / f".{path.name}.{secrets.token_hex(4)}.part"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        descriptor = os.open(temp, flags, 0o666)  # 0o666: the user's umask applies
        with os.fdopen(descriptor, "wb") as fh:
            image.save(fh, format=key, **options)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except (OSError, ValueError) as exc:
        temp.unlink(missing_ok=True)
        raise ImageSaveError(_save_error_message(exc, path)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    sync_folder(folder)
    remove_stale_temporaries(path)


def _pil_image(pixels: np.ndarray, keep_alpha: bool) -> Image.Image:
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 HxW or HxWxC array, got {pixels.dtype} {pixels.shape}")
    if pixels.ndim == 3 and pixels.shape[2] not in (3, 4):
        raise ValueError(f"expected 3 or 4 channels, got {pixels.shape[2]}")
    image = Image.fromarray(np.ascontiguousarray(pixels))
    if image.mode == "RGBA" and not keep_alpha:
        # This format stores no alpha: show transparent areas as white, as viewers do.
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image).convert("RGB")
    return image


def _save_options(
    key: str,
    quality: int,
    exif: bytes | None,
    icc_profile: bytes | None,
    dpi: tuple[float, float] | None,
) -> dict[str, object]:
    options: dict[str, object] = {}
    if SAVE_FORMATS[key].supports_quality:
        options["quality"] = int(min(max(quality, 1), 100))
    if key == "WEBP" and quality >= 100:
        options.update(lossless=True, exact=True)  # 100 % means every pixel kept
    if key == "JPEG":
        options["subsampling"] = 0 if quality >= 90 else 2  # 4:4:4 keeps edits crisp
    if exif and key in ("JPEG", "PNG", "WEBP", "TIFF", "AVIF", "HEIF"):
        options["exif"] = exif
    if icc_profile and key != "BMP":
        options["icc_profile"] = icc_profile
    if dpi and key in ("JPEG", "PNG", "TIFF", "BMP"):
        options["dpi"] = (round(dpi[0]), round(dpi[1])) if key == "JPEG" else dpi
    if key == "TIFF":
        options["compression"] = "tiff_lzw"
    return options


def _save_error_message(exc: Exception, path: Path) -> str:
    untouched = " Any existing file there was not changed."
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return f"There is not enough free disk space to save '{path.name}'.{untouched}"
    if isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"SD Studio is not allowed to write to '{path.parent}'. "
            f"Choose another folder.{untouched}"
        )
    if code == errno.ENOENT:
        return f"The folder '{path.parent}' does not exist, so '{path.name}' was not saved."
    detail = getattr(exc, "strerror", None) or str(exc)
    return f"Could not save '{path.name}': {detail}.{untouched}"


# A temporary file this old was left by a save that was killed (a live save takes seconds).
STALE_TEMPORARY_SECONDS = 600


def remove_stale_temporaries(path: Path) -> None:
    """Delete the ``.part`` files that killed saves of ``path`` left beside it."""
    remove_stale_files(path.parent, f".{glob.escape(path.name)}.*.part")


def remove_stale_files(folder: Path, pattern: str) -> None:
    """Delete the files in ``folder`` matching ``pattern`` that nothing wrote to for
    ``STALE_TEMPORARY_SECONDS``: a write still running (here or in another process)
    keeps touching its file, so only what a killed one left goes."""
    cutoff = time.time() - STALE_TEMPORARY_SECONDS
    for leftover in folder.glob(pattern):
        try:
            if leftover.lstat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            pass  # gone already, or not ours to delete: it costs nothing to leave it


def sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible (or needed) everywhere."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
