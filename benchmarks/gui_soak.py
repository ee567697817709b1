"""GUI soak: the real window used for a long session, as a person would use it.

Usage: python benchmarks/gui_soak.py [--minutes 15] [--job-every 60] [--tiny-training]

For ``--minutes`` the real main window (offscreen) gets synthetic brush and eraser
strokes (real mouse events on the canvas), wheel zoom, middle-button panning, split
compare, one Repair / Style / Enhance job every ``--job-every`` seconds on the real
engine (each kind of job and every style preset runs once on the worker first, so
first-time model loads are not counted as growth), and the training wizard's live page,
which trains an enhance model in its own
process all along (the quick preset; ``--tiny-training`` for a tiny network). The soak
runs in a child process so that an abort (``Fatal Python error: none_dealloc``) is
reported instead of ending the benchmark. Prints one table: survival, strokes and jobs
done, RSS after the warm-up (the baseline, measured in the same run) and at the end, and
the drift of ``sys.getrefcount(None)`` from the baseline (its lowest value too). Exits
1 when the session died, ``None``'s count fell by more than bookkeeping noise
(``NONE_DROP_ALLOWED``), or RSS grew by more than 10 %.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # soak.rss_bytes, soak.soak_photo
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

GROWTH_GOAL_PERCENT = 10.0
# Ordinary bookkeeping moves None's count by hundreds (clearing the undo history frees
# objects that held None); leaking bindings lose about 200 a stroke and abort within
# a minute, so a fall of more than this is the bug, not noise.
NONE_DROP_ALLOWED = 2000
TICK_MS = 40  # one burst of input per tick: ~25 input bursts a second
WARM_UP_SHARE = 0.2  # of the run, before the baseline is taken (3 min of 15)
SAMPLE_EVERY_S = 60.0  # RSS samples after the baseline, for the table's trend


class GuiSoak:
    """Drives one main window; ``run`` returns the report as a plain dict."""

    def __init__(self, minutes: float, job_every_s: float, tiny_training: bool) -> None:
        self.seconds = minutes * 60.0
        self.job_every_s = job_every_s
        self.tiny_training = tiny_training
        self.report: dict[str, object] = {"strokes": 0, "zooms": 0, "pans": 0, "jobs": 0}
        self.failures: list[str] = []
        self.none_min = sys.maxsize
        self.ticks = 0

    # -- set-up -----------------------------------------------------------------------
    def _open_window(self, data_dir: Path):
        from soak import soak_photo

        from sdstudio.app.main import create_application, create_main_window
        from sdstudio.imaging.image_io import LoadedImage

        self.app = create_application()
        window = create_main_window()
        window.show_error = lambda title, message: self.failures.append(f"{title}: {message}")
        window.job_controller._show_error_dialog = lambda title, message: self.failures.append(
            f"{title}: {message}"
        )
        window.resize(1200, 800)
        window.show()
        photo = soak_photo(640, 480)
        window.document.open_loaded(LoadedImage(pixels=photo, path=data_dir / "soak.png"))
        window.canvas.fit_to_window()
        self.window = window

    def _start_training(self, data_dir: Path) -> None:
        import cv2
        import numpy as np
        from PySide6.QtCore import QCoreApplication

        photos = data_dir / "training-photos"
        photos.mkdir()
        rng = np.random.default_rng(0)
        for index in range(8):
            ys, xs = np.mgrid[0:160, 0:200].astype(np.float32)
            image = np.stack(
                [120 + 60 * np.sin(xs / rng.uniform(5, 20) + c) for c in range(3)], axis=2
            ) + rng.normal(0, 8, (160, 200, 3))
            cv2.imwrite(str(photos / f"p{index}.png"), np.clip(image, 0, 255).astype(np.uint8))
        menu = self.window.services.training
        wizard = menu.open_wizard()
        overrides: dict[str, object] = {"steps": 1_000_000}  # trains for the whole soak
        if self.tiny_training:
            overrides.update(
                hyperparameters={"features": 8, "convs": 2, "scale": 2},
                discriminator_hyperparameters={"channels": 8, "layers": 2},
                batch_size=2, crop=32, val_count=1, val_size=32, max_side=96,
                checkpoint_every=20, validate_every=10,
            )  # fmt: skip
        wizard.config_overrides = overrides
        wizard.process_threads = 1
        wizard.task_page.buttons["enhance"].setChecked(True)
        wizard.next()
        wizard.data_page.photos.path_edit.setText(str(photos))
        deadline = time.monotonic() + 30
        while not wizard.data_page.isComplete() and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.02)
        wizard.next()
        settings = wizard.settings_page
        settings.device_combo.setCurrentIndex(settings.device_combo.findData("cpu"))
        wizard.next()  # the commit button: training starts, the live page shows
        self.wizard = wizard

    # -- one tick of input --------------------------------------------------------------
    def _tick(self) -> None:
        from PySide6.QtCore import QPoint, QPointF, Qt
        from PySide6.QtGui import QWheelEvent
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        canvas = self.window.canvas
        viewport = canvas.viewport()
        n = self.ticks = self.ticks + 1
        size = viewport.size()
        x0, y0 = (
            40 + (n * 37) % max(size.width() - 120, 1),
            40 + (n * 23) % max(size.height() - 120, 1),
        )
        if n % 50 == 0:
            delta = 120 if (n // 50) % 2 else -120
            centre = QPointF(size.width() / 2, size.height() / 2)
            wheel = QWheelEvent(
                centre, canvas.mapToGlobal(centre.toPoint()).toPointF(), QPoint(0, 0),
                QPoint(0, delta), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase, False,
            )  # fmt: skip
            QApplication.sendEvent(viewport, wheel)
            self.report["zooms"] = int(self.report["zooms"]) + 1
        elif n % 37 == 0:
            self._drag(Qt.MouseButton.MiddleButton, QPoint(x0, y0), QPoint(x0 + 30, y0 + 20))
            self.report["pans"] = int(self.report["pans"]) + 1
        elif n % 29 == 0:
            canvas.split.set_enabled(not canvas.split.enabled)
        else:
            canvas.set_tool("eraser" if n % 7 == 0 else "brush")
            self._drag(Qt.MouseButton.LeftButton, QPoint(x0, y0), QPoint(x0 + 60, y0 + 25))
            self.report["strokes"] = int(self.report["strokes"]) + 1
        QTest.mouseMove(viewport, QPoint(x0 + 10, y0 + 10))  # the brush outline follows
        if n % 250 == 0:
            self.window.document.undo_stack.clear()  # a person saves now and then
        self.none_min = min(self.none_min, sys.getrefcount(None))

    def _drag(self, button, start, end) -> None:
        from PySide6.QtCore import QPoint, Qt
        from PySide6.QtTest import QTest

        viewport = self.window.canvas.viewport()
        no_modifier = Qt.KeyboardModifier.NoModifier
        QTest.mousePress(viewport, button, no_modifier, start)
        for step in range(1, 9):
            point = QPoint(
                start.x() + (end.x() - start.x()) * step // 8,
                start.y() + (end.y() - start.y()) * step // 8,
            )
            QTest.mouseMove(viewport, point)
        QTest.mouseRelease(viewport, button, no_modifier, end)

    # -- jobs ---------------------------------------------------------------------------
    def _run_job(self) -> None:
        from sdstudio.engine.style.presets_info import style_names_and_descriptions
        from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob

        controller = self.window.job_controller
        if controller.is_busy():
            return  # the last one is still running: a person would wait too
        document = self.window.document
        number = int(self.report["jobs"])
        kind = number % 3
        if kind == 1:
            # The repair before this one is done: a person clears its mask (Ctrl+D) and
            # paints the next damage, so each repair fills about three minutes of strokes
            # (a mask that only grew would make every repair larger than the last).
            document.clear_mask()
        if kind == 0 and document.mask_is_empty():
            kind = 1
        presets = [preset.id for preset in style_names_and_descriptions()]

        def make_job():
            image = document.image.copy()
            if kind == 0:
                return RepairJob(image=image, mask=document.mask.copy(), seed=number)
            if kind == 1:
                return StyleJob(image, presets[number % len(presets)], strength=0.6, seed=number)
            return EnhanceJob(image, scale=1, sharpen=0.3, denoise=0.2)

        controller.run("soak", make_job)
        self.report["jobs"] = number + 1

    def _warm_up_engine(self) -> None:
        """Every kind of job once, at the soak's photo size, through the job worker, before
        the baseline: the worker thread's first model loads, caches and allocator arenas
        are not growth; building them again would be."""
        import numpy as np
        from PySide6.QtCore import QEventLoop, QTimer

        from sdstudio.engine.style.presets_info import style_names_and_descriptions
        from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob

        document = self.window.document
        controller = self.window.job_controller
        image = document.image.copy()
        mask = np.zeros(image.shape[:2], np.uint8)
        mask[100:160, 200:300] = 255
        jobs = [RepairJob(image=image, mask=mask), EnhanceJob(image, sharpen=0.3, denoise=0.2)]
        jobs += [StyleJob(image, p.id, strength=0.6) for p in style_names_and_descriptions()]
        loop = QEventLoop()
        controller.result_applied.connect(loop.quit)
        controller.job_failed.connect(loop.quit)
        for job in jobs:
            controller.run("soak", lambda job=job: job)
            QTimer.singleShot(300_000, loop.quit)  # a stuck job ends the wait
            loop.exec()
        controller.result_applied.disconnect(loop.quit)
        controller.job_failed.disconnect(loop.quit)
        document.undo_stack.setClean()

    # -- the session ----------------------------------------------------------------------
    def run(self) -> dict[str, object]:
        from PySide6.QtCore import QEventLoop, QTimer
        from soak import rss_bytes

        data_dir = Path(tempfile.mkdtemp(prefix="sdstudio-gui-soak-"))
        os.environ["SDSTUDIO_DATA_DIR"] = str(data_dir)
        os.environ["SDSTUDIO_SETTINGS_DIR"] = str(data_dir / "settings")
        self._open_window(data_dir)
        self._warm_up_engine()
        self._start_training(data_dir)
        loop = QEventLoop()
        started = time.monotonic()
        baseline: dict[str, int] = {}
        next_job_at = [started + min(5.0, self.job_every_s)]
        next_sample_at = [float("inf")]
        samples: list[list[int]] = []

        def on_tick() -> None:
            now = time.monotonic()
            self._tick()
            if now >= next_job_at[0]:
                self._run_job()
                next_job_at[0] = now + self.job_every_s
            if not baseline and now - started >= WARM_UP_SHARE * self.seconds:
                gc.collect()
                baseline.update(rss=rss_bytes(), none=sys.getrefcount(None))
                self.none_min = baseline["none"]
                next_sample_at[0] = now
            if baseline and now >= next_sample_at[0]:
                # RSS over time tells a leak (a steady climb) from the high-water mark of
                # the largest job so far (steps that level off).
                samples.append([round(now - started), rss_bytes()])
                next_sample_at[0] = now + SAMPLE_EVERY_S
            if now - started >= self.seconds:
                loop.quit()

        timer = QTimer()
        timer.setInterval(TICK_MS)
        timer.timeout.connect(on_tick)
        timer.start()
        loop.exec()
        timer.stop()
        live = self.wizard.live_page
        trained_steps = live.progress.value()
        training_running = live.running()
        self.window.job_controller.shutdown()
        gc.collect()
        rss_end, none_end = rss_bytes(), sys.getrefcount(None)
        if live.running():
            live.stop_and_wait()
        self.report.update(
            seconds=round(time.monotonic() - started, 1),
            rss_baseline=baseline.get("rss", 0),
            rss_end=rss_end,
            rss_samples=samples,
            none_baseline=baseline.get("none", 0),
            none_end=none_end,
            none_min=self.none_min,
            training_steps=trained_steps,
            training_ran_throughout=training_running,
            failures=self.failures[:5],
        )
        self.window.document.undo_stack.setClean()
        self.window.close()
        return self.report


def run_in_child(minutes: float, job_every_s: float, tiny_training: bool) -> dict[str, object]:
    """Runs the soak in a fresh process; the report says whether that process survived."""
    report_file = Path(tempfile.mkstemp(prefix="sdstudio-gui-soak-", suffix=".json")[1])
    command = [
        sys.executable, __file__, "--child", str(report_file), "--minutes", str(minutes),
        "--job-every", str(job_every_s),
    ] + (["--tiny-training"] if tiny_training else [])  # fmt: skip
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=minutes * 60 + 600
    )
    text = report_file.read_text(encoding="utf-8") if report_file.stat().st_size else ""
    report_file.unlink(missing_ok=True)
    report: dict[str, object] = json.loads(text) if text else {}
    report["exit_code"] = done.returncode
    report["survived"] = done.returncode == 0 and bool(text)
    report["stderr_tail"] = done.stderr[-1500:]
    return report


def verdict(report: dict[str, object]) -> list[str]:
    """What missed its goal (empty when the soak passed)."""
    missed = []
    if not report.get("survived"):
        missed.append(f"the session died (exit code {report.get('exit_code')})")
        return missed
    lowest = min(int(report["none_min"]), int(report["none_end"]))
    drop = int(report["none_baseline"]) - lowest
    if drop > NONE_DROP_ALLOWED:
        missed.append(f"sys.getrefcount(None) fell by {drop}")
    if report["failures"]:
        missed.append(f"jobs or dialogs failed: {report['failures'][0]}")
    return missed


def rss_growth_percent(report: dict[str, object]) -> float:
    baseline = max(int(report.get("rss_baseline", 0)), 1)
    return 100.0 * (int(report.get("rss_end", 0)) - baseline) / baseline


def rss_trend_mb_per_minute(report: dict[str, object]) -> float:
    """Least-squares slope of the RSS samples after the baseline (0 with under 3)."""
    samples = report.get("rss_samples") or []
    if len(samples) < 3:
        return 0.0
    times = [t / 60.0 for t, _ in samples]
    sizes = [rss / (1024 * 1024) for _, rss in samples]
    mean_t, mean_s = sum(times) / len(times), sum(sizes) / len(sizes)
    spread = sum((t - mean_t) ** 2 for t in times) or 1.0
    return sum((t - mean_t) * (s - mean_s) for t, s in zip(times, sizes, strict=True)) / spread


def print_table(report: dict[str, object]) -> None:
    mb = 1024 * 1024
    rows = [("survived", f"{report.get('survived')} (exit code {report.get('exit_code')})")]
    if report.get("survived"):
        rows += [
            ("seconds", str(report["seconds"])),
            ("strokes / zooms / pans",
             f"{report['strokes']} / {report['zooms']} / {report['pans']}"),
            ("jobs started", str(report["jobs"])),
            ("training steps (still running at the end)",
             f"{report['training_steps']} ({report['training_ran_throughout']})"),
            ("RSS after warm-up (baseline)", f"{int(report['rss_baseline']) / mb:.1f} MB"),
            ("RSS at the end", f"{int(report['rss_end']) / mb:.1f} MB"),
            ("RSS growth vs baseline",
             f"{rss_growth_percent(report):+.1f} % (goal < {GROWTH_GOAL_PERCENT:.0f} %)"),
            ("RSS each minute after the baseline (MB)",
             " ".join(f"{rss / mb:.0f}" for _, rss in report.get("rss_samples") or [])),
            ("RSS trend after the baseline", f"{rss_trend_mb_per_minute(report):+.2f} MB/min"),
            ("None refcount: baseline / lowest / end",
             f"{report['none_baseline']} / {report['none_min']} / {report['none_end']}"),
            ("None refcount drift (end - baseline)",
             f"{int(report['none_end']) - int(report['none_baseline']):+d} "
             f"(goal: never {NONE_DROP_ALLOWED} below the baseline)"),
        ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    if not report.get("survived"):
        print(report.get("stderr_tail", ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--job-every", type=float, default=60.0, help="seconds between jobs")
    parser.add_argument("--tiny-training", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # the report file, in the child
    args = parser.parse_args()
    if args.child:
        report = GuiSoak(args.minutes, args.job_every, args.tiny_training).run()
        Path(args.child).write_text(json.dumps(report), encoding="utf-8")
        return 0
    report = run_in_child(args.minutes, args.job_every, args.tiny_training)
    print_table(report)
    missed = verdict(report)
    if report.get("survived") and rss_growth_percent(report) >= GROWTH_GOAL_PERCENT:
        missed.append("RSS grew past the goal")
    for line in missed:
        print("missed:", line)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
