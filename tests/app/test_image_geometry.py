"""Image menu turns, flips and resize on photo and mask; EXIF after saving; projects."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from sdstudio.app.image_dialogs import ExtendDialog, ResizeChoice, ResizeDialog
from sdstudio.imaging import geometry
from sdstudio.imaging.image_io import load_image
from tests.app.canvas_helpers import drag, viewport_point
from tests.app.panel_helpers import open_photo, paint_stroke, photo

SHOTS = "/tmp/shots"


def open_with_mask(window, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Opens ``pixels``, paints a stroke, returns copies of the photo and the mask."""
    open_photo(window, pixels)
    height, width = pixels.shape[:2]
    paint_stroke(window.canvas, [(width * 0.15, height * 0.2), (width * 0.45, height * 0.35)])
    assert window.document.mask.any()
    return window.document.image.copy(), window.document.mask.copy()


def assert_state(document, image: np.ndarray, mask: np.ndarray) -> None:
    np.testing.assert_array_equal(document.image, image)
    np.testing.assert_array_equal(document.mask, mask)


@pytest.mark.parametrize(
    "action, move",
    [
        ("rotate_right", lambda a: np.rot90(a, -1)),
        ("rotate_left", lambda a: np.rot90(a, 1)),
        ("flip_horizontal", lambda a: a[:, ::-1]),
        ("flip_vertical", lambda a: a[::-1]),
    ],
)
@pytest.mark.parametrize("size", [(60, 80), (64, 64)], ids=["landscape", "square"])
def test_turns_and_flips_move_photo_and_mask_and_undo_in_one_step(window, action, move, size):
    image, mask = open_with_mask(window, photo(*size))
    document = window.document
    steps = document.undo_stack.count()
    window.image_tools.actions[action].trigger()
    assert_state(document, move(image), move(mask))
    assert document.undo_stack.count() == steps + 1
    document.undo_stack.undo()
    assert_state(document, image, mask)
    document.undo_stack.redo()
    assert_state(document, move(image), move(mask))


def test_rotate_then_paint_then_undo_keeps_each_mask(window):
    image, mask = open_with_mask(window, photo(60, 80))
    document = window.document
    window.image_tools.actions["rotate_right"].trigger()
    paint_stroke(window.canvas, [(10, 60), (40, 70)])  # on the turned photo
    painted = document.mask.copy()
    document.undo_stack.undo()  # the stroke
    np.testing.assert_array_equal(document.mask, np.rot90(mask, -1))
    document.undo_stack.undo()  # the turn
    assert_state(document, image, mask)
    document.undo_stack.redo()
    document.undo_stack.redo()
    np.testing.assert_array_equal(document.mask, painted)


@pytest.mark.parametrize("resampling", ["lanczos", "bicubic", "bilinear", "nearest"])
def test_resize_scales_photo_and_mask(window, monkeypatch, resampling):
    image, mask = open_with_mask(window, photo(60, 80))
    tools = window.image_tools
    monkeypatch.setattr(tools, "ask_resize", lambda w, h: ResizeChoice(40, 30, resampling))
    tools.actions["resize"].trigger()
    document = window.document
    assert document.size() == (40, 30)
    assert_state(
        document, geometry.resize(image, 40, 30, resampling), geometry.resize_mask(mask, 40, 30)
    )
    assert document.mask.any()
    document.undo_stack.undo()
    assert_state(document, image, mask)


def test_resize_dialog_per_cent_and_keep_ratio(window, qtbot):
    open_photo(window, photo(60, 80))
    dialog = ResizeDialog(window, 80, 60)
    qtbot.addWidget(dialog)
    dialog.width_spin.setValue(100)
    assert dialog.height_spin.value() == 75  # follows the ratio
    dialog.units.setCurrentText("per cent")
    dialog.width_spin.setValue(50)
    assert dialog.height_spin.value() == 50
    dialog.resampling.setCurrentIndex(dialog.resampling.findData("nearest"))
    assert dialog.choice() == ResizeChoice(40, 30, "nearest")
    dialog.keep_ratio.setChecked(False)
    dialog.height_spin.setValue(200)
    assert dialog.choice() == ResizeChoice(40, 120, "nearest")
    dialog.show()
    QApplication.processEvents()
    dialog.grab().save(f"{SHOTS}/17a_resize_dialog.png")


def test_extend_dialog_fills_the_sides_for_an_aspect_ratio(window, qtbot):
    dialog = ExtendDialog(window, 64, 48)
    qtbot.addWidget(dialog)
    dialog.aspect.setCurrentIndex(dialog.aspect.findText("To 16:9"))
    choice = dialog.choice()
    assert (choice.left, choice.top, choice.right, choice.bottom) == (10, 0, 11, 0)
    assert dialog.result_label.text() == "New size: 85 × 48 pixels"
    dialog.spins["top"].setValue(6)
    assert dialog.choice().top == 6
    assert dialog.aspect.currentData() is None  # 85 x 54 is not 16:9 any more
    dialog.show()
    QApplication.processEvents()
    dialog.grab().save(f"{SHOTS}/17a_extend_dialog.png")


def test_a_resize_too_large_is_refused_with_a_message(window, monkeypatch):
    open_photo(window, photo(60, 80))
    tools = window.image_tools
    monkeypatch.setattr(tools, "ask_resize", lambda w, h: ResizeChoice(30000, 30000, "lanczos"))
    tools.actions["resize"].trigger()
    assert window.document.size() == (80, 60)
    assert window.errors and "megapixels" in window.errors[-1][1]


def test_saved_after_a_turn_the_exif_says_normal_and_keeps_the_camera(
    window, jpeg_file, tmp_path, monkeypatch
):
    assert window.open_path(jpeg_file)
    window.image_tools.actions["rotate_left"].trigger()
    target = tmp_path / "turned.jpg"
    monkeypatch.setattr(window, "ask_save_path", lambda suggested: (target, None))
    monkeypatch.setattr(window, "ask_quality", lambda name, current: 95)
    assert window.files.save_as()
    loaded = load_image(target)
    assert loaded.pixels.shape[:2] == (320, 240)  # shown turned once, by its pixels
    with Image.open(target) as saved:
        tags = saved.getexif()
        assert tags.get(0x0112) == 1 and tags.get(0x010F) == "SDStudioTestCam"


def test_a_project_keeps_the_crop_and_a_flip_with_their_masks(window, tmp_path, monkeypatch):
    image, mask = open_with_mask(window, photo(60, 80))
    canvas, document = window.canvas, window.document
    canvas.zoom_actual_size()
    window.image_tools.actions["crop"].trigger()
    drag(canvas, [viewport_point(canvas, 5, 8), viewport_point(canvas, 60, 50)])
    window.image_tools.bar.apply_button.click()
    window.image_tools.actions["flip_horizontal"].trigger()
    cropped_mask = mask[8:50, 5:60]
    assert_state(document, image[8:50, 5:60][:, ::-1], cropped_mask[:, ::-1])
    actions = window.project_actions
    target = tmp_path / "framed"
    monkeypatch.setattr(actions, "ask_project_save_path", lambda suggested: target)
    actions.save_project.trigger()
    assert not window.errors

    open_photo(window, photo(30, 30, seed=9))  # something else in between
    monkeypatch.setattr(
        actions, "ask_project_open_path", lambda folder: tmp_path / "framed.sdsproj"
    )
    actions.open_project.trigger()
    assert not window.errors
    assert_state(document, image[8:50, 5:60][:, ::-1], cropped_mask[:, ::-1])
    titles = [document.undo_stack.command(i).text() for i in range(document.undo_stack.count())]
    assert titles[-2:] == ["Crop to 55 × 42", "Flip horizontal"]
    document.undo_stack.undo()  # the flip, mask included
    assert_state(document, image[8:50, 5:60], cropped_mask)
    document.undo_stack.undo()  # the crop
    assert_state(document, image, mask)
