"""The quality a JPEG was saved at, read from its quantisation tables (no pixels decoded).

Saving an edit of a quality-75 camera JPEG at 92 makes a file much larger than the
original for no visible gain, so Save As and Ctrl+S start from the original's quality.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

JPEG_FORMATS = ("JPEG", "MPO")  # Pillow calls a camera's multi-picture JPEG "MPO"

# The JPEG standard's luminance table (Annex K), which libjpeg scales by the quality.
_STANDARD_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip


def _table_sum_at(quality: int) -> int:
    """libjpeg's ``jpeg_set_quality`` scaling, summed (the sum ignores the table order)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return sum(min(max((value * scale + 50) // 100, 1), 255) for value in _STANDARD_LUMINANCE)


_SUMS = {quality: _table_sum_at(quality) for quality in range(1, 101)}


def estimate_jpeg_quality(path: Path | str) -> int | None:
    """The libjpeg quality (1..100) whose luminance table is nearest the file's; exact for
    files written by libjpeg (Pillow, most software), close for cameras. None when the
    file is not a readable JPEG."""
    try:
        with Image.open(path) as image:
            if image.format not in JPEG_FORMATS:
                return None
            tables = getattr(image, "quantization", None) or {}
            luminance = tables.get(0)
    except Exception:  # a damaged header can raise almost anything inside Pillow
        return None
    if not luminance or len(luminance) != 64:
        return None
    total = sum(int(value) for value in luminance)
    return min(_SUMS, key=lambda quality: (abs(_SUMS[quality] - total), -quality))
