"""Renders the main window with the example photo and a painted mask to a PNG.

Usage: python scripts/screenshot.py [output.png]   (default docs/screenshots/main-window.png)

Runs offscreen (no display needed): the mask is painted with real mouse events on the
canvas, the way a person paints it, and the window is captured with QWidget.grab().
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from sdstudio.app.main import create_application  # noqa: E402
from sdstudio.paths import example_photo_path  # noqa: E402

# The spoon, in example-photo pixels: the kind of object a person asks Repair to remove.
SPOON_STROKES = [
    [(414, 76), (409, 120), (401, 170), (392, 215), (384, 245)],
    [(345, 262), (380, 262), (392, 290), (372, 318), (342, 315), (336, 285), (362, 284)],
]
SIZE = (1280, 820)


def render(output: Path) -> Path:
    os.environ.setdefault("SDSTUDIO_SETTINGS_DIR", str(ROOT / ".scratch" / "screenshot-settings"))
    app = create_application()
    from sdstudio.app.main import create_main_window

    window = create_main_window()
    window.resize(*SIZE)
    window.show()
    if not window.open_path(example_photo_path()):
        raise SystemExit("the example photo did not open")
    app.processEvents()
    canvas = window.canvas
    canvas.fit_to_window()
    canvas.set_brush(size=34, hardness=0.8)
    viewport = canvas.viewport()
    for stroke in SPOON_STROKES:
        points = [canvas.map_from_image(QPointF(x, y)).toPoint() for x, y in stroke]
        QTest.mousePress(
            viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0]
        )
        for point in points[1:]:
            QTest.mouseMove(viewport, point)
        QTest.mouseRelease(
            viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1]
        )
    QTest.mouseMove(viewport, canvas.map_from_image(QPointF(470, 150)).toPoint() + QPoint(0, 1))
    QTest.qWait(400)  # panels refresh their buttons on a short timer after mask edits
    output.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(output)):
        raise SystemExit(f"could not write {output}")
    window.document.undo_stack.setClean()  # nothing to save: close without asking
    window.close()
    QApplication.processEvents()
    return output


if __name__ == "__main__":
    target = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else ROOT / "docs" / "screenshots" / "main-window.png"
    )
    print(render(target))
