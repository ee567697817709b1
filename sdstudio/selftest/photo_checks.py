"""Self-test steps a person would do: open the example photo, see it, repair, style, enhance."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from sdstudio import paths
from sdstudio.imaging.image_io import LoadedImage, load_image
from sdstudio.jobs import EnhanceJob, RepairJob, StyleJob
from sdstudio.selftest.common import SelfTestFailure, psnr, run_to_result

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


def open_example_photo(state: dict[str, object]) -> str:
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


def check_main_window(state: dict[str, object]) -> str:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from sdstudio.app.main import create_application, create_main_window
    from sdstudio.app.qt_bindings import binding_problem

    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    # The same application set-up (names, theme, icon) as a normal start.
    state["qt_app"] = create_application()
    problem = binding_problem()  # a build made with leaking bindings must not ship
    if problem:
        raise SelfTestFailure(problem)
    window = create_main_window()
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


def check_repair(state: dict[str, object]) -> str:
    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    photo = loaded.pixels
    mask = repair_mask(*photo.shape[:2])
    damaged = photo.copy()
    damaged[mask > 0, :3] = DAMAGE_COLOUR
    result = run_to_result(RepairJob(image=damaged, mask=mask.copy(), device="cpu"))
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


def check_style(state: dict[str, object]) -> str:
    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    photo = loaded.pixels
    job = StyleJob(image=photo.copy(), preset=STYLE_PRESET, strength=1.0, device="cpu")
    result = run_to_result(job)
    if result.image.shape != photo.shape:
        raise SelfTestFailure(f"result is {result.image.shape}, the photo {photo.shape}")
    change = float(np.abs(result.image.astype(np.int16) - photo).mean())
    if change < MIN_STYLE_CHANGE:
        raise SelfTestFailure(f"the photo barely changed (mean {change:.1f} levels)")
    if photo.shape[2] == 4 and not np.array_equal(result.image[..., 3], photo[..., 3]):
        raise SelfTestFailure("the style changed the alpha channel")
    method = result.params.get("method", result.params.get("preset", STYLE_PRESET))
    return f"preset {STYLE_PRESET} ({method}), mean change {change:.1f} levels"


def check_enhance(state: dict[str, object]) -> str:
    loaded = state["loaded"]
    assert isinstance(loaded, LoadedImage)
    photo = loaded.pixels
    result = run_to_result(EnhanceJob(image=photo.copy(), scale=ENHANCE_SCALE, device="cpu"))
    height, width, channels = photo.shape
    expected = (height * ENHANCE_SCALE, width * ENHANCE_SCALE, channels)
    if result.image.shape != expected:
        raise SelfTestFailure(f"result is {result.image.shape}, expected {expected}")
    shrunk = (
        result.image.reshape(height, ENHANCE_SCALE, width, ENHANCE_SCALE, channels)
        .astype(np.float64)
        .mean(axis=(1, 3))
    )
    match_db = psnr(shrunk[..., :3], photo[..., :3].astype(np.float64))
    if match_db < MIN_ENHANCE_PSNR:
        raise SelfTestFailure(f"the upscaled photo does not match the original ({match_db:.1f} dB)")
    model = result.params.get("upscaler") or result.params.get("model", "?")
    return (
        f"x{ENHANCE_SCALE} with {model}: {width}x{height} -> {expected[1]}x{expected[0]}, "
        f"{match_db:.1f} dB against the original when shrunk back"
    )
