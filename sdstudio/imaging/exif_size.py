"""EXIF that describes the pixels being written, not the photo as the camera took it.

A crop, turn, resize or extended canvas changes the size, and our turns move the pixels
themselves; a file whose EXIF still gave the camera's size, or an orientation other than
"normal", would be shown turned twice or reported at the wrong size by other programs.
Everything else (camera, lens, date, GPS) is kept as it was.
"""

from __future__ import annotations

import logging

from PIL import Image

log = logging.getLogger(__name__)

ORIENTATION = 0x0112
EXIF_IFD = 0x8769
PIXEL_X_DIMENSION = 0xA002
PIXEL_Y_DIMENSION = 0xA003


def exif_for_size(exif: bytes | None, width: int, height: int) -> bytes | None:
    """``exif`` with orientation 1 and its pixel dimensions (where it has them) set to
    ``width`` x ``height``. Damaged EXIF is returned unchanged: saving must not fail on it."""
    if not exif:
        return exif
    try:
        tags = Image.Exif()
        tags.load(exif)
        sub = tags.get_ifd(EXIF_IFD)
        wanted = {PIXEL_X_DIMENSION: int(width), PIXEL_Y_DIMENSION: int(height)}
        stale_size = any(tag in sub and sub[tag] != value for tag, value in wanted.items())
        if tags.get(ORIENTATION, 1) == 1 and not stale_size:
            # Already right: the bytes go out as they came (re-serialised EXIF is refused
            # by some writers, libtiff's among them).
            return exif
        if ORIENTATION in tags:
            tags[ORIENTATION] = 1
        for tag, value in wanted.items():
            if tag in sub:
                sub[tag] = value
        return tags.tobytes()
    except Exception:  # Pillow raises many kinds of errors on broken EXIF
        log.warning("Could not update the EXIF size tags; the EXIF is written as it was")
        return exif
