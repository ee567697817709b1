from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QDropEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from sdstudio.app import file_ops
from sdstudio.errors import ImageSaveError
from tests.app.canvas_helpers import drag
from tests.app.conftest import make_photo


def _paint(window):
    canvas = window.canvas
    a = canvas.map_from_image(QPointF(100, 100)).toPoint()
    drag(canvas, [a, a + QPoint(40, 10)])
    assert not window.document.mask_is_empty()


def _edit_pixels(window):
    inverted = 255 - window.document.image
    window.document.apply_result("Invert", inverted, {"task": "test"})
    return inverted


def test_title_shows_name_and_unsaved_mark(window, photo_file):
    assert window.windowTitle() == "SD Studio"
    assert window.open_path(photo_file)
    assert window.windowTitle() == "photo.png — SD Studio"
    _paint(window)
    assert window.windowTitle() == "photo.png* — SD Studio"
    window.document.undo_stack.undo()
    assert window.windowTitle() == "photo.png — SD Studio"


def test_ctrl_o_opens_the_chosen_file(window, photo_file, monkeypatch):
    monkeypatch.setattr(window, "ask_open_path", lambda folder: str(photo_file))
    QTest.keyClick(window.canvas, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.document.path == photo_file
    assert window.size_label.text() == "320 × 240"


def test_dropping_a_file_opens_it(window, photo_file):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo_file))])
    event = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert window.document.path == photo_file and event.isAccepted()


def test_launch_opens_the_command_line_path(photo_file, monkeypatch, qapp):
    from sdstudio.app import main
    from sdstudio.app.window import MainWindow

    monkeypatch.setattr(main, "install_crash_reporting", lambda app: None)
    seen = {}

    def check_and_close():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        window = windows[-1]
        seen["path"] = window.document.path
        seen["title"] = window.windowTitle()
        window.close()

    QTimer.singleShot(0, check_and_close)
    assert main.launch([str(photo_file)]) == 0
    assert seen == {"path": photo_file, "title": "photo.png — SD Studio"}


def test_open_recent_lists_and_reopens_files(window, photo_file, jpeg_file):
    window.open_path(photo_file)
    window.open_path(jpeg_file)
    window.files.fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.toolTip().endswith((".png", ".jpg"))]
    assert [a.text() for a in entries] == ["holiday.jpg", "photo.png"]
    entries[1].trigger()
    assert window.document.path == photo_file.resolve()


def test_ctrl_s_writes_beside_the_original_and_round_trips(window, photo_file):
    original_bytes = photo_file.read_bytes()
    window.open_path(photo_file)
    edited = _edit_pixels(window)
    QTest.keyClick(window.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = photo_file.with_name("photo_edited.png")
    assert saved.exists() and photo_file.read_bytes() == original_bytes
    assert window.windowTitle() == "photo_edited.png — SD Studio"
    with Image.open(saved) as reopened:
        assert np.array_equal(np.asarray(reopened.convert("RGB")), edited)
        assert reopened.getexif()[0x010F] == "SDStudioTestCam"
        assert reopened.info["icc_profile"] == Image.open(photo_file).info["icc_profile"]
    assert window.open_path(saved)  # and the app reads its own output
    assert np.array_equal(window.document.image, edited)


def test_jpeg_save_keeps_exif_and_icc_and_never_touches_the_original(window, jpeg_file):
    original_bytes = jpeg_file.read_bytes()
    window.open_path(jpeg_file)
    _edit_pixels(window)
    assert window.files.save()
    _edit_pixels(window)
    assert window.files.save()  # the second save updates our own edited file
    saved = jpeg_file.with_name("holiday_edited.jpg")
    assert jpeg_file.read_bytes() == original_bytes
    assert sorted(p.name for p in jpeg_file.parent.iterdir()) == [
        "holiday.jpg",
        "holiday_edited.jpg",
    ]
    with Image.open(saved) as reopened:
        assert reopened.getexif()[0x010F] == "SDStudioTestCam"
        assert reopened.info.get("icc_profile")
        diff = np.abs(np.asarray(reopened, dtype=int) - make_photo().astype(int)).mean()
        assert diff < 4  # inverted twice: the photo again, up to JPEG loss


def test_save_as_over_the_original_asks_first(window, jpeg_file, monkeypatch):
    original_bytes = jpeg_file.read_bytes()
    window.open_path(jpeg_file)
    _edit_pixels(window)
    monkeypatch.setattr(window, "ask_save_path", lambda suggested: (jpeg_file, None))
    monkeypatch.setattr(window, "ask_quality", lambda name, current: 75)
    answers = []
    monkeypatch.setattr(window, "confirm_overwrite_original", lambda p: answers.pop(0))
    answers.append(False)
    assert not window.files.save_as()
    assert jpeg_file.read_bytes() == original_bytes and window.document.is_modified()
    answers.append(True)
    assert window.files.save_as()
    assert jpeg_file.read_bytes() != original_bytes and not window.document.is_modified()


def test_save_as_another_format_with_quality(window, photo_file, monkeypatch, tmp_path):
    window.open_path(photo_file)
    target = tmp_path / "out" / "small"
    target.parent.mkdir()
    asked = []
    monkeypatch.setattr(window, "ask_save_path", lambda suggested: (target, "WEBP"))
    monkeypatch.setattr(window, "ask_quality", lambda name, current: asked.append(name) or 60)
    assert window.files.save_as()
    assert asked == ["WebP"]
    with Image.open(tmp_path / "out" / "small.webp") as written:
        assert written.format == "WEBP" and written.size == (320, 240)


def _bomb_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


BAD_FILES = {
    "empty.jpg": b"",
    "notes.png": b"this is a shopping list, not a picture\n",
    "bomb.png": _bomb_png(30000, 30000),
    "too_wide.png": _bomb_png(40000, 8),
}


@pytest.mark.parametrize("name", [*BAD_FILES, "truncated.jpg", "missing.jpg", "folder"])
def test_bad_input_shows_an_error_and_changes_nothing(window, photo_file, tmp_path, name):
    window.open_path(photo_file)
    _paint(window)
    image_before, mask_before = window.document.image.copy(), window.document.mask.copy()
    bad = tmp_path / name
    if name in BAD_FILES:
        bad.write_bytes(BAD_FILES[name])
    elif name == "truncated.jpg":
        good = tmp_path / "good.jpg"
        Image.fromarray(make_photo()).save(good, quality=90)
        bad.write_bytes(good.read_bytes()[:2000])
    elif name == "folder":
        bad.mkdir()
    window.document.undo_stack.setClean()  # so opening does not ask about the mask
    assert not window.open_path(bad)
    assert len(window.errors) == 1 and window.errors[0][0] == "Cannot open the photo"
    assert len(window.errors[0][1]) > 20
    assert window.document.path == photo_file
    assert np.array_equal(window.document.image, image_before)
    assert np.array_equal(window.document.mask, mask_before)


def test_failed_save_shows_an_error_and_keeps_the_edit(window, photo_file, monkeypatch):
    def read_only(*args, **kwargs):
        raise ImageSaveError("The folder is read-only, so 'photo_edited.png' was not saved.")

    monkeypatch.setattr(file_ops, "save_image", read_only)
    window.open_path(photo_file)
    _edit_pixels(window)
    assert not window.files.save()
    assert window.errors == [
        ("Cannot save the photo", "The folder is read-only, so 'photo_edited.png' was not saved.")
    ]
    assert window.document.is_modified()
    assert not photo_file.with_name("photo_edited.png").exists()


def test_closing_with_unsaved_changes_asks(window, photo_file, monkeypatch):
    window.open_path(photo_file)
    _edit_pixels(window)
    monkeypatch.setattr(window, "ask_save_changes", lambda: "cancel")
    assert not window.close() and window.isVisible()
    monkeypatch.setattr(window, "ask_save_changes", lambda: "save")
    assert window.close()
    assert photo_file.with_name("photo_edited.png").exists()


def test_opening_another_file_over_unsaved_changes_asks(window, photo_file, jpeg_file, monkeypatch):
    window.open_path(photo_file)
    _paint(window)
    monkeypatch.setattr(window, "ask_save_changes", lambda: "cancel")
    assert not window.open_path(jpeg_file)
    assert window.document.path == photo_file and not window.document.mask_is_empty()


def test_settings_persist_across_windows(qtbot, monkeypatch, photo_file):
    from sdstudio.app.main import create_main_window

    first = create_main_window()
    qtbot.addWidget(first)
    first.show()
    first.resize(700, 500)
    first.open_path(photo_file)
    QTest.keyClick(first.canvas, Qt.Key.Key_BracketRight)
    first.canvas.set_brush(hardness=0.3)
    first.canvas.overlay.set_opacity(0.8)
    first.canvas.overlay.set_color(QColor(0, 255, 255))
    brush_size = first.canvas.brush.size
    assert first.close()

    second = create_main_window()
    qtbot.addWidget(second)
    assert second.canvas.brush.size == pytest.approx(brush_size)
    assert second.canvas.brush.hardness == pytest.approx(0.3)
    assert second.canvas.overlay.opacity == pytest.approx(0.8)
    assert second.canvas.overlay.color.name() == "#00ffff"
    assert second.size().width() == 700 and second.size().height() == 500
    assert second.files.last_folder() == str(photo_file.parent.resolve())


def test_history_panel_lists_every_step(window, photo_file):
    window.open_path(photo_file)
    _paint(window)
    window.document.invert_mask()
    _edit_pixels(window)
    model = window.history_view.model()
    rows = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert rows == ["Opened photo", "Paint mask", "Invert mask", "Invert"]
    QTest.keyClick(window.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert window.document.mask_is_empty() and model.rowCount() == 5


def test_every_action_with_a_shortcut_names_it_in_its_tooltip(window):
    with_keys = [
        a for a in window.findChildren(type(window.actions_.open)) if not a.shortcut().isEmpty()
    ]
    assert len(with_keys) >= 15
    for action in with_keys:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert keys in action.toolTip(), action.text()


def test_menus_for_other_parts_exist(window):
    assert window.train_menu.title() == "&Train" and window.models_menu.title() == "&Models"
    assert window.panel_tabs is window.tasks_dock.widget()


def test_example_photo_opens(window):
    assert window.files.open_example()
    assert window.document.image.shape == (400, 600, 3)
    assert Path(window.document.path).name == "example.jpg"


def test_ctrl_s_on_a_format_we_cannot_write_saves_a_png_beside_it(window, tmp_path):
    gif = tmp_path / "anim.gif"
    Image.fromarray(make_photo(40, 30)).convert("P").save(gif)
    (tmp_path / "anim_edited.png").write_bytes(b"someone else's file")
    assert window.open_path(gif)
    assert window.files.save()
    assert (tmp_path / "anim_edited.png").read_bytes() == b"someone else's file"
    with Image.open(tmp_path / "anim_edited-2.png") as written:
        assert written.size == (40, 30)
