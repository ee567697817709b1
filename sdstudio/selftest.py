"""A self-test of an installed or frozen SD Studio: ``sdstudio --self-test``.

It does what a person would do first, without a display: opens the bundled example
photo with the app's own loader, opens the main window offscreen and checks it shows the
photo, then runs a repair (on a generated mask), a style preset and a 2x enhance through
the real engine on the CPU, checking each result, and runs a small network saved as a
user model file (so torch and safetensors are exercised even when every default method
is classical). It prints one line per step and returns 0, or prints the reason and
returns 1. Release builds run it on the frozen app (scripts/build_app.sh), so a missing
bundled file, a module PyInstaller did not collect or a broken torch shows up before
users see it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sdstudio import APP_NAME, __version__, paths
from sdstudio.imaging.image_io import LoadedImage, load_image
from sdstudio.jobs import EnhanceJob, Job, JobResult, RepairJob, StyleJob

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

STYLE_PRESET = "oil_painting"
ENHANCE_SCALE = 2
# A saturated colour no photo area keeps after a plausible fill: the repair input has it
# painted into the masked area, so any of it left behind means the fill did not happen.
DAMAGE_COLOUR = (255, 0, 255)
MAX_DAMAGE_LEFT = 0.02  # fraction of masked pixels still near DAMAGE_COLOUR
MIN_STYLE_CHANGE = 4.0  # mean absolute change in 8-bit levels at full strength
MIN_ENHANCE_PSNR = 22.0  # dB, the upscaled photo shrunk back against the original
MIN_WINDOW_PHOTO_SHARE = 0.2  # of the canvas that must show photo, not background
WINDOW_TIMEOUT_S = 10.0
NETWORK_CROP = 96  # px: enough for the network's padding, quick on any CPU


class SelfTestFailure(Exception):
    """A check that did not hold; the message says which and by how much."""


SELF_TEST_LOG = "self-test.log"


def main(argv: list[str] | None = None) -> int:
    """Run every step; 0 when all pass. The report also goes to the user's log folder,
    because a windowed Windows/macOS build has no console to print to."""
    # The self-test must run on machines without a display (build servers, CI).
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.perf_counter()
    frozen = bool(getattr(sys, "frozen", False))
    report: list[str] = []

    def say(line: str) -> None:
        report.append(line)
        print(line, flush=True)

    say(f"{APP_NAME} {__version__} self-test (frozen: {frozen}, bundle: {paths.bundle_root()})")
    state: dict[str, object] = {}
    passed = True
    for name, step in STEPS:
        step_started = time.perf_counter()
        try:
            summary = step(state)
        except SelfTestFailure as failure:
            say(f"[FAIL] {name}: {failure}")
            passed = False
            break
        except Exception as error:  # noqa: BLE001 - any crash is a failed self-test
            say(f"[FAIL] {name}: {type(error).__name__}: {error}")
            details = traceback.format_exc()
            report.append(details)
            print(details, file=sys.stderr, flush=True)
            passed = False
            break
        say(f"[ok] {name}: {summary} ({time.perf_counter() - step_started:.1f} s)")
    if passed:
        say(f"Self-test passed in {time.perf_counter() - started:.1f} s")
    else:
        say("Self-test FAILED")
    log_path = paths.logs_dir() / SELF_TEST_LOG
    try:
        log_path.write_text("\n".join(report) + "\n", encoding="utf-8")
        print(f"Report written to {log_path}", flush=True)
    except OSError as error:
        print(f"Could not write {log_path}: {error}", file=sys.stderr, flush=True)
    return 0 if passed else 1


def _open_example_photo(state: dict[str, object]) -> str:
    path = paths.example_photo_path()
    if not path.is_file():
        raise SelfTestFailure(f"the bundled example photo is missing: {path}")
    loaded = load_image(path)
    pixels = loaded.pixels
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise SelfTestFailure(f"the loader returned {pixels.dtype} {pixels.shape}")
    if pixels.std() < 5:
        raise SelfTestFailure("the example photo decoded to a flat image")
    state["loaded"] = loaded
    height, width = pixels.shape[:2]
    return f"{path} ({width}x{height}, {pixels.shape[2]} channels)"


def _check_main_window(state: dict[str, object]) -> str:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from sdstudio.app.main import create_application
    from sdstudio.app.window import MainWindow

    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    # The same application set-up (names, theme, icon) as a normal start.
    state["qt_app"] = create_application()
    window = MainWindow()
    # A modal error box would wait forever for a click that never comes offscreen.
    errors: list[str] = []
    window.show_error = lambda title, message: errors.append(f"{title}: {message}")
    try:
        window.resize(1200, 800)
        window.show()
        window.open_path(loaded.path)
        deadline = time.monotonic() + WINDOW_TIMEOUT_S
        while not window.document.has_image() and time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        if not window.document.has_image():
            reason = "; ".join(errors) or f"nothing after {WINDOW_TIMEOUT_S:.0f} s"
            raise SelfTestFailure(f"the window did not open the example photo ({reason})")
        if not np.array_equal(window.document.image, loaded.pixels):
            raise SelfTestFailure("the window's document differs from the loaded photo")
        for _ in range(5):  # let the canvas fit the photo to the window and paint
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        shot = _qimage_rgb(window.canvas.viewport().grab().toImage())
        photo_share = _photo_share(shot)
        if photo_share < MIN_WINDOW_PHOTO_SHARE:
            raise SelfTestFailure(
                f"the canvas shows the photo on only {photo_share:.0%} of its area"
            )
        title = window.windowTitle()
    finally:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        QCoreApplication.processEvents()
    return f"'{title}' shows the photo on {photo_share:.0%} of the canvas"


def _qimage_rgb(image: QImage) -> np.ndarray:
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def _photo_share(shot: np.ndarray) -> float:
    """Fraction of a canvas screenshot that differs from its (corner) background colour."""
    rgb = shot[..., :3].astype(np.int16)
    background = rgb[0, 0]
    differs = np.abs(rgb - background).max(axis=2) > 12
    return float(differs.mean())


def _run(job: Job) -> JobResult:
    from sdstudio.engine.runner import run_job

    generator = run_job(job)
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            result = stop.value
            break
    if not isinstance(result, JobResult):
        raise SelfTestFailure(f"{job.title} returned {type(result).__name__}, not a JobResult")
    if result.image.dtype != np.uint8:
        raise SelfTestFailure(f"{job.title} returned {result.image.dtype} pixels")
    return result


def repair_mask(height: int, width: int) -> np.ndarray:
    """A blob and a brush stroke, like a person marking a stain and a scratch."""
    rows, cols = np.mgrid[0:height, 0:width]
    mask = np.zeros((height, width), np.uint8)
    cy, cx = height * 0.45, width * 0.4
    ry, rx = max(height * 0.06, 4), max(width * 0.05, 4)
    mask[((rows - cy) / ry) ** 2 + ((cols - cx) / rx) ** 2 <= 1] = 255
    # A diagonal scratch about 1.2 % of the short side wide across the right half.
    thickness = max(min(height, width) * 0.012, 2)
    x0, y0, x1, y1 = width * 0.55, height * 0.2, width * 0.9, height * 0.75
    along = ((cols - x0) * (x1 - x0) + (rows - y0) * (y1 - y0)) / ((x1 - x0) ** 2 + (y1 - y0) ** 2)
    distance = np.abs((cols - x0) * (y1 - y0) - (rows - y0) * (x1 - x0)) / np.hypot(
        x1 - x0, y1 - y0
    )
    mask[(along >= 0) & (along <= 1) & (distance <= thickness / 2)] = 255
    return mask


def _check_repair(state: dict[str, object]) -> str:
    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    photo = loaded.pixels
    mask = repair_mask(*photo.shape[:2])
    damaged = photo.copy()
    damaged[mask > 0, :3] = DAMAGE_COLOUR
    result = _run(RepairJob(image=damaged, mask=mask.copy(), device="cpu"))
    image = result.image
    if image.shape != photo.shape:
        raise SelfTestFailure(f"result is {image.shape}, the photo {photo.shape}")
    outside = mask == 0
    changed_outside = int(np.any(image[outside] != damaged[outside], axis=-1).sum())
    if changed_outside:
        raise SelfTestFailure(f"{changed_outside} pixels outside the mask changed")
    inside = image[mask > 0, :3].astype(np.int16)
    left = np.abs(inside - np.array(DAMAGE_COLOUR)).max(axis=1) < 40
    if left.mean() > MAX_DAMAGE_LEFT:
        raise SelfTestFailure(f"{left.mean():.0%} of the masked area was not filled")
    error = np.abs(inside - photo[mask > 0, :3].astype(np.int16)).mean()
    method = result.params.get("method", "?")
    kind = result.params.get("method_kind")
    if kind:
        method = f"{method} ({kind})"
    return (
        f"method {method}, filled {int((mask > 0).sum())} px "
        f"({(mask > 0).mean():.1%}), mean error vs the original {error:.1f} levels, "
        "outside the mask unchanged"
    )


def _check_style(state: dict[str, object]) -> str:
    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    photo = loaded.pixels
    result = _run(StyleJob(image=photo.copy(), preset=STYLE_PRESET, strength=1.0, device="cpu"))
    if result.image.shape != photo.shape:
        raise SelfTestFailure(f"result is {result.image.shape}, the photo {photo.shape}")
    change = float(np.abs(result.image.astype(np.int16) - photo).mean())
    if change < MIN_STYLE_CHANGE:
        raise SelfTestFailure(f"the photo barely changed (mean {change:.1f} levels)")
    if photo.shape[2] == 4 and not np.array_equal(result.image[..., 3], photo[..., 3]):
        raise SelfTestFailure("the style changed the alpha channel")
    method = result.params.get("method", result.params.get("preset", STYLE_PRESET))
    return f"preset {STYLE_PRESET} ({method}), mean change {change:.1f} levels"


def _check_enhance(state: dict[str, object]) -> str:
    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    photo = loaded.pixels
    result = _run(EnhanceJob(image=photo.copy(), scale=ENHANCE_SCALE, device="cpu"))
    height, width, channels = photo.shape
    expected = (height * ENHANCE_SCALE, width * ENHANCE_SCALE, channels)
    if result.image.shape != expected:
        raise SelfTestFailure(f"result is {result.image.shape}, expected {expected}")
    shrunk = (
        result.image.reshape(height, ENHANCE_SCALE, width, ENHANCE_SCALE, channels)
        .astype(np.float64)
        .mean(axis=(1, 3))
    )
    psnr = _psnr(shrunk[..., :3], photo[..., :3].astype(np.float64))
    if psnr < MIN_ENHANCE_PSNR:
        raise SelfTestFailure(f"the upscaled photo does not match the original ({psnr:.1f} dB)")
    model = result.params.get("upscaler") or result.params.get("model", "?")
    return (
        f"x{ENHANCE_SCALE} with {model}: {width}x{height} -> {expected[1]}x{expected[0]}, "
        f"{psnr:.1f} dB against the original when shrunk back"
    )


@contextlib.contextmanager
def _temporary_user_data(folder: str) -> Iterator[None]:
    previous = os.environ.get("SDSTUDIO_DATA_DIR")
    os.environ["SDSTUDIO_DATA_DIR"] = folder
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SDSTUDIO_DATA_DIR", None)
        else:
            os.environ["SDSTUDIO_DATA_DIR"] = previous


def _check_network(state: dict[str, object]) -> str:
    """torch, safetensors, spandrel and user model files work, even with no trained default.

    Two small x2 networks are saved into a throwaway user folder (never the person's
    own): one as SD Studio's training saves its models, one as a community Compact
    (Real-ESRGAN) file that spandrel recognises. Each is found through the catalog and
    run by its id.
    """
    import torch

    from sdstudio.engine.catalog import model_problems

    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    crop = np.ascontiguousarray(loaded.pixels[:NETWORK_CROP, :NETWORK_CROP])
    with (
        tempfile.TemporaryDirectory(prefix="sdstudio-selftest-") as folder,
        _temporary_user_data(folder),
    ):
        torch.manual_seed(0)
        own_file = _save_own_model(paths.user_models_dir() / "selftest_x2.safetensors")
        community_file = _save_community_model(paths.user_models_dir() / "selftest-compact-x2.pth")
        # With only these two files in the user folder, any problem is the app's own
        # (a bundled model that does not load, a model backend missing from the build).
        problems = model_problems()
        if problems:
            listed = "; ".join(f"{p.path.name}: {p.message}" for p in problems)
            raise SelfTestFailure(f"model files could not be offered: {listed}")
        for model_file in (own_file, community_file):
            _run_saved_upscaler(model_file, crop)
    height, width = crop.shape[:2]
    return (
        f"torch {torch.__version__}: an SD Studio and a community (spandrel) x2 model "
        f"file were found in the catalog and ran on a {width}x{height} crop"
    )


def _save_own_model(path: Path) -> Path:
    from sdstudio.engine.model_file import build_network, save_model

    hyperparameters = {"scale": 2, "features": 8, "convs": 2}
    network = build_network("compact_sr", hyperparameters)
    save_model(
        path,
        network,
        task="enhance",
        architecture="compact_sr",
        hyperparameters=hyperparameters,
        name="Self-test x2",
        scale=2,
    )
    return path


def _save_community_model(path: Path) -> Path:
    """A pickle-free .pth state dict, as community Real-ESRGAN Compact files come."""
    import torch
    from spandrel.architectures.Compact.__arch.SRVGG import SRVGGNetCompact

    network = SRVGGNetCompact(num_in_ch=3, num_out_ch=3, num_feat=8, num_conv=2, upscale=2)
    torch.save({"params": network.state_dict()}, path)
    return path


def _run_saved_upscaler(model_file: Path, crop: np.ndarray) -> None:
    from sdstudio.engine.catalog import list_methods

    methods = [m for m in list_methods("enhance") if m.path == model_file]
    if not methods:
        raise SelfTestFailure(f"the catalog does not offer {model_file.name}")
    method_id = methods[0].id
    result = _run(EnhanceJob(image=crop, scale=2, model=method_id, device="cpu"))
    height, width, channels = crop.shape
    if result.image.shape != (height * 2, width * 2, channels):
        raise SelfTestFailure(f"{model_file.name} returned {result.image.shape} for {crop.shape}")
    used = result.params.get("upscaler") or result.params.get("model")
    if used != method_id:
        raise SelfTestFailure(f"the job ran {used!r}, not {method_id!r}")


# What main() runs, in order; each step returns a one-line summary or raises.
STEPS: list[tuple[str, Callable[[dict[str, object]], str]]] = [
    ("example photo", _open_example_photo),
    ("main window", _check_main_window),
    ("repair", _check_repair),
    ("style", _check_style),
    ("enhance", _check_enhance),
    ("network", _check_network),
]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


if __name__ == "__main__":
    sys.exit(main())
