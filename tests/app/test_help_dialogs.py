"""Help > Keyboard Shortcuts lists the window's real keys; Help > Getting Started."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest

from sdstudio.app.help_dialogs import GettingStartedDialog, KeyboardShortcutsDialog


def _help_action(window, text: str) -> QAction:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    return next(a for a in help_menu.actions() if a.text().replace("&", "") == text)


def test_the_shortcuts_dialog_lists_every_action_that_has_a_key(window):
    _help_action(window, "Keyboard Shortcuts").trigger()
    dialog = window.findChild(KeyboardShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    listed = dialog.listed()
    listed_keys = {keys for _, keys in listed}
    with_keys = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(with_keys) >= 20  # File, Edit, View, Mask, Help, the panels' Esc...
    for action in with_keys:
        first_key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        name = action.text().split("\t")[0].replace("&", "").removesuffix("...").strip()
        matching = [keys for what, keys in listed if what.removesuffix("…") == name]
        assert matching, f"{name!r} is missing"
        assert any(first_key in keys for keys in matching), (name, first_key, matching)
    # Both spellings of the hardness keys, and the keys the canvas handles itself.
    assert any("Shift+[" in keys and "Shift+{" in keys for keys in listed_keys)
    canvas_rows = dict(listed)
    assert "Space" in canvas_rows["Pan the photo"]
    assert "\\" in canvas_rows["Show the original while held"]
    assert "[ / ]" in canvas_rows["Brush size smaller / larger"]
    assert "{ / }" in canvas_rows["Brush edge softer / harder"]


def test_the_shortcuts_dialog_names_its_sections_after_the_menus(window):
    QTest.keyClick(window.canvas, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    dialog = window.findChild(KeyboardShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    table = dialog.table
    headings = [
        table.item(row, 0).text() for row in range(table.rowCount()) if table.item(row, 1) is None
    ]
    assert headings[:4] == ["File", "Edit", "View", "Mask"]
    assert headings[-2:] == ["Canvas", "Jobs"]
    # Asking again shows the same window, not a second one.
    QTest.keyClick(window.canvas, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    assert len(window.findChildren(KeyboardShortcutsDialog)) == 1


def test_getting_started_explains_the_four_tasks(window):
    QTest.keyClick(window.canvas, Qt.Key.Key_F1)
    dialog = window.findChild(GettingStartedDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.text.toPlainText()
    for task in ("Repair", "Style", "Enhance", "Train"):
        assert f"\n{task}\n" in text, task
    assert "Train a model on your photos" in text
    assert "never replaces the original" in text
