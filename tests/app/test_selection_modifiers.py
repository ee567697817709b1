"""Keys with the selection tools: add, subtract, intersect, square, from the centre; each
shape one undo step; the outline on screen while dragging."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.app.panel_helpers import paint_stroke
from tests.app.selection_helpers import (
    ALT,
    CTRL,
    LEFT,
    NO_KEYS,
    SHIFT,
    drag_with,
    image_at,
    mask_bounds,
    open_in_view,
    send_move,
)


def _rect(canvas, a: QPoint, b: QPoint) -> tuple[int, int, int, int]:
    (x0, y0), (x1, y1) = image_at(canvas, a), image_at(canvas, b)
    return round(x0), round(y0), round(x1), round(y1)


def _filled(shape, *rects) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for x0, y0, x1, y1 in rects:
        mask[y0:y1, x0:x1] = True
    return mask


@pytest.mark.parametrize("subtract_key", [ALT, CTRL], ids=["alt", "ctrl"])
def test_keys_add_subtract_intersect_and_replace_each_one_undo_step(window, subtract_key):
    canvas = open_in_view(window, 1.0, False, 800, 600)
    canvas.set_tool("rectangle")
    document = window.document
    steps = [
        (NO_KEYS, QPoint(100, 100), QPoint(300, 250), "Rectangle"),
        (SHIFT, QPoint(250, 200), QPoint(450, 400), "Rectangle (add)"),
        (subtract_key, QPoint(200, 150), QPoint(350, 300), "Rectangle (subtract)"),
        (SHIFT | subtract_key, QPoint(120, 120), QPoint(420, 220), "Rectangle (intersect)"),
    ]
    masks = [document.mask.copy()]
    for keys, a, b, _title in steps:
        drag_with(canvas, [a, (a + b) / 2, b], press_keys=keys)
        masks.append(document.mask.copy())
    shape = document.mask.shape
    a, b, c, d = (_rect(canvas, s[1], s[2]) for s in steps)
    union = _filled(shape, a, b)
    minus = union & ~_filled(shape, c)
    overlap = minus & _filled(shape, d)
    assert np.array_equal(masks[1] > 0, _filled(shape, a))
    assert np.array_equal(masks[2] > 0, union)
    assert np.array_equal(masks[3] > 0, minus)
    assert np.array_equal(masks[4] > 0, overlap)
    assert [document.undo_stack.text(i) for i in range(4)] == [s[3] for s in steps]

    # A plain drag replaces whatever was there.
    drag_with(canvas, [QPoint(500, 400), QPoint(600, 500)])
    assert np.array_equal(
        document.mask > 0, _filled(shape, _rect(canvas, QPoint(500, 400), QPoint(600, 500)))
    )

    for expected in reversed(masks):
        QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL)
        assert np.array_equal(document.mask, expected)
    for expected in masks[1:]:
        QTest.keyClick(canvas, Qt.Key.Key_Z, CTRL | SHIFT)
        assert np.array_equal(document.mask, expected)


def test_shift_during_the_drag_makes_a_square_alt_draws_from_the_centre(window):
    canvas = open_in_view(window, 1.0, False, 800, 600)
    canvas.set_tool("rectangle")
    drag_with(canvas, [QPoint(100, 100), QPoint(200, 140), QPoint(260, 160)], move_keys=SHIFT)
    left, top, right, bottom = mask_bounds(window.document.mask)
    assert right - left == bottom - top == 159  # the longer side of the drag
    assert window.document.undo_stack.text(0) == "Rectangle"  # no key at the press: replace

    drag_with(canvas, [QPoint(400, 300), QPoint(450, 320), QPoint(460, 330)], move_keys=ALT)
    left, top, right, bottom = mask_bounds(window.document.mask)
    (cx, cy), (px, py) = image_at(canvas, QPoint(400, 300)), image_at(canvas, QPoint(460, 330))
    assert abs(left - (2 * cx - px)) <= 1 and abs(right + 1 - px) <= 1
    assert abs(top - (2 * cy - py)) <= 1 and abs(bottom + 1 - py) <= 1


def test_shift_held_from_the_start_adds_and_does_not_constrain(window):
    canvas = open_in_view(window, 1.0, False, 800, 600)
    canvas.set_tool("ellipse")
    drag_with(canvas, [QPoint(50, 50), QPoint(150, 80)])
    drag_with(canvas, [QPoint(300, 100), QPoint(500, 150)], press_keys=SHIFT)
    mask = window.document.mask
    assert mask[65, 100] == 255  # the first ellipse stayed
    left, top, right, bottom = mask_bounds(mask[:, 250:])
    assert right - left > 3 * (bottom - top)  # still the 200 x 50 ellipse dragged
    assert window.document.undo_stack.text(1) == "Ellipse (add)"

    # Let go of Shift and press it again: now it makes a circle.
    viewport = canvas.viewport()
    QTest.mousePress(viewport, LEFT, SHIFT, QPoint(100, 300))
    send_move(canvas, QPoint(200, 330), NO_KEYS)
    send_move(canvas, QPoint(220, 340), SHIFT)
    QTest.mouseRelease(viewport, LEFT, SHIFT, QPoint(220, 340))
    left, top, right, bottom = mask_bounds(window.document.mask[280:, :260])
    assert abs((right - left) - (bottom - top)) <= 1
    assert window.document.undo_stack.text(2) == "Ellipse (add)"


def test_a_click_or_escape_changes_nothing_and_the_brush_still_paints(window):
    canvas = open_in_view(window, 1.0, False, 800, 600)
    canvas.set_tool("rectangle")
    QTest.mouseClick(canvas.viewport(), LEFT, NO_KEYS, QPoint(100, 100))
    drag_with(canvas, [QPoint(100, 100), QPoint(101, 101)])  # a jitter, not a drag
    viewport = canvas.viewport()
    QTest.mousePress(viewport, LEFT, NO_KEYS, QPoint(200, 200))
    send_move(canvas, QPoint(300, 300))
    QTest.keyClick(canvas, Qt.Key.Key_Escape)
    QTest.mouseRelease(viewport, LEFT, NO_KEYS, QPoint(300, 300))
    assert window.document.undo_stack.count() == 0 and window.document.mask_is_empty()

    QTest.keyClick(canvas, Qt.Key.Key_B)
    canvas.set_brush(size=10, hardness=1.0)
    paint_stroke(canvas, [(400.0, 400.0), (500.0, 400.0)])
    assert window.document.undo_stack.text(0) == "Paint mask"
    assert window.document.mask[400, 450] == 255


def test_the_shape_is_outlined_on_screen_while_it_is_dragged(window):
    canvas = open_in_view(window, 1.0, False, 800, 600)
    canvas.set_tool("rectangle")
    viewport = canvas.viewport()
    QTest.mousePress(viewport, LEFT, NO_KEYS, QPoint(100, 100))
    send_move(canvas, QPoint(300, 250))
    QApplication.processEvents()
    shot = viewport.grab().toImage()
    top_edge = [shot.pixelColor(x, 100) for x in range(120, 280)]
    assert any(c.lightness() > 240 for c in top_edge) and any(c.lightness() < 15 for c in top_edge)
    inside = shot.pixelColor(200, 175)
    assert 15 < inside.lightness() < 240  # the photo, untouched, inside the outline
    QTest.mouseRelease(viewport, LEFT, NO_KEYS, QPoint(300, 250))
    QApplication.processEvents()
    after = viewport.grab().toImage()
    assert not any(after.pixelColor(x, 100).lightness() < 15 for x in range(120, 280))
