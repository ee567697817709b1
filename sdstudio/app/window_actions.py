"""The main window's actions, menus and toolbar, built in one place.

Every action's tooltip names its shortcut, so a person hovering a toolbar button learns
the key. Single-key tool shortcuts (B, E, M, L, O, [, ]) follow common photo-editor
habits; the mask tools' actions are built in ``tool_actions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from sdstudio.app.canvas import TOOL_BRUSH, TOOL_ERASER
from sdstudio.app.image_tools import ImageTools
from sdstudio.app.mask_margin import MaskMarginActions
from sdstudio.app.tool_actions import build_tool_actions
from sdstudio.paths import resource_path

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

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


def build_actions(window: MainWindow) -> SimpleNamespace:
    canvas, document, files = window.canvas, window.document, window.files
    a = SimpleNamespace()
    a.open = make_action(
        window, "&Open...", files.open_dialog, QKeySequence.StandardKey.Open, "Open a photo", "open"
    )
    a.open_example = make_action(
        window,
        "Open &Example Photo",
        files.open_example,
        tip="Open the photo that comes with SD Studio",
    )
    a.save = make_action(
        window,
        "&Save",
        files.save,
        QKeySequence.StandardKey.Save,
        "Save beside the original (name_edited), never over it",
        "save",
    )
    a.save_as = make_action(
        window,
        "Save &As...",
        files.save_as,
        "Ctrl+Shift+S",
        "Save to a file, format and quality of your choice",
    )
    a.quit = make_action(
        window, "&Quit", window.close, QKeySequence.StandardKey.Quit, "Quit SD Studio"
    )

    a.undo = document.undo_stack.createUndoAction(window, "&Undo")
    a.undo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Undo)])
    a.undo.setIcon(icon("undo"))
    a.redo = document.undo_stack.createRedoAction(window, "&Redo")
    a.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    a.redo.setIcon(icon("redo"))
    set_tip(a.undo, "Undo the last step")
    set_tip(a.redo, "Redo the step you undid")

    a.zoom_in = make_action(
        window,
        "Zoom &In",
        canvas.zoom_in,
        [QKeySequence.StandardKey.ZoomIn, "+", "="],
        "Zoom in",
        "zoom-in",
    )
    a.zoom_out = make_action(
        window,
        "Zoom &Out",
        canvas.zoom_out,
        [QKeySequence.StandardKey.ZoomOut, "-"],
        "Zoom out",
        "zoom-out",
    )
    a.fit = make_action(
        window,
        "&Fit to Window",
        lambda: canvas.fit_to_window(),  # triggered(checked) must not reach it as an argument
        "Ctrl+0",
        "Show the whole photo, as large as the window allows",
        "zoom-fit",
    )
    a.actual = make_action(
        window,
        "&Actual Pixels (100 %)",
        canvas.zoom_actual_size,
        "Ctrl+1",
        "One photo pixel per screen pixel",
        "zoom-100",
    )
    a.split = make_action(
        window,
        "&Split Compare",
        canvas.split.set_enabled,
        "Y",
        "Original left of a draggable divider, edit to its right",
        "compare",
        checkable=True,
    )
    a.show_original = make_action(
        window,
        "Show &Original\tHold \\",
        canvas.set_showing_original,
        tip="Show the photo as opened (or hold \\ over the canvas)",
        checkable=True,
    )
    canvas.compare_changed.connect(lambda: a.show_original.setChecked(canvas.showing_original))

    # Brush, eraser and the selection tools: the brush toolbar shows them (``tools``,
    # in order), the Mask menu lists them.
    a.tool_group, a.tools = build_tool_actions(window)
    a.brush, a.eraser = a.tools[TOOL_BRUSH], a.tools[TOOL_ERASER]
    a.bigger = make_action(
        window, "&Larger Brush", lambda: canvas.adjust_brush("grow"), "]", "Make the brush larger"
    )
    a.smaller = make_action(
        window,
        "S&maller Brush",
        lambda: canvas.adjust_brush("shrink"),
        "[",
        "Make the brush smaller",
    )
    a.harder = make_action(
        window,
        "&Harder Brush",
        lambda: canvas.adjust_brush("harder"),
        # A US keyboard sends Shift+] as "}" with Shift still held: each spelling is
        # its own key sequence, and the first is the one menus show.
        ["Shift+]", "Shift+}", "}"],
        "Make the brush edge harder",
    )
    a.softer = make_action(
        window,
        "So&fter Brush",
        lambda: canvas.adjust_brush("softer"),
        ["Shift+[", "Shift+{", "{"],
        "Make the brush edge softer",
    )
    a.clear_mask = make_action(
        window, "&Clear Mask", document.clear_mask, "Ctrl+D", "Remove the whole mask", "mask-clear"
    )
    a.invert_mask = make_action(
        window,
        "&Invert Mask",
        document.invert_mask,
        "Ctrl+Shift+I",
        "Mask what is not masked, and the other way round",
        "mask-invert",
    )
    a.show_mask = make_action(
        window,
        "Show &Mask",
        canvas.overlay.set_visible,
        "H",
        "Show or hide the mask overlay",
        "mask-visible",
        checkable=True,
    )
    a.show_mask.setChecked(canvas.overlay.visible)
    # The overlay is also hidden and shown without this action (after Repair, when
    # painting again): the check mark follows it.
    canvas.overlay.changed.connect(lambda: a.show_mask.setChecked(canvas.overlay.visible))
    a.mask_margin = MaskMarginActions(document, window)
    a.grow_mask = make_action(
        window,
        "&Grow Mask...",
        a.mask_margin.grow,
        tip="Widen the mask by a number of pixels: a margin around an object to remove",
    )
    a.shrink_mask = make_action(
        window, "Shrin&k Mask...", a.mask_margin.shrink, tip="Narrow the mask by a number of pixels"
    )
    # Its slot is the Repair panel's, connected where the panels are built (services).
    a.find_damage = make_action(
        window,
        "&Find Damage",
        tip="Propose a mask over scratches, dust, cracks and stains (Repair panel)",
    )
    a.overlay_color = make_action(
        window,
        "Mask &Colour...",
        window.choose_overlay_color,
        tip="Choose the colour the mask is drawn in",
    )
    a.getting_started = make_action(
        window,
        "&Getting Started",
        window.show_getting_started,
        "F1",
        "What Repair, Style, Enhance and Train do, and how to use them",
    )
    a.keyboard_shortcuts = make_action(
        window,
        "&Keyboard Shortcuts",
        window.show_keyboard_shortcuts,
        "Ctrl+/",
        "Every key SD Studio knows",
    )
    a.about = make_action(window, "&About SD Studio", window.show_about)
    return a


@dataclass(frozen=True)
class WindowMenus:
    """The menus other parts fill or add to, and the Image menu's tools."""

    recent: QMenu
    view: QMenu
    train: QMenu
    models: QMenu
    image_tools: ImageTools


def build_menus(window: MainWindow, a: SimpleNamespace) -> WindowMenus:
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.open)
    recent_menu = file_menu.addMenu("Open &Recent")
    recent_menu.aboutToShow.connect(window.files.fill_recent_menu)
    file_menu.addAction(a.open_example)
    file_menu.addSeparator()
    file_menu.addAction(a.save)
    file_menu.addAction(a.save_as)
    file_menu.addSeparator()
    file_menu.addAction(a.quit)

    edit_menu = bar.addMenu("&Edit")
    edit_menu.addAction(a.undo)
    edit_menu.addAction(a.redo)

    view_menu = bar.addMenu("&View")
    for action in (a.zoom_in, a.zoom_out, a.fit, a.actual):
        view_menu.addAction(action)
    view_menu.addSeparator()
    view_menu.addAction(a.split)
    view_menu.addAction(a.show_original)
    view_menu.addSeparator()

    mask_menu = bar.addMenu("Mas&k")
    for action in (
        *a.tools.values(),
        None,
        a.bigger,
        a.smaller,
        a.harder,
        a.softer,
        None,
        a.clear_mask,
        a.invert_mask,
        a.grow_mask,
        a.shrink_mask,
        a.find_damage,
        None,
        a.show_mask,
        a.overlay_color,
    ):
        mask_menu.addSeparator() if action is None else mask_menu.addAction(action)

    def enable_margin_actions() -> None:  # checked when the menu opens, not on every dab
        for action in (a.grow_mask, a.shrink_mask):
            action.setEnabled(a.mask_margin.can_change())

        a.find_damage.setEnabled(window.document.has_image())

    mask_menu.aboutToShow.connect(enable_margin_actions)

    # Crop, straighten, quarter turns, flips, resize and extend canvas (image_tools).
    image_tools = ImageTools(window, bar.addMenu("&Image"), a.tool_group)

    train_menu = bar.addMenu("&Train")
    models_menu = bar.addMenu("&Models")
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.getting_started)
    help_menu.addAction(a.keyboard_shortcuts)
    help_menu.addSeparator()
    help_menu.addAction(a.about)
    return WindowMenus(recent_menu, view_menu, train_menu, models_menu, image_tools)


def menu_holding(window: MainWindow, action: QAction) -> QMenu:
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


def build_toolbar(window: MainWindow, a: SimpleNamespace) -> QToolBar:
    toolbar = QToolBar("Main", window)
    toolbar.setObjectName("main_toolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    for action in (
        a.open,
        a.save,
        None,
        a.undo,
        a.redo,
        None,
        a.clear_mask,
        a.invert_mask,
        a.show_mask,
        None,
        a.fit,
        a.actual,
        a.split,
    ):
        toolbar.addSeparator() if action is None else toolbar.addAction(action)
    return toolbar
