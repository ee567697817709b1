"""Image > Crop and Image > Straighten, dragged on the real canvas as a person would."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from sdstudio.app.canvas import TOOL_BRUSH
from sdstudio.imaging import geometry
from tests.app.canvas_helpers import drag, viewport_point
from tests.app.panel_helpers import open_photo, paint_stroke
from tests.app.selection_helpers import VIEW_IDS, VIEWS, open_in_view, visible_image_rect

SHOTS = "/tmp/shots"


def drag_crop(window, start, end) -> None:
    """Image > Crop, then a drag from ``start`` to ``end`` (image pixels)."""
    canvas = window.canvas
    window.image_tools.actions["crop"].trigger()
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    drag(canvas, [viewport_point(canvas, *p) for p in (start, middle, end)])


def inner_box(canvas, left=0.2, top=0.25, right=0.7, bottom=0.65) -> tuple[int, int, int, int]:
    """A box inside what the view shows, in whole image pixels."""
    x0, y0, x1, y1 = visible_image_rect(canvas)
    width, height = x1 - x0, y1 - y0
    return (math.ceil(x0 + left * width), math.ceil(y0 + top * height),
            math.floor(x0 + right * width), math.floor(y0 + bottom * height))  # fmt: skip


@pytest.mark.parametrize("zoom, panned", VIEWS, ids=VIEW_IDS)
def test_crop_keeps_the_dragged_pixels_of_photo_and_mask(window, zoom, panned):
    canvas = open_in_view(window, zoom, panned, width=900, height=700)
    document = window.document
    x0, y0, x1, y1 = inner_box(canvas)
    paint_stroke(canvas, [(x0 + 10, y0 + 10), (x1 + 30, y1 + 30)])  # crosses the crop edge
    photo, mask = document.image.copy(), document.mask.copy()
    drag_crop(window, (x0, y0), (x1, y1))
    assert window.image_tools.crop_tool.pixel_box() == (x0, y0, x1, y1)
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    np.testing.assert_array_equal(document.image, photo[y0:y1, x0:x1])
    np.testing.assert_array_equal(document.mask, mask[y0:y1, x0:x1])
    assert document.mask.any() and canvas.tool == TOOL_BRUSH
    assert document.undo_stack.command(document.undo_stack.index() - 1).text() == (
        f"Crop to {x1 - x0} × {y1 - y0}"
    )
    document.undo_stack.undo()  # one step brings back photo and mask
    np.testing.assert_array_equal(document.image, photo)
    np.testing.assert_array_equal(document.mask, mask)
    document.undo_stack.redo()
    np.testing.assert_array_equal(document.image, photo[y0:y1, x0:x1])
    np.testing.assert_array_equal(document.mask, mask[y0:y1, x0:x1])


def test_crop_with_a_fixed_ratio_handles_and_the_apply_button(window, qtbot):
    canvas = open_in_view(window, 1.0, False, width=600, height=400)
    photo = window.document.image.copy()
    tools = window.image_tools
    drag_crop(window, (20, 30), (180, 60))
    bar = tools.bar
    bar.ratio.setCurrentIndex(bar.ratio.findText("16:9"))  # reshapes the drawn box
    assert tools.crop_tool.pixel_box() == (20, 30, 180, 120)  # 160 x 90
    # The bottom-right handle pulls the box larger, keeping 16:9 ...
    drag(canvas, [viewport_point(canvas, 180, 120), viewport_point(canvas, 260, 140)])
    assert tools.crop_tool.pixel_box() == (20, 30, 260, 165)  # 240 x 135
    # ... and a drag inside moves it.
    drag(canvas, [viewport_point(canvas, 100, 100), viewport_point(canvas, 130, 90)])
    assert tools.crop_tool.pixel_box() == (50, 20, 290, 155)
    assert bar.isVisible() and bar.size_label.text() == "Keeps 240 × 135 px"
    window.grab().save(f"{SHOTS}/17a_crop_ratio.png")
    qtbot.mouseClick(bar.apply_button, Qt.MouseButton.LeftButton)
    np.testing.assert_array_equal(window.document.image, photo[20:155, 50:290])
    assert not bar.isVisible()


def test_crop_free_edge_handle_and_original_ratio(window):
    canvas = open_in_view(window, 1.0, False, width=600, height=400)
    tools = window.image_tools
    drag_crop(window, (100, 100), (300, 200))
    drag(canvas, [viewport_point(canvas, 300, 150), viewport_point(canvas, 350, 170)])
    assert tools.crop_tool.pixel_box() == (100, 100, 350, 200)  # only the right edge moved
    tools.bar.ratio.setCurrentIndex(tools.bar.ratio.findText("Original ratio"))
    x0, y0, x1, y1 = tools.crop_tool.pixel_box()
    assert (x1 - x0) / (y1 - y0) == pytest.approx(600 / 400, abs=0.02)


def test_escape_cancels_the_crop_and_changes_nothing(window):
    canvas = open_in_view(window, 1.0, False, width=600, height=400)
    photo = window.document.image.copy()
    steps = window.document.undo_stack.count()
    drag_crop(window, (50, 50), (200, 150))
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert canvas.tool == TOOL_BRUSH and not window.image_tools.bar.isVisible()
    np.testing.assert_array_equal(window.document.image, photo)
    assert window.document.undo_stack.count() == steps
    QTest.keyClick(canvas, Qt.Key.Key_Return)  # the crop is gone: Enter does nothing now
    assert window.document.size() == (600, 400)


def test_choosing_a_mask_tool_leaves_the_crop(window):
    canvas = open_in_view(window, 1.0, False, width=600, height=400)
    drag_crop(window, (50, 50), (200, 150))
    window.actions_.eraser.trigger()
    assert canvas.tool == "eraser" and not window.image_tools.bar.isVisible()
    assert window.actions_.eraser.isChecked()
    assert window.document.size() == (600, 400)


def tilted_line_photo(degrees: float, width: int = 480, height: int = 320) -> np.ndarray:
    """Grey noise with a dark horizon tilted ``degrees`` clockwise (on screen)."""
    rng = np.random.default_rng(5)
    picture = Image.fromarray(rng.integers(150, 200, (height, width, 3), dtype=np.uint8))
    tilt = math.radians(degrees)
    half = 0.4 * width
    centre = (width / 2, height / 2)
    ends = [(centre[0] - half * math.cos(tilt), centre[1] - half * math.sin(tilt)),
            (centre[0] + half * math.cos(tilt), centre[1] + half * math.sin(tilt))]  # fmt: skip
    ImageDraw.Draw(picture).line(ends, fill=(10, 10, 10), width=3)
    return np.asarray(picture).copy(), ends


def test_straighten_by_a_level_line_turns_photo_and_mask(window, qtbot):
    pixels, (start, end) = tilted_line_photo(6.0)
    open_photo(window, pixels)
    canvas, document, tools = window.canvas, window.document, window.image_tools
    paint_stroke(canvas, [start, end])  # the mask follows the horizon
    photo, mask = document.image.copy(), document.mask.copy()
    tools.actions["straighten"].trigger()
    drag(canvas, [viewport_point(canvas, *start), viewport_point(canvas, *end)])
    angle = tools.bar.angle.value()
    assert angle == pytest.approx(-6.0, abs=0.4)  # anticlockwise undoes the tilt
    assert tools.bar.apply_button.isEnabled()
    window.grab().save(f"{SHOTS}/17a_straighten_preview.png")
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    width, height = geometry.straighten_size(480, 320, angle)
    assert document.size() == (width, height) and document.mask.shape == (height, width)
    dark_rows = np.flatnonzero((document.image.max(axis=2) < 60).sum(axis=1) > 30)
    assert dark_rows.max() - dark_rows.min() <= 5  # level now
    assert document.mask[dark_rows.min() : dark_rows.max() + 1].max(axis=0).mean() > 120
    window.grab().save(f"{SHOTS}/17a_straighten_done.png")
    document.undo_stack.undo()
    np.testing.assert_array_equal(document.image, photo)
    np.testing.assert_array_equal(document.mask, mask)


def test_straighten_by_a_typed_angle(window, qtbot):
    pixels, _ends = tilted_line_photo(0.0, 300, 200)
    open_photo(window, pixels)
    tools = window.image_tools
    tools.actions["straighten"].trigger()
    assert not tools.bar.apply_button.isEnabled()  # 0° would change nothing
    tools.bar.angle.setValue(3.5)
    assert tools.straighten_tool.angle == 3.5
    qtbot.mouseClick(tools.bar.apply_button, Qt.MouseButton.LeftButton)
    expected, _mask = geometry.straighten(pixels, np.zeros((200, 300), np.uint8), 3.5)
    np.testing.assert_array_equal(window.document.image, expected)
    assert window.document.undo_stack.command(0).text() == "Straighten +3.50°"


def test_c_starts_the_crop_and_another_photo_ends_it(window, qtbot):
    canvas = open_in_view(window, 1.0, False, width=600, height=400)
    QTest.keyClick(canvas, Qt.Key.Key_C)
    assert canvas.tool == "crop" and window.image_tools.bar.isVisible()
    drag(canvas, [viewport_point(canvas, 50, 50), viewport_point(canvas, 200, 150)])
    open_photo(window, np.zeros((100, 120, 3), np.uint8))
    qtbot.waitUntil(lambda: canvas.tool == TOOL_BRUSH)
    assert not window.image_tools.bar.isVisible()
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    assert window.document.size() == (120, 100)
