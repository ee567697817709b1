"""Open, save and recent files for the main window.

Ctrl+S never writes over the file the photo came from: the first save goes to
``name_edited.ext`` beside it, and later ones to wherever the user last saved. Only Save
As onto the original, confirmed in a dialog, replaces it. A document restored from a
project file or an autosave knows its photo's path only from that file, which may name
any folder, so its first Ctrl+S asks (Save As, offered beside the project). Every write
is atomic (``imaging.save_image``), and every failure is shown to the person, changing
nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from sdstudio.app import project_document
from sdstudio.app import settings as keys
from sdstudio.app.save_quality import JPEG_FORMATS, estimate_jpeg_quality
from sdstudio.errors import UserFacingError
from sdstudio.imaging.image_io import (
    SAVE_FORMATS,
    edited_path,
    format_for_path,
    load_image,
    save_image,
)
from sdstudio.paths import example_photo_path

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

DEFAULT_QUALITY = 92


class DocumentFiles(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        # True while the document's source path came from a project file or an autosave:
        # a path a file states is not one the person chose to write to.
        self.source_from_file = False
        self.project_file: Path | None = None  # the project it was opened from / saved to
        # Keyed by the opened file (its LoadedImage), so a new photo starts afresh.
        self._chosen_quality: tuple[object, int] | None = None
        self._original_quality: tuple[object, int | None] = (None, None)
        window.document.path_changed.connect(self._on_path_changed)

    @property
    def document(self):
        return self.window.document

    @property
    def settings(self):
        return self.window.settings

    # -- open ---------------------------------------------------------------------------
    def open_dialog(self) -> bool:
        path = self.window.ask_open_path(self.last_folder())
        return self.open_path(path) if path else False

    def open_example(self) -> bool:
        return self.open_path(example_photo_path())

    def open_path(self, path: str | Path) -> bool:
        """Opens ``path`` after asking about unsaved changes; False if it did not open."""
        path = Path(path)
        if not self.maybe_save_changes():
            return False
        try:
            loaded = load_image(path)
        except UserFacingError as error:
            self.window.show_error("Cannot open the photo", str(error))
            return False
        self.document.open_loaded(loaded)
        self._remember(path)
        message = f"Opened {path.name}"
        if loaded.notes:
            message += " — " + " ".join(loaded.notes)
        self.window.statusBar().showMessage(message, 8000)
        return True

    def last_folder(self) -> str:
        return str(self.settings.value(keys.KEY_LAST_FOLDER, str(Path.home())))

    def _remember(self, path: Path) -> None:
        """A photo opened or saved: its folder is where the next dialog starts, and it
        heads the recent files."""
        self.settings.setValue(keys.KEY_LAST_FOLDER, str(path.resolve().parent))
        keys.remember_recent_file(self.settings, path.resolve())

    def fill_recent_menu(self) -> None:
        menu = self.window.recent_menu
        menu.clear()
        recent = keys.read_recent_files(self.settings)
        for entry in recent:
            action = menu.addAction(Path(entry).name)
            action.setToolTip(entry)
            action.setStatusTip(entry)
            action.triggered.connect(lambda _=False, p=entry: self.open_recent(p))
        if not recent:
            menu.addAction("No recent photos").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear Recent", self.clear_recent)

    def open_recent(self, entry: str) -> bool:
        if not Path(entry).exists():
            keys.forget_recent_file(self.settings, entry)
            self.window.show_error(
                "Cannot open the photo",
                f"'{entry}' no longer exists; it was removed from the list.",
            )
            return False
        return self.open_path(entry)

    def clear_recent(self) -> None:
        self.settings.setValue(keys.KEY_RECENT_FILES, [])

    def _on_path_changed(self) -> None:
        # Opening (a photo, a project, an autosave) or saving: restoring is the only way a
        # path that nobody picked in a dialog or on the command line becomes the source.
        self.source_from_file = project_document.is_restoring()
        self.project_file = None

    def remember_project_file(self, path: Path) -> None:
        """The project the document was opened from or saved to: Save As is offered there."""
        self.project_file = Path(path)

    # -- save ---------------------------------------------------------------------------
    def default_save_path(self) -> Path | None:
        """Where Ctrl+S writes without asking; None when Save As has to ask."""
        if self.document.save_target is not None:
            return self.document.save_target
        source = self.document.source
        if source is None or source.path is None or self.source_from_file:
            return None
        return _edited_name_for(Path(source.path))

    def suggested_save_path(self) -> Path:
        """What Save As offers: never an existing file, never a folder a file named."""
        target = self.default_save_path()
        if target is not None:
            return target
        source = self.document.source
        if not self.source_from_file or source is None or source.path is None:
            return Path(self.last_folder()) / "untitled.png"
        suffix = Path(source.path).suffix
        if self.project_file is not None:
            return _edited_name_for(self.project_file.with_suffix(suffix))
        name = Path(source.path).name or "untitled.png"
        return _edited_name_for(Path(self.last_folder()) / name)

    def save(self) -> bool:
        if not self.document.has_image():
            return False
        target = self.default_save_path()
        if target is None:
            return self.save_as()
        return self._write(target, format_for_path(target), self.save_quality())

    def save_as(self) -> bool:
        if not self.document.has_image():
            return False
        choice = self.window.ask_save_path(self.suggested_save_path())
        if choice is None:
            return False
        target, fmt = choice
        if fmt is None:
            try:
                fmt = format_for_path(target)
            except UserFacingError as error:
                self.window.show_error("Cannot save the photo", str(error))
                return False
        elif not target.suffix:
            target = target.with_suffix(SAVE_FORMATS[fmt].extensions[0])
        if self._is_original(target) and not self.window.confirm_overwrite_original(target):
            return False
        quality = self.save_quality()
        if SAVE_FORMATS[fmt].supports_quality:
            chosen = self.window.ask_quality(SAVE_FORMATS[fmt].display_name, quality)
            if chosen is None:
                return False
            quality = chosen
            self._chosen_quality = (self.document.source, quality)
            self.settings.setValue(keys.KEY_SAVE_QUALITY, quality)
        return self._write(target, fmt, quality)

    # -- quality ------------------------------------------------------------------------
    def save_quality(self) -> int:
        """The quality chosen for this photo in Save As; else the original JPEG's, so an
        edit is not written much larger (or worse) than the photo it came from; else the
        one last chosen for any photo."""
        chosen = self._chosen_quality
        if chosen is not None and chosen[0] is self.document.source:
            return chosen[1]
        original = self.original_quality()
        if original is not None:
            return original
        return int(keys.read_number(self.settings, keys.KEY_SAVE_QUALITY, DEFAULT_QUALITY))

    def original_quality(self) -> int | None:
        """The opened JPEG's quality, from its header; None for other formats."""
        source = self.document.source
        if source is None or source.path is None or source.format not in JPEG_FORMATS:
            return None
        if self._original_quality[0] is not source:
            self._original_quality = (source, estimate_jpeg_quality(source.path))
        return self._original_quality[1]

    def _is_original(self, target: Path) -> bool:
        source = self.document.source
        if source is None or source.path is None:
            return False
        try:
            return target.resolve() == Path(source.path).resolve()
        except OSError:
            return False

    def _write(self, target: Path, fmt: str, quality: int) -> bool:
        source = self.document.source
        try:
            save_image(
                self.document.image,
                target,
                format=fmt,
                quality=quality,
                exif=source.exif if source else None,
                icc_profile=source.icc_profile if source else None,
                dpi=source.dpi if source else None,
            )
        except UserFacingError as error:
            self.window.show_error("Cannot save the photo", str(error))
            return False
        self.document.mark_saved(target)
        self._remember(target)
        self.window.statusBar().showMessage(f"Saved {target}", 8000)
        return True

    # -- unsaved changes ----------------------------------------------------------------
    def maybe_save_changes(self) -> bool:
        """True when it is fine to drop the current document (saved or discarded)."""
        if not self.document.has_image() or not self.document.is_modified():
            return True
        answer = self.window.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"


def _edited_name_for(path: Path) -> Path:
    """``name_edited.ext`` beside ``path`` (a PNG for formats SD Studio cannot write)."""
    try:
        format_for_path(path)
        return edited_path(path)
    except UserFacingError:  # opened a format we cannot write (GIF), or no extension
        return edited_path(path.with_suffix(".png"))
