"""Start-up and large-photo benchmark for the editor.

Usage: python benchmarks/startup.py [--runs N]

Prints a table:
- time from process start to the first painted main window, against a bare PySide6
  window measured the same way in the same run (the floor Qt itself sets), and whether
  torch was imported by then (it must not be);
- time to open a generated 24 MP JPEG in the editor (decode + document + canvas), against
  Pillow's decode alone, and the time of one pan step (scroll + repaint) on it, against
  a 60 fps frame;
- the cost of one mouse move of a mask stroke on the 24 MP photo, against one copy of the
  whole mask (what a naive undo snapshot per move would cost).
Runs offscreen; needs no display.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Both children print the wall-clock time of their first paint; the parent subtracts the
# time it launched them, so interpreter start-up and imports are included.
_FIRST_PAINT = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
{setup}
class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print(json.dumps({{"painted": time.time(), "torch": "torch" in sys.modules}}))
            sys.stdout.flush()
            QTimer.singleShot(0, app.quit)
            obj.removeEventFilter(self)
        return False
spy = FirstPaint()
window.installEventFilter(spy)
window.show()
app.exec()
"""

_BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 820)
"""

_EDITOR = """
import os
from sdstudio.app.main import create_application
app = create_application()
from sdstudio.app.main import create_main_window
window = create_main_window()
"""


def first_paint_seconds(setup: str, settings_dir: str) -> tuple[float, bool]:
    env = dict(os.environ, SDSTUDIO_SETTINGS_DIR=settings_dir, SDSTUDIO_DATA_DIR=settings_dir)
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_PAINT.format(setup=setup)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    return report["painted"] - started, report["torch"]


def make_24mp_jpeg(path: Path) -> None:
    import numpy as np
    from PIL import Image

    height, width = 4000, 6000
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack(
        [x / width * 255, y / height * 255, (np.sin(x / 37) * np.cos(y / 53) + 1) * 127], -1
    )
    Image.fromarray(rgb.astype(np.uint8)).save(path, quality=90)


def open_times(path: Path, runs: int) -> tuple[list[float], list[float]]:
    from PIL import Image

    from sdstudio.app.main import create_application

    app = create_application()
    from sdstudio.app.main import create_main_window

    window = create_main_window()
    window.resize(1280, 820)
    window.show()
    app.processEvents()
    editor, pillow = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with Image.open(path) as image:
            image.load()
        pillow.append(time.perf_counter() - started)
        window.document.undo_stack.setClean()
        started = time.perf_counter()
        assert window.open_path(path)
        window.canvas.viewport().repaint()  # include the first paint of the photo
        editor.append(time.perf_counter() - started)
    window.document.undo_stack.setClean()
    pans = {}
    for label, zoom in (("25 %", 0.25), ("100 %", 1.0)):
        window.canvas.set_zoom(zoom)
        app.processEvents()
        bar = window.canvas.horizontalScrollBar()
        times = []
        for step in range(20):
            started = time.perf_counter()
            bar.setValue(bar.value() + (8 if step % 2 else -8))
            app.processEvents()  # Qt blits the view and paints the newly exposed strip
            times.append(time.perf_counter() - started)
        pans[label] = statistics.median(times)
    window.close()
    return editor, pillow, pans


def stroke_move_times(runs: int) -> tuple[float, float]:
    import numpy as np

    from sdstudio.app.mask_tools import BrushSettings, MaskStroke

    mask = np.zeros((4000, 6000), np.uint8)
    moves, copies = [], []
    for _ in range(runs):
        stroke = MaskStroke(mask, BrushSettings(size=80, hardness=0.7))
        stroke.begin((1000.0, 1000.0))
        for step in range(1, 41):
            started = time.perf_counter()
            stroke.move_to((1000.0 + step * 25, 1000.0 + step * 10))
            moves.append(time.perf_counter() - started)
        stroke.finish()
        started = time.perf_counter()
        mask.copy()
        copies.append(time.perf_counter() - started)
    return statistics.median(moves), statistics.median(copies)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        bare = [first_paint_seconds(_BARE, scratch)[0] for _ in range(args.runs)]
        editor_runs = [first_paint_seconds(_EDITOR, scratch) for _ in range(args.runs)]
        editor = [seconds for seconds, _ in editor_runs]
        torch_loaded = any(loaded for _, loaded in editor_runs)
        rows.append(
            (
                "first painted window",
                _s(editor),
                f"bare Qt window {_s(bare)}",
                f"{statistics.median(editor) / statistics.median(bare):.1f}x",
            )
        )
        rows.append(
            ("torch imported at first paint", "yes" if torch_loaded else "no", "must be no", "")
        )
        photo = Path(scratch) / "24mp.jpg"
        make_24mp_jpeg(photo)
        opened, decoded, pans = open_times(photo, args.runs)
        rows.append(
            (
                "open 24 MP JPEG (6000x4000)",
                _s(opened),
                f"Pillow decode {_s(decoded)}",
                f"{statistics.median(opened) / statistics.median(decoded):.1f}x",
            )
        )
        for label, seconds in pans.items():
            rows.append(
                (
                    f"pan 8 px + paint, 24 MP at {label}",
                    f"{seconds * 1000:.1f} ms",
                    "60 fps frame 16.7 ms",
                    f"{seconds * 60:.2f}x",
                )
            )
    move, copy = stroke_move_times(args.runs)
    rows.append(
        (
            "mask stroke, one mouse move (24 MP)",
            f"{move * 1000:.2f} ms",
            f"full mask copy {copy * 1000:.2f} ms",
            f"{move / copy:.2f}x",
        )
    )
    _print_table(("measure", "SD Studio", "baseline (same run)", "ratio"), rows)
    print(f"\nmedian of {args.runs} runs; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    return 1 if torch_loaded else 0


def _s(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s"


def _print_table(header, rows) -> None:
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    line = " | ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


if __name__ == "__main__":
    sys.exit(main())
