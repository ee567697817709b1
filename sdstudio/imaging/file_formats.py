"""Which image files SD Studio opens and saves, file-dialog filters, and new file names.

Plain strings only (no Qt): the app passes them to its file dialogs.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import features

from sdstudio.errors import ImageSaveError

# HEIC needs the optional pillow-heif plugin; it is imported on first use, not here.
HEIF_AVAILABLE = importlib.util.find_spec("pillow_heif") is not None
_heif_registered = False


@dataclass(frozen=True)
class SaveFormat:
    display_name: str
    extensions: tuple[str, ...]
    supports_quality: bool
    supports_alpha: bool

    @property
    def dialog_filter(self) -> str:
        return f"{self.display_name} ({' '.join('*' + ext for ext in self.extensions)})"


# Keys are Pillow format names. BMP is written without alpha: most readers ignore it.
SAVE_FORMATS: dict[str, SaveFormat] = {
    "JPEG": SaveFormat("JPEG", (".jpg", ".jpeg", ".jpe", ".jfif"), True, False),
    "PNG": SaveFormat("PNG", (".png",), False, True),
    "WEBP": SaveFormat("WebP", (".webp",), True, True),
    "TIFF": SaveFormat("TIFF", (".tif", ".tiff"), False, True),
    "BMP": SaveFormat("BMP", (".bmp",), False, False),
}
if features.check("avif"):
    SAVE_FORMATS["AVIF"] = SaveFormat("AVIF", (".avif",), True, True)
if HEIF_AVAILABLE:
    SAVE_FORMATS["HEIF"] = SaveFormat("HEIC", (".heic", ".heif"), True, True)

OPEN_EXTENSIONS: tuple[str, ...] = tuple(
    ext for fmt in SAVE_FORMATS.values() for ext in fmt.extensions
) + (".dib", ".gif")

READABLE_FORMATS = (
    "JPEG, PNG, WebP, TIFF, BMP, GIF"
    + (", AVIF" if "AVIF" in SAVE_FORMATS else "")
    + (" and HEIC" if HEIF_AVAILABLE else "")
)


def ensure_heif_registered() -> None:
    """Teach Pillow to read and write HEIC, once, if the plugin is installed."""
    global _heif_registered
    if HEIF_AVAILABLE and not _heif_registered:
        from pillow_heif import register_heif_opener

        register_heif_opener()
        _heif_registered = True


def open_dialog_filter() -> str:
    """A Qt file-dialog filter: all supported images first, then every file."""
    patterns = " ".join("*" + ext for ext in OPEN_EXTENSIONS)
    return f"Images ({patterns});;All files (*)"


def save_dialog_filters() -> str:
    """Qt save-dialog filters, one per format, separated by ``;;``."""
    return ";;".join(fmt.dialog_filter for fmt in SAVE_FORMATS.values())


def format_for_dialog_filter(selected_filter: str) -> str | None:
    """The SAVE_FORMATS key whose filter the user picked in a save dialog."""
    for key, fmt in SAVE_FORMATS.items():
        if fmt.dialog_filter == selected_filter:
            return key
    return None


def format_for_path(path: Path | str) -> str:
    """The SAVE_FORMATS key for a file name's extension; ImageSaveError if none fits."""
    suffix = Path(path).suffix.lower()
    for key, fmt in SAVE_FORMATS.items():
        if suffix in fmt.extensions:
            return key
    names = ", ".join(ext for fmt in SAVE_FORMATS.values() for ext in fmt.extensions)
    raise ImageSaveError(
        f"SD Studio cannot save a '{suffix or 'no extension'}' file. "
        f"Use one of these extensions: {names}."
    )


def edited_path(original: Path | str) -> Path:
    """``photo.jpg`` -> ``photo_edited.jpg``, then ``photo_edited-2.jpg``...; never existing."""
    original = Path(original)
    stem = re.sub(r"_edited(-\d+)?$", "", original.stem)
    candidate = original.with_name(f"{stem}_edited{original.suffix}")
    number = 2
    while candidate.exists():
        candidate = original.with_name(f"{stem}_edited-{number}{original.suffix}")
        number += 1
    return candidate
