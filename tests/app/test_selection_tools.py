"""Rectangle, ellipse and lasso tools driven with real mouse events on the canvas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.app.canvas_helpers import viewport_point
from tests.app.selection_helpers import (
    NO_KEYS,
    SHIFT,
    VIEW_IDS,
    VIEWS,
    click,
    drag_with,
    image_at,
    mask_bounds,
    open_in_view,
    visible_image_rect,
)
from tests.imaging.polygon_checks import assert_mask_is_polygon


def _box_in_view(canvas, fractions=(0.2, 0.25, 0.7, 0.8)) -> tuple[QPoint, QPoint]:
    """Two viewport points spanning part of the visible photo."""
    left, top, right, bottom = visible_image_rect(canvas)
    fx0, fy0, fx1, fy1 = fractions
    width, height = right - left, bottom - top
    a = viewport_point(canvas, left + fx0 * width, top + fy0 * height)
    b = viewport_point(canvas, left + fx1 * width, top + fy1 * height)
    return a, b


def _steps(a: QPoint, b: QPoint, count: int = 5) -> list[QPoint]:
    return [a + (b - a) * (i / count) for i in range(count + 1)]


@pytest.mark.parametrize(("zoom", "panned"), VIEWS, ids=VIEW_IDS)
def test_rectangle_lands_on_the_image_pixels_under_the_drag(window, zoom, panned):
    canvas = open_in_view(window, zoom, panned)
    QTest.keyClick(canvas, Qt.Key.Key_M)
    assert canvas.tool == "rectangle"
    a, b = _box_in_view(canvas)
    drag_with(canvas, _steps(b, a))  # dragged up and to the left
    (x0, y0), (x1, y1) = image_at(canvas, a), image_at(canvas, b)
    left, top, right, bottom = mask_bounds(window.document.mask)
    assert abs(left - x0) <= 1 and abs(top - y0) <= 1
    assert abs(right + 1 - x1) <= 1 and abs(bottom + 1 - y1) <= 1
    assert np.all(window.document.mask[top : bottom + 1, left : right + 1] == 255)
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.text(0) == "Rectangle"


@pytest.mark.parametrize(("zoom", "panned"), VIEWS, ids=VIEW_IDS)
def test_ellipse_has_the_dragged_area_and_centre(window, zoom, panned):
    canvas = open_in_view(window, zoom, panned)
    QTest.keyClick(canvas, Qt.Key.Key_M, SHIFT)
    assert canvas.tool == "ellipse"
    a, b = _box_in_view(canvas, (0.15, 0.2, 0.8, 0.6))
    drag_with(canvas, _steps(a, b))
    (x0, y0), (x1, y1) = image_at(canvas, a), image_at(canvas, b)
    mask = window.document.mask
    area = mask.sum() / 255
    assert area == pytest.approx(math.pi * (x1 - x0) / 2 * (y1 - y0) / 2, rel=0.03)
    centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
    assert mask[int(centre_y), int(centre_x)] == 255
    left, top, right, bottom = mask_bounds(mask)
    assert (
        abs((left + right + 1) / 2 - centre_x) <= 1 and abs((top + bottom + 1) / 2 - centre_y) <= 1
    )
    assert window.document.undo_stack.text(0) == "Ellipse"


def _arrow(canvas) -> list[QPoint]:
    """A concave outline (an arrow pointing right) across the visible photo."""
    left, top, right, bottom = visible_image_rect(canvas)
    w, h = right - left, bottom - top
    shape = [(0.1, 0.4), (0.5, 0.4), (0.5, 0.2), (0.85, 0.5), (0.5, 0.8), (0.5, 0.6), (0.1, 0.6)]
    return [viewport_point(canvas, left + fx * w, top + fy * h) for fx, fy in shape]


@pytest.mark.parametrize(("zoom", "panned"), VIEWS, ids=VIEW_IDS)
def test_free_lasso_masks_the_inside_of_the_path(window, zoom, panned):
    canvas = open_in_view(window, zoom, panned)
    QTest.keyClick(canvas, Qt.Key.Key_L)
    assert canvas.tool == "lasso"
    corners = _arrow(canvas)
    path = []
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        path += _steps(a, b, 8)[:-1]
    drag_with(canvas, path + [corners[0]])
    polygon = [image_at(canvas, point) for point in corners]
    assert_mask_is_polygon(window.document.mask, polygon, margin=1.5 / canvas.transform().m11() + 1)
    assert window.document.undo_stack.text(0) == "Lasso"


@pytest.mark.parametrize(("zoom", "panned"), VIEWS, ids=VIEW_IDS)
def test_polygonal_lasso_closes_on_its_first_corner(window, zoom, panned):
    canvas = open_in_view(window, zoom, panned)
    QTest.keyClick(canvas, Qt.Key.Key_L, SHIFT)
    assert canvas.tool == "polygon_lasso"
    corners = _arrow(canvas)
    for point in corners:
        click(canvas, point)
    assert window.document.undo_stack.count() == 0  # still open
    click(canvas, corners[0] + QPoint(3, -2))  # near enough the first corner
    polygon = [image_at(canvas, point) for point in corners]
    assert_mask_is_polygon(window.document.mask, polygon, margin=1.5 / canvas.transform().m11() + 1)
    assert window.document.undo_stack.count() == 1
    assert window.document.undo_stack.text(0) == "Polygonal lasso"


def test_polygonal_lasso_keys_enter_double_click_backspace_and_escape(window):
    canvas = open_in_view(window, 1.0, False, 800, 600)
    canvas.set_tool("polygon_lasso")
    triangle = [QPoint(100, 100), QPoint(300, 120), QPoint(180, 300)]
    for point in triangle + [QPoint(500, 500)]:  # one corner too many ...
        click(canvas, point)
    QTest.keyClick(canvas, Qt.Key.Key_Backspace)  # ... taken back
    QTest.keyClick(canvas, Qt.Key.Key_Return)
    polygon = [image_at(canvas, point) for point in triangle]
    assert_mask_is_polygon(window.document.mask, polygon, margin=1.5)
    first = window.document.mask.copy()

    for point in [QPoint(400, 100), QPoint(600, 100), QPoint(600, 300)]:
        click(canvas, point)
    QTest.keyClick(canvas, Qt.Key.Key_Escape)  # dropped: nothing changes
    assert window.document.undo_stack.count() == 1
    assert np.array_equal(window.document.mask, first)
    assert not canvas.tool_object().busy()

    square = [QPoint(400, 300), QPoint(600, 300), QPoint(600, 500), QPoint(400, 500)]
    click(canvas, square[0], SHIFT)  # Shift at the first corner: this polygon adds
    for point in square[1:-1]:
        click(canvas, point)
    QTest.mouseDClick(canvas.viewport(), Qt.MouseButton.LeftButton, NO_KEYS, square[-1])
    mask = window.document.mask
    assert np.all(mask >= first)  # the triangle stayed
    polygon = [image_at(canvas, point) for point in square]
    assert_mask_is_polygon(np.where(first > 0, 0, mask), polygon, margin=1.5)
    assert window.document.undo_stack.count() == 2
    assert window.document.undo_stack.text(1) == "Polygonal lasso (add)"


def test_the_tools_are_buttons_in_the_brush_toolbar_with_their_keys(window):
    open_in_view(window, 1.0, False, 400, 300)
    canvas, toolbar = window.canvas, window.brush_toolbar
    buttons = {
        action.objectName(): toolbar.widgetForAction(action)
        for action in toolbar.actions()
        if action.objectName().startswith("tool_")
    }
    assert list(buttons) == [
        "tool_brush",
        "tool_eraser",
        "tool_rectangle",
        "tool_ellipse",
        "tool_lasso",
        "tool_polygon_lasso",
        "tool_select_object",
    ]
    assert buttons["tool_brush"].isChecked()
    QTest.mouseClick(buttons["tool_lasso"], Qt.MouseButton.LeftButton)
    assert canvas.tool == "lasso" and buttons["tool_lasso"].isChecked()
    assert not buttons["tool_brush"].isChecked()
    tips = {name: button.toolTip() for name, button in buttons.items()}
    assert tips["tool_rectangle"].endswith("(M)") and tips["tool_select_object"].endswith("(O)")
    assert tips["tool_polygon_lasso"].endswith("(Shift+L)")
    assert "Shift adds" in window.statusBar().currentMessage()

    canvas.set_tool("crop")  # a tool of another part: no mask tool shows as chosen
    assert not any(button.isChecked() for button in buttons.values())
    QTest.keyClick(canvas, Qt.Key.Key_E)
    assert canvas.tool == "eraser" and buttons["tool_eraser"].isChecked()
