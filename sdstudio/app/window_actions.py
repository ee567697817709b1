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
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from sdstudio.app.canvas import TOOL_BRUSH, TOOL_ERASER
from sdstudio.app.image_tools import ImageTools
from sdstudio.app.mask_margin import MaskMarginActions
from sdstudio.app.menu_items import icon, make_action, set_tip
from sdstudio.app.tool_actions import build_tool_actions

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow


def build_actions(window: MainWindow) -> SimpleNamespace:
    canvas, document, files = window.canvas, window.document, window.files
    keys = QKeySequence.StandardKey
    a = SimpleNamespace()
    a.mask_margin = MaskMarginActions(document, window)
    # One row per plain action: name, text, slot (None: connected elsewhere), shortcut,
    # tooltip ("" says the text), icon, checkable. Menus and toolbar are built below.
    rows = (
        ("open", "&Open...", files.open_dialog, keys.Open, "Open a photo", "open", False),
        ("open_example", "Open &Example Photo", files.open_example, None,
         "Open the photo that comes with SD Studio", None, False),
        ("save", "&Save", files.save, keys.Save,
         "Save beside the original (name_edited), never over it", "save", False),
        ("save_as", "Save &As...", files.save_as, "Ctrl+Shift+S",
         "Save to a file, format and quality of your choice", None, False),
        ("quit", "&Quit", window.close, keys.Quit, "Quit SD Studio", None, False),
        ("zoom_in", "Zoom &In", canvas.zoom_in, [keys.ZoomIn, "+", "="], "Zoom in", "zoom-in",
         False),
        ("zoom_out", "Zoom &Out", canvas.zoom_out, [keys.ZoomOut, "-"], "Zoom out", "zoom-out",
         False),
        # triggered(checked) must not reach fit_to_window as an argument.
        ("fit", "&Fit to Window", lambda: canvas.fit_to_window(), "Ctrl+0",
         "Show the whole photo, as large as the window allows", "zoom-fit", False),
        ("actual", "&Actual Pixels (100 %)", canvas.zoom_actual_size, "Ctrl+1",
         "One photo pixel per screen pixel", "zoom-100", False),
        ("split", "&Split Compare", canvas.split.set_enabled, "Y",
         "Original left of a draggable divider, edit to its right", "compare", True),
        ("show_original", "Show &Original\tHold \\", canvas.set_showing_original, None,
         "Show the photo as opened (or hold \\ over the canvas)", None, True),
        ("clear_mask", "&Clear Mask", document.clear_mask, "Ctrl+D", "Remove the whole mask",
         "mask-clear", False),
        ("invert_mask", "&Invert Mask", document.invert_mask, "Ctrl+Shift+I",
         "Mask what is not masked, and the other way round", "mask-invert", False),
        ("show_mask", "Show &Mask", canvas.overlay.set_visible, "H",
         "Show or hide the mask overlay", "mask-visible", True),
        ("grow_mask", "&Grow Mask...", a.mask_margin.grow, None,
         "Widen the mask by a number of pixels: a margin around an object to remove", None,
         False),
        ("shrink_mask", "Shrin&k Mask...", a.mask_margin.shrink, None,
         "Narrow the mask by a number of pixels", None, False),
        # Its slot is the Repair panel's, connected where the panels are built (services).
        ("find_damage", "&Find Damage", None, None,
         "Propose a mask over scratches, dust, cracks and stains (Repair panel)", None, False),
        ("overlay_color", "Mask &Colour...", window.choose_overlay_color, None,
         "Choose the colour the mask is drawn in", None, False),
        ("getting_started", "&Getting Started", window.show_getting_started, "F1",
         "What Repair, Style, Enhance and Train do, and how to use them", None, False),
        ("keyboard_shortcuts", "&Keyboard Shortcuts", window.show_keyboard_shortcuts, "Ctrl+/",
         "Every key SD Studio knows", None, False),
        ("about", "&About SD Studio", window.show_about, None, "", None, False),
    )  # fmt: skip
    for name, text, slot, shortcut, tip, icon_name, checkable in rows:
        action = make_action(window, text, slot, shortcut, tip, icon_name, checkable)
        setattr(a, name, action)

    a.undo = document.undo_stack.createUndoAction(window, "&Undo")
    a.undo.setShortcuts([QKeySequence(keys.Undo)])
    a.undo.setIcon(icon("undo"))
    a.redo = document.undo_stack.createRedoAction(window, "&Redo")
    a.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    a.redo.setIcon(icon("redo"))
    set_tip(a.undo, "Undo the last step")
    set_tip(a.redo, "Redo the step you undid")
    canvas.compare_changed.connect(lambda: a.show_original.setChecked(canvas.showing_original))
    a.show_mask.setChecked(canvas.overlay.visible)
    # The overlay is also hidden and shown without this action (after Repair, when
    # painting again): the check mark follows it.
    canvas.overlay.changed.connect(lambda: a.show_mask.setChecked(canvas.overlay.visible))

    # Brush, eraser and the selection tools: the brush toolbar shows them (``tools``,
    # in order), the Mask menu lists them.
    a.tool_group, a.tools = build_tool_actions(window)
    a.brush, a.eraser = a.tools[TOOL_BRUSH], a.tools[TOOL_ERASER]

    def adjust_brush(change: str):
        return lambda: canvas.adjust_brush(change)  # triggered(checked) must not reach it

    for name, text, change, shortcut, tip in (
        ("bigger", "&Larger Brush", "grow", "]", "Make the brush larger"),
        ("smaller", "S&maller Brush", "shrink", "[", "Make the brush smaller"),
        # A US keyboard sends Shift+] as "}" with Shift still held: each spelling is
        # its own key sequence, and the first is the one menus show.
        ("harder", "&Harder Brush", "harder", ["Shift+]", "Shift+}", "}"],
         "Make the brush edge harder"),
        ("softer", "So&fter Brush", "softer", ["Shift+[", "Shift+{", "{"],
         "Make the brush edge softer"),
    ):  # fmt: skip
        setattr(a, name, make_action(window, text, adjust_brush(change), shortcut, tip))
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
