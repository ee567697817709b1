"""Help > Keyboard Shortcuts and Help > Getting Started.

The shortcuts table is read from the window's own actions each time it opens, so it can
never list a key the app does not have, nor miss one another part of the app added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
)

from sdstudio import APP_NAME

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

# Keys handled without a QAction: held keys and gestures on the canvas, and the job
# controller's Esc (a QShortcut, live only while a job runs).
CANVAS_KEYS: list[tuple[str, str]] = [
    ("Pan the photo", "Space+drag or middle-drag"),
    ("Zoom around the cursor", "Mouse wheel"),
    ("Show the original while held", "Hold \\"),
    ("Brush size smaller / larger", "[ / ]"),
    ("Brush edge softer / harder", "{ / } (Shift+[ / Shift+])"),
]
CANVAS_SECTION = "Canvas"
JOB_KEYS: list[tuple[str, str]] = [("Cancel the running job", "Esc")]
JOBS_SECTION = "Jobs"
OTHER_SECTION = "Other"


def action_label(action: QAction) -> str:
    """An action's menu text without mnemonics, hints after a tab, or trailing dots."""
    text = action.text().split("\t")[0].replace("&&", "\0").replace("&", "").replace("\0", "&")
    return text.removesuffix("...").removesuffix("…").strip()


def action_keys(action: QAction) -> str:
    return " or ".join(
        sequence.toString(QKeySequence.SequenceFormat.NativeText)
        for sequence in action.shortcuts()
        if not sequence.isEmpty()
    )


def shortcut_rows(window: MainWindow) -> list[tuple[str, str, str]]:
    """(section, what, keys) for every action with a shortcut, menu by menu, then the
    canvas's own keys and Esc. An action found in no menu is listed under "Other"."""
    rows: list[tuple[str, str, str]] = []
    listed: set[int] = set()

    def visit(menu: QMenu, section: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                visit(action.menu(), section)
            elif not action.shortcut().isEmpty() and id(action) not in listed:
                listed.add(id(action))
                rows.append((section, action_label(action), action_keys(action)))

    for top in window.menuBar().actions():
        if top.menu() is not None:
            visit(top.menu(), action_label(top))
    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty() and id(action) not in listed:
            listed.add(id(action))
            rows.append((OTHER_SECTION, action_label(action), action_keys(action)))
    rows.extend((CANVAS_SECTION, what, keys) for what, keys in CANVAS_KEYS)
    rows.extend((JOBS_SECTION, what, keys) for what, keys in JOB_KEYS)
    return rows


class KeyboardShortcutsDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 640)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a list to read, not to edit
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.refresh(window)

    def refresh(self, window: MainWindow) -> None:
        self.table.setRowCount(0)
        bold = QFont(self.font())
        bold.setBold(True)
        section = None
        for row_section, what, keys in shortcut_rows(window):
            if row_section != section:
                section = row_section
                heading = QTableWidgetItem(section)
                heading.setFont(bold)
                self._append(heading, None)
            self._append(QTableWidgetItem("    " + what), QTableWidgetItem(keys))

    def _append(self, what: QTableWidgetItem, keys: QTableWidgetItem | None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, what)
        if keys is None:
            self.table.setSpan(row, 0, 1, 2)
        else:
            self.table.setItem(row, 1, keys)

    def listed(self) -> list[tuple[str, str]]:
        """(what, keys) of every shortcut row, as the person reads them."""
        rows = []
        for row in range(self.table.rowCount()):
            keys = self.table.item(row, 1)
            if keys is not None:
                rows.append((self.table.item(row, 0).text().strip(), keys.text()))
        return rows


GETTING_STARTED_HTML = f"""
<h2>Getting started with {APP_NAME}</h2>
<p>Open a photo with <b>File &gt; Open</b> (Ctrl+O), by dropping it on the window, or try
the example photo. Everything runs on this computer; nothing is uploaded. Every change is
one step in the History panel, and Ctrl+Z undoes it. <b>File &gt; Save</b> (Ctrl+S)
writes <i>name_edited</i> beside your photo and never replaces the original.</p>

<h3>Repair</h3>
<p>Paint a mask over scratches, dust, stains, tears or an unwanted object with the brush
(B; <b>[</b> and <b>]</b> change its size, the eraser is E), then click <b>Repair</b> in
the Repair tab. The masked area is filled from its surroundings: by SD Studio's trained
repair network, or a classical method (Telea is the fastest).</p>

<h3>Style</h3>
<p>Click a look in the Style tab (oil painting, watercolour, pencil sketch, cartoon and
more); the strength slider sets how much of it you get. With a mask painted, only the
masked area changes.</p>

<h3>Enhance</h3>
<p>Upscale x2 or x4, denoise, sharpen and auto contrast in one job: set them in the
Enhance tab and click <b>Enhance</b>. Hold <b>\\</b> over the photo to compare with the
original, or use View &gt; Split Compare (Y) for a divider you can drag.</p>

<h3>Train</h3>
<p><b>Train &gt; Train a model on your photos…</b> walks you through fine-tuning a
network on a folder of your own photos. When it is done, the new model appears in the
panels beside the built-in ones.</p>

<p>Jobs run in the background and can be cancelled; the photo stays usable meanwhile.
<b>Help &gt; Keyboard Shortcuts</b> lists every key.</p>
"""


class GettingStartedDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Getting Started")
        self.resize(560, 600)
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(False)
        self.text.setHtml(GETTING_STARTED_HTML)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
