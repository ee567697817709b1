"""Menu items made one way: an action whose tooltip names its shortcut, and its place.

Every part of the window that adds actions (the window's own menus, the image tools, the
mask tools, history, projects) builds them here, so a person hovering any toolbar button
learns the key in the platform's notation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu

from sdstudio.paths import resource_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

ShortcutSpec = str | QKeySequence.StandardKey | list


def icon(name: str) -> QIcon:
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def make_action(
    parent,
    text: str,
    slot=None,
    shortcut: ShortcutSpec | None = None,
    tip: str = "",
    icon_name: str | None = None,
    checkable: bool = False,
) -> QAction:
    action = QAction(text, parent)
    if icon_name:
        action.setIcon(icon(icon_name))
    if shortcut is not None:
        specs = shortcut if isinstance(shortcut, list) else [shortcut]
        action.setShortcuts([QKeySequence(spec) for spec in specs])
    action.setCheckable(checkable)
    set_tip(action, tip or text.replace("&", "").replace("...", ""))
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    return action


def set_tip(action: QAction, tip: str) -> None:
    """Tooltip and status tip, with the first shortcut in the platform's notation."""
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{tip} ({keys})" if keys else tip)
    action.setStatusTip(tip)


def menu_holding(window: QMainWindow, action: QAction) -> QMenu:
    """The menu bar's menu that lists ``action``."""
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if menu is not None and action in menu.actions():
            return menu
    raise LookupError(f"no menu holds {action.text()!r}")


def insert_after(menu: QMenu, anchor: QAction, items: list[QAction | None]) -> None:
    """Puts ``items`` (None: a separator) into ``menu`` right below ``anchor``."""
    actions = menu.actions()
    position = actions.index(anchor) + 1
    before = actions[position] if position < len(actions) else None
    for item in items:
        if item is None:
            menu.insertSeparator(before) if before is not None else menu.addSeparator()
        elif before is not None:
            menu.insertAction(before, item)
        else:
            menu.addAction(item)
