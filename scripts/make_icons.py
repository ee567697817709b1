"""Render resources/icons/sdstudio.svg to the PNG sizes and the .ico the app ships.

Run after editing the SVG: ``.venv/bin/python scripts/make_icons.py``. Uses Qt's SVG
renderer offscreen (no display needed) and Pillow to pack the Windows .ico.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(renderer: QSvgRenderer, size: int, target: Path) -> None:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target)):
        raise OSError(f"could not write {target}")


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICON_DIR / "sdstudio.svg"))
    if not renderer.isValid():
        print("sdstudio.svg is not a valid SVG", file=sys.stderr)
        return 1
    for size in PNG_SIZES:
        render_png(renderer, size, ICON_DIR / f"sdstudio-{size}.png")
    largest = Image.open(ICON_DIR / "sdstudio-256.png")
    largest.save(ICON_DIR / "sdstudio.ico", sizes=[(s, s) for s in ICO_SIZES])
    # The plain name is what the window and the Linux launcher use.
    largest.save(ICON_DIR / "sdstudio.png")
    print(f"wrote {len(PNG_SIZES)} PNG sizes, sdstudio.png and sdstudio.ico to {ICON_DIR}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
