"""Save As asks the quality (starting from the original's), and Open previews the photo."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QTreeView

from sdstudio.app import file_dialogs
from sdstudio.app import settings as keys
from sdstudio.app.file_dialogs import QualityDialog
from sdstudio.app.save_quality import estimate_jpeg_quality
from tests.app.conftest import make_photo


def _answer_quality(value: int | None, seen: list) -> None:
    """Answers the next quality dialog as a person would: types ``value`` and clicks Save
    (None: Cancel). Records what the dialog offered first, and its note."""

    def answer(tries_left: int = 200) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QualityDialog):
            # Sending the key press runs the event loop once before the dialog opens.
            assert tries_left, "no quality dialog was shown"
            QTimer.singleShot(10, lambda: answer(tries_left - 1))
            return
        note = dialog.findChild(QLabel, "quality_original_note")
        seen.append((dialog.spin.value(), note.text() if note else None))
        buttons = dialog.findChild(QDialogButtonBox)
        if value is None:
            QTest.mouseClick(
                buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton
            )
            return
        dialog.spin.selectAll()
        QTest.keyClicks(dialog.spin, str(value))
        assert dialog.slider.value() == value  # the slider follows the number
        QTest.mouseClick(
            buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
        )

    QTimer.singleShot(0, answer)


def _save_as(window) -> None:
    """File > Save As…, picked from the menu (a closed dialog leaves no window active
    offscreen, so a key press would reach no window shortcut)."""
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    [save_as] = [a for a in file_menu.actions() if a.text() == "Save &As..."]
    save_as.trigger()


def test_save_as_quality_sets_the_size_and_is_remembered(
    window, jpeg_file, photo_file, tmp_path, monkeypatch
):
    assert window.open_path(jpeg_file)  # saved at quality 95
    targets = iter([tmp_path / "low.jpg", tmp_path / "high.jpg", tmp_path / "never.webp"])
    monkeypatch.setattr(window, "ask_save_path", lambda suggested: (next(targets), None))
    seen: list = []

    _answer_quality(60, seen)
    _save_as(window)
    # It starts from the original's quality, and says so.
    assert seen[0] == (95, "The original photo was saved at quality 95.")
    assert estimate_jpeg_quality(tmp_path / "low.jpg") == 60

    _answer_quality(95, seen)
    _save_as(window)
    assert seen[1][0] == 60  # what was chosen for this photo, not the original's again
    assert (tmp_path / "low.jpg").stat().st_size < (tmp_path / "high.jpg").stat().st_size
    assert keys.read_number(window.settings, keys.KEY_SAVE_QUALITY, 0) == 95

    # Another photo, not a JPEG: it starts from the quality chosen last.
    window.settings.setValue(keys.KEY_SAVE_QUALITY, 70)
    assert window.open_path(photo_file)
    _answer_quality(None, seen)
    _save_as(window)
    assert seen[2] == (70, None)
    assert not (tmp_path / "never.webp").exists()  # Cancel writes nothing


def test_ctrl_s_keeps_the_original_jpeg_quality(window, tmp_path):
    original = tmp_path / "camera.jpg"
    Image.fromarray(make_photo(320, 240)).save(original, quality=70)
    window.settings.setValue(keys.KEY_SAVE_QUALITY, 98)  # chosen once, for another photo
    assert window.open_path(original)
    window.document.apply_result("Invert", 255 - window.document.image, {"task": "test"})
    QTest.keyClick(window.canvas, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert estimate_jpeg_quality(tmp_path / "camera_edited.jpg") == 70


def _click_file(qtbot, dialog, name: str) -> None:
    tree = dialog.findChild(QTreeView, "treeView")
    qtbot.waitUntil(lambda: tree.model().rowCount(tree.rootIndex()) > 0)
    model = tree.model()
    root = tree.rootIndex()
    rows = [model.index(row, 0, root) for row in range(model.rowCount(root))]
    [index] = [i for i in rows if i.data() == name]
    rect = tree.visualRect(index)
    QTest.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center()
    )


def test_the_open_dialog_previews_the_selected_photo(window, qtbot, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(make_photo(600, 400)).save(folder / "wide.jpg", quality=90)
    # A camera JPEG stored sideways: the preview shows it upright, as the editor will.
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.fromarray(make_photo(300, 200)).save(folder / "sideways.jpg", exif=exif)
    dialog = window.make_open_dialog(str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.preview.pixmap().isNull()

    _click_file(qtbot, dialog, "wide.jpg")
    thumbnail = dialog.preview.pixmap()
    assert not thumbnail.isNull()
    assert max(thumbnail.width(), thumbnail.height()) <= file_dialogs.PREVIEW_SIDE
    assert thumbnail.width() > thumbnail.height()
    assert dialog.preview_info.text().startswith("600 × 400 · ")

    dialog.selectFile(str(folder / "sideways.jpg"))  # a selection made by the program
    upright = dialog.preview.pixmap()
    assert not upright.isNull() and upright.height() > upright.width()
    dialog.reject()


def test_the_preview_never_decodes_a_huge_file_in_full(window, qtbot, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    folder.mkdir()
    Image.fromarray(make_photo(400, 300)).save(folder / "big.png")
    Image.fromarray(make_photo(400, 300)).save(folder / "big.jpg")
    (folder / "notes.png").write_bytes(b"not an image at all")
    # As if these were 100 MP: a PNG has no reduced decode, so it is not previewed...
    monkeypatch.setattr(file_dialogs, "PREVIEW_MAX_PIXELS", 50_000)
    dialog = window.make_open_dialog(str(folder))
    qtbot.addWidget(dialog)
    dialog.show()
    _click_file(qtbot, dialog, "big.png")
    assert dialog.preview.pixmap().isNull()
    assert "too large to preview" in dialog.preview_info.text()
    assert "400 × 300" in dialog.preview_info.text()
    # ...while a JPEG decodes at a fraction of its size, so it always is.
    _click_file(qtbot, dialog, "big.jpg")
    assert not dialog.preview.pixmap().isNull()
    _click_file(qtbot, dialog, "notes.png")
    assert dialog.preview.pixmap().isNull()
    assert "not a photo" in dialog.preview_info.text()
    dialog.reject()


def test_file_open_uses_the_previewing_dialog(window, photo_file, monkeypatch):
    shown = []

    def accept_photo(dialog):
        shown.append(dialog)
        dialog.selectFile(str(photo_file))
        return 1  # Accepted, as if Open were clicked

    monkeypatch.setattr(file_dialogs.OpenPhotoDialog, "exec", accept_photo)
    QTest.keyClick(window.canvas, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    assert window.document.path == photo_file
    [dialog] = shown
    assert not dialog.preview.pixmap().isNull()
