"""The start page before any photo, and History's first row."""

from __future__ import annotations

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from sdstudio.app import settings as keys
from sdstudio.paths import example_photo_path
from tests.app.conftest import make_photo


def test_a_fresh_window_shows_the_start_page_not_an_empty_canvas(window):
    assert window.central_pages.currentWidget() is window.start_page
    assert window.start_page.isVisible() and not window.canvas.isVisible()
    assert window.start_page.open_button.isVisible()
    assert window.start_page.example_button.isVisible()
    # No history before there is a photo: not even "Opened photo".
    assert window.history_view.emptyLabel() == ""
    assert window.history_view.model().rowCount() == 0


def test_the_example_button_opens_the_example_photo(window, qtbot):
    canvas = window.canvas
    qtbot.mouseClick(window.start_page.example_button, Qt.MouseButton.LeftButton)
    assert window.document.path == example_photo_path()
    assert window.central_pages.currentWidget() is canvas is window.canvas
    assert canvas.isVisible() and not window.start_page.isVisible()
    # The canvas was on screen at its full size when it fitted the photo (a hidden page
    # is 100 x 30 pixels: fitted to that, the photo would be a speck).
    view = canvas.viewport().size()
    assert view.width() > 500
    width, height = window.document.size()
    expected = min(view.width() / width, view.height() / height, 1.0)
    assert canvas.zoom() == pytest.approx(expected, rel=0.01)
    assert window.history_view.emptyLabel() == "Opened photo"
    model = window.history_view.model()
    assert [model.index(row, 0).data() for row in range(model.rowCount())] == ["Opened photo"]


def test_a_recent_photo_opens_with_one_click(qtbot, tmp_path, monkeypatch):
    from sdstudio.app.main import create_application, create_main_window

    create_application()
    older, newer = tmp_path / "older.png", tmp_path / "newer.png"
    Image.fromarray(make_photo(80, 60)).save(older)
    Image.fromarray(make_photo(90, 70)).save(newer)
    settings = keys.app_settings()
    keys.remember_recent_file(settings, older)
    keys.remember_recent_file(settings, newer)
    settings.sync()

    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    buttons = window.start_page.recent_buttons
    assert [button.toolTip() for button in buttons] == [str(newer), str(older)]
    assert buttons[1].text().startswith("older.png")
    qtbot.mouseClick(buttons[1], Qt.MouseButton.LeftButton)
    assert window.document.path == older
    assert window.document.size() == (80, 60)
    assert window.central_pages.currentWidget() is window.canvas
    window.close()


def test_a_recent_photo_that_is_gone_is_dropped_from_the_page(qtbot, tmp_path, monkeypatch):
    from sdstudio.app.main import create_application, create_main_window
    from sdstudio.app.window import MainWindow

    create_application()
    settings = keys.app_settings()
    keys.remember_recent_file(settings, tmp_path / "moved-away.jpg")
    settings.sync()
    errors = []
    monkeypatch.setattr(MainWindow, "show_error", lambda self, title, msg: errors.append(msg))
    window = create_main_window()
    qtbot.addWidget(window)
    window.show()
    [button] = window.start_page.recent_buttons
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert errors and "no longer exists" in errors[0]
    assert window.start_page.recent_buttons == []
    assert window.central_pages.currentWidget() is window.start_page
    assert keys.read_recent_files(window.settings) == []
    window.close()


def test_the_open_button_asks_for_a_photo_and_opens_it(window, qtbot, photo_file, monkeypatch):
    asked = []
    monkeypatch.setattr(window, "ask_open_path", lambda folder: asked.append(folder) or photo_file)
    qtbot.mouseClick(window.start_page.open_button, Qt.MouseButton.LeftButton)
    assert asked and window.document.path == photo_file
    assert window.central_pages.currentWidget() is window.canvas
