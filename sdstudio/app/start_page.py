"""What the window shows before any photo is open: ways to get one, instead of a grey void.

Open…, the recent photos (the same list as File > Open Recent), the example photo and a
hint that photos can be dropped. The window swaps it for the canvas when a photo opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from sdstudio import APP_NAME
from sdstudio.app import settings as keys

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

MAX_RECENT_SHOWN = 6  # the menu keeps more; the page stays one glance tall

_STYLE = """
#start_page { background: #262628; }
#start_title { font-size: 22pt; font-weight: 600; color: #f0f0f0; }
#start_subtitle, #start_hint { color: #a8a8a8; }
#start_heading { color: #d0d0d0; font-weight: 600; margin-top: 14px; }
#start_open { background: #2f5f9a; border-color: #3a82dc; padding: 8px 20px; }
#start_open:hover { background: #3a6fb0; }
QPushButton[recent="true"] {
    text-align: left; background: transparent; border: 1px solid transparent;
    padding: 3px 8px; min-height: 18px;
}
QPushButton[recent="true"]:hover { background: #3a3a3e; border-color: #55555a; }
"""


class StartPage(QWidget):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.setObjectName("start_page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(_STYLE)

        column = QFrame(self)
        column.setMaximumWidth(460)
        # Exactly as tall as its contents: between two stretches it would be squeezed.
        column.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(column)
        layout.setSpacing(8)
        title = QLabel(APP_NAME, column)
        title.setObjectName("start_title")
        subtitle = QLabel(
            "Repair, restyle and enhance photos on your own computer, offline.", column
        )
        subtitle.setObjectName("start_subtitle")
        subtitle.setWordWrap(True)
        self.open_button = QPushButton("Open a Photo…", column)
        self.open_button.setObjectName("start_open")
        self.open_button.setToolTip("Choose a photo to open (Ctrl+O)")
        self.open_button.clicked.connect(window.files.open_dialog)
        self.example_button = QPushButton("Try the Example Photo", column)
        self.example_button.setToolTip("Open the photo that comes with SD Studio")
        self.example_button.clicked.connect(window.files.open_example)
        recent_heading = QLabel("Recent photos", column)
        recent_heading.setObjectName("start_heading")
        self.recent_list = QVBoxLayout()
        self.recent_list.setSpacing(2)
        hint = QLabel("Or drop a photo anywhere in this window.", column)
        hint.setObjectName("start_hint")

        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(12)
        layout.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.example_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(recent_heading)
        layout.addLayout(self.recent_list)
        layout.addSpacing(12)
        layout.addWidget(hint)

        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addWidget(column, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(3)
        self.recent_buttons: list[QPushButton] = []
        self.refresh()

    def refresh(self) -> None:
        """Lists the recent photos as they are now (an entry that vanished is dropped on
        the click that finds it gone, the same as in the menu)."""
        while self.recent_list.count():
            item = self.recent_list.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.recent_buttons = []
        recent = keys.read_recent_files(self.window_.settings)[:MAX_RECENT_SHOWN]
        for entry in recent:
            path = Path(entry)
            button = QPushButton(f"{path.name}    {_short_folder(path.parent)}", self)
            button.setProperty("recent", True)
            button.setToolTip(entry)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, p=entry: self._open_recent(p))
            self.recent_list.addWidget(button)
            self.recent_buttons.append(button)
        if not recent:
            empty = QLabel("Photos you open will be listed here.", self)
            empty.setObjectName("start_hint")
            self.recent_list.addWidget(empty)

    def _open_recent(self, entry: str) -> None:
        if not self.window_.files.open_recent(entry):
            self.refresh()  # a missing file was forgotten: stop offering it


def _short_folder(folder: Path) -> str:
    """The folder with the home folder as ~, so the names line up and stay short."""
    try:
        return "~/" + folder.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(folder)
