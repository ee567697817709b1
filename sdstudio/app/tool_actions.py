"""The mask tools as actions: brush, eraser and the selection tools, one checkable group.

Shortcuts follow Photoshop's where they do not clash with ours: B brush, E eraser,
M rectangle (Shift+M ellipse), L lasso (Shift+L polygonal lasso), O select object. The
tools' objects are registered with the canvas here; choosing a tool says in the status
bar how its keys work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup

from sdstudio.app.canvas import TOOL_BRUSH, TOOL_ERASER
from sdstudio.app.menu_items import make_action
from sdstudio.app.select_object_tool import TOOL_SELECT_OBJECT, SelectObjectTool
from sdstudio.app.selection_tools import (
    TOOL_ELLIPSE,
    TOOL_LASSO,
    TOOL_POLYGON_LASSO,
    TOOL_RECTANGLE,
    BoxTool,
    LassoTool,
    PolygonLassoTool,
)

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

_COMBINE_KEYS = "Shift adds, Alt/Ctrl subtracts"
HINT_MS = 8000


@dataclass(frozen=True)
class ToolSpec:
    name: str
    text: str
    shortcut: str
    tip: str
    icon: str
    hint: str  # the status bar's line when the tool is chosen


TOOLS = (
    ToolSpec(TOOL_BRUSH, "&Brush", "B", "Paint the mask: where Repair and Style work", "brush", ""),
    ToolSpec(TOOL_ERASER, "&Eraser", "E", "Erase the mask", "eraser", ""),
    ToolSpec(
        TOOL_RECTANGLE,
        "&Rectangle",
        "M",
        "Mask a rectangle: drag from corner to corner",
        "select-rectangle",
        f"Rectangle: drag. {_COMBINE_KEYS}. Mid-drag: Shift = square, Alt = from centre.",
    ),
    ToolSpec(
        TOOL_ELLIPSE,
        "Elli&pse",
        "Shift+M",
        "Mask an ellipse: drag across it",
        "select-ellipse",
        f"Ellipse: drag. {_COMBINE_KEYS}. Mid-drag: Shift = circle, Alt = from centre.",
    ),
    ToolSpec(
        TOOL_LASSO,
        "Lass&o",
        "L",
        "Mask a free shape: drag around it",
        "lasso",
        f"Lasso: drag around the area and let go. {_COMBINE_KEYS}.",
    ),
    ToolSpec(
        TOOL_POLYGON_LASSO,
        "Pol&ygonal Lasso",
        "Shift+L",
        "Mask a polygon: click its corners",
        "lasso-polygon",
        "Polygonal lasso: click the corners; Enter or a double-click closes. Backspace: "
        "one back, Esc: drop.",
    ),
    ToolSpec(
        TOOL_SELECT_OBJECT,
        "Select Ob&ject",
        "O",
        "Mask an object: drag a box around it",
        "select-object",
        "Select object: drag a box around it, then touch up with B / E or Mask > Grow, Shrink.",
    ),
)


def build_tool_actions(window: MainWindow) -> tuple[QActionGroup, dict[str, QAction]]:
    """Registers the selection tools with the canvas and returns the tools' actions (by
    tool name, in toolbar order) in one exclusive group."""
    canvas = window.canvas
    canvas.register_tool(TOOL_RECTANGLE, BoxTool(canvas))
    canvas.register_tool(TOOL_ELLIPSE, BoxTool(canvas, ellipse=True))
    canvas.register_tool(TOOL_LASSO, LassoTool(canvas))
    canvas.register_tool(TOOL_POLYGON_LASSO, PolygonLassoTool(canvas))
    select_object = SelectObjectTool(canvas, window.statusBar().showMessage)
    canvas.register_tool(TOOL_SELECT_OBJECT, select_object)
    window.add_closing_part(select_object)

    group = QActionGroup(window)
    actions: dict[str, QAction] = {}
    for spec in TOOLS:
        action = make_action(
            window,
            spec.text,
            lambda on, name=spec.name: on and canvas.set_tool(name),
            spec.shortcut,
            spec.tip,
            spec.icon,
            checkable=True,
        )
        action.setObjectName(f"tool_{spec.name}")
        group.addAction(action)
        actions[spec.name] = action
    actions[canvas.tool].setChecked(True)
    hints = {spec.name: spec.hint for spec in TOOLS}

    def follow(tool: str) -> None:
        if tool in actions:
            actions[tool].setChecked(True)
        elif (checked := group.checkedAction()) is not None:
            # Another part's tool (crop, straighten): no mask tool shows as chosen.
            group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
            checked.setChecked(False)
            group.setExclusionPolicy(QActionGroup.ExclusionPolicy.Exclusive)
        if hints.get(tool):
            window.statusBar().showMessage(hints[tool], HINT_MS)

    canvas.tool_changed.connect(follow)
    return group, actions
