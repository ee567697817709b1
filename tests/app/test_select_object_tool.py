"""Select object on the real canvas: a box dragged around an object becomes its mask,
found off the GUI thread, as one undo step."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from sdstudio.app.select_object_tool import SEARCHING_MESSAGE
from tests.app.canvas_helpers import viewport_point
from tests.app.panel_helpers import open_photo, paint_stroke
from tests.app.selection_helpers import CTRL, SHIFT, drag_with
from tests.engine.object_scenes import iou, object_scene

SEARCH_TIMEOUT_MS = 20_000  # a loaded 2-core machine; the search itself takes ~0.2 s


@pytest.fixture
def scene():
    return object_scene(640, 480, seed=4)


def _box_points(canvas, box) -> list[QPoint]:
    x, y, w, h = box
    a, b = viewport_point(canvas, x, y), viewport_point(canvas, x + w, y + h)
    return [a, (a + b) / 2, b]


def _search_done(canvas):
    tool = canvas.tool_object()
    return lambda: not tool.searching() and not tool.busy()


def test_box_around_the_object_gives_its_mask_as_one_undo_step(window, qtbot, scene):
    open_photo(window, scene.image)
    canvas = window.canvas
    QTest.keyClick(canvas, Qt.Key.Key_O)
    assert canvas.tool == "select_object"
    drag_with(canvas, _box_points(canvas, scene.box))
    # The drag returned before the mask exists: the search runs off the GUI thread.
    assert window.document.undo_stack.count() == 0
    assert canvas.tool_object().busy()
    assert window.statusBar().currentMessage() == SEARCHING_MESSAGE
    qtbot.waitUntil(lambda: window.document.undo_stack.count() == 1, timeout=SEARCH_TIMEOUT_MS)
    qtbot.waitUntil(_search_done(canvas), timeout=SEARCH_TIMEOUT_MS)
    mask = window.document.mask.copy()
    assert iou(mask, scene.truth) >= 0.85
    assert window.document.undo_stack.text(0) == "Select object"
    assert window.statusBar().currentMessage() == ""

    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
    assert window.document.mask_is_empty()
    QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL | SHIFT)
    assert np.array_equal(window.document.mask, mask)


def test_shift_adds_the_object_to_a_painted_mask_then_the_brush_touches_it_up(window, qtbot, scene):
    open_photo(window, scene.image)
    canvas = window.canvas
    canvas.set_brush(size=8, hardness=1.0)
    paint_stroke(canvas, [(20.0, 460.0), (120.0, 460.0)])  # far from the object
    canvas.set_tool("select_object")
    drag_with(canvas, _box_points(canvas, scene.box), press_keys=SHIFT)
    qtbot.waitUntil(lambda: window.document.undo_stack.count() == 2, timeout=SEARCH_TIMEOUT_MS)
    qtbot.waitUntil(_search_done(canvas), timeout=SEARCH_TIMEOUT_MS)
    mask = window.document.mask
    assert mask[460, 70] == 255  # the stroke stayed
    assert iou(mask[:400], scene.truth[:400]) >= 0.85
    assert window.document.undo_stack.text(1) == "Select object (add)"
    QTest.keyClick(canvas, Qt.Key.Key_E)
    paint_stroke(canvas, [(20.0, 460.0), (120.0, 460.0)])
    assert window.document.mask[460, 70] == 0
    assert window.document.undo_stack.text(2) == "Erase mask"


def test_escape_drops_the_search_and_another_tool_does_not(window, qtbot, scene):
    open_photo(window, scene.image)
    canvas = window.canvas
    canvas.set_tool("select_object")
    tool = canvas.tool_object()
    drag_with(canvas, _box_points(canvas, scene.box))
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    assert not tool.busy()
    qtbot.waitUntil(lambda: not tool.searching(), timeout=SEARCH_TIMEOUT_MS)
    qtbot.wait(50)  # a result the thread still sent would be delivered by now
    assert window.document.undo_stack.count() == 0 and window.document.mask_is_empty()

    # Reaching for the brush right after the box still gets the mask.
    drag_with(canvas, _box_points(canvas, scene.box))
    QTest.keyClick(canvas, Qt.Key.Key_B)
    assert canvas.tool == "brush"
    qtbot.waitUntil(lambda: window.document.undo_stack.count() == 1, timeout=SEARCH_TIMEOUT_MS)
    qtbot.waitUntil(lambda: not tool.searching(), timeout=SEARCH_TIMEOUT_MS)
    assert iou(window.document.mask, scene.truth) >= 0.85


def test_a_box_on_plain_colour_says_so_and_changes_nothing(window, qtbot):
    open_photo(window, np.full((300, 400, 3), 128, np.uint8))
    canvas = window.canvas
    canvas.set_tool("select_object")
    drag_with(canvas, _box_points(canvas, (100, 80, 150, 120)))
    qtbot.waitUntil(_search_done(canvas), timeout=SEARCH_TIMEOUT_MS)
    assert window.document.undo_stack.count() == 0
    assert window.statusBar().currentMessage() != ""
