"""Autosave and crash recovery for the main window.

Every few edits (or minutes) while the photo has unsaved changes, the session is
captured on the UI thread (copies of the image and mask only) and written as a project
file to the user data folder's ``recovery/`` on a background thread, atomically, so the
canvas never waits and a kill during a write leaves the previous autosave. The file is
removed once the work is saved (the undo stack becomes clean) or discarded (the window
closes), so what remains after a start is what a crash or a kill left.

Each running window holds a lock file beside its autosave; on start, autosaves whose
lock can be taken (their process is gone) are offered for restore.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox

from sdstudio.app import project_document
from sdstudio.app import settings as keys
from sdstudio.app.fatal_errors import crash_notice, take_ended_sessions
from sdstudio.errors import UserFacingError
from sdstudio.session.autosave_store import (
    RecoveryEntry,
    list_recoveries,
    new_session_id,
    recovery_dir,
    remove_recovery,
    write_recovery,
)
from sdstudio.session.project_file import read_project

if TYPE_CHECKING:
    from sdstudio.app.window import MainWindow

log = logging.getLogger(__name__)

KEY_EVERY_EDITS = "autosave/every_edits"
KEY_EVERY_MINUTES = "autosave/every_minutes"
DEFAULT_EVERY_EDITS = 5
DEFAULT_EVERY_MINUTES = 2.0
RestoreChoice = Literal["restore", "discard", "later"]


def _lock_for(session_id: str) -> QLockFile:
    lock = QLockFile(str(recovery_dir() / f"{session_id}.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long it ran
    return lock


class Autosave(QObject):
    """Owns this window's recovery file; removed when the window closes (``shut_down``)."""

    write_finished = Signal(str)  # "" when written, else the message shown to the person

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.every_edits = max(
            1, int(keys.read_number(window.settings, KEY_EVERY_EDITS, DEFAULT_EVERY_EDITS))
        )
        minutes = keys.read_number(window.settings, KEY_EVERY_MINUTES, DEFAULT_EVERY_MINUTES)
        self.session_id = new_session_id()
        self._lock = _lock_for(self.session_id)
        self._lock.tryLock(0)
        self._edits_since_save = 0
        self._writer: threading.Thread | None = None
        self._again_after_write = False
        self.last_error = ""
        self.crash_notice = ""  # while recovery is offered: how the last session ended
        self.saves = 0  # autosaves written by this window
        self.timer = QTimer(self)
        self.timer.setInterval(max(5_000, int(minutes * 60_000)))
        self.timer.timeout.connect(self._on_timer)
        self.timer.start()
        stack = self.document.undo_stack
        stack.indexChanged.connect(self._on_edit)
        stack.cleanChanged.connect(self._on_clean_changed)
        self.write_finished.connect(self._on_write_finished)  # queued: emitted off-thread

    # -- when to save ----------------------------------------------------------------------
    @Slot(int)
    def _on_edit(self, _index: int) -> None:
        try:
            modified = self.document.is_modified()
        except RuntimeError:  # the stack's destructor reports its last index change
            return
        if not modified:
            return
        self._edits_since_save += 1
        if self._edits_since_save >= self.every_edits:
            # After the current event: a project being restored replays many steps at once.
            QTimer.singleShot(0, self._save_if_due)

    def _save_if_due(self) -> None:
        if self._edits_since_save >= self.every_edits:
            self.save_now()

    @Slot()
    def _on_timer(self) -> None:
        if self._edits_since_save > 0:
            self.save_now()

    @Slot(bool)
    def _on_clean_changed(self, clean: bool) -> None:
        try:
            self.document.undo_stack.count()
        except RuntimeError:  # the stack is being destroyed, not saved: keep the autosave
            return
        if clean:  # saved, or a fresh photo or project opened: nothing to recover
            self._edits_since_save = 0
            if self._writer is None:
                remove_recovery(self.session_id)

    # -- writing ---------------------------------------------------------------------------
    def is_writing(self) -> bool:
        return self._writer is not None

    def save_now(self) -> bool:
        """Starts a background autosave of the current state; False if nothing to save."""
        document = self.document
        if not document.has_image() or not document.is_modified():
            return False
        if self._writer is not None:
            self._again_after_write = True  # the newest state follows this write
            return True
        snapshot = project_document.capture(document, max_steps=document.history.max_steps)
        self._edits_since_save = 0
        self._writer = threading.Thread(
            target=self._write, args=(snapshot,), name="sdstudio-autosave", daemon=True
        )
        self._writer.start()
        return True

    def _write(self, snapshot: project_document.DocumentSnapshot) -> None:
        try:
            write_recovery(self.session_id, snapshot.to_project())
            message = ""
        except UserFacingError as exc:
            message = str(exc)
        except Exception as exc:  # never let a bug in a background save go unseen
            log.exception("Autosave failed")
            message = f"{type(exc).__name__}: {exc}"
        try:
            self.write_finished.emit(message)
        except RuntimeError:  # the window is gone; nothing left to tell
            pass

    @Slot(str)
    def _on_write_finished(self, message: str) -> None:
        if self._writer is not None:
            self._writer.join()
        self._writer = None
        status = self.window.statusBar()
        if message:
            self.last_error = message
            status.showMessage(f"Autosave failed: {message}", 15_000)
        else:
            self.last_error = ""
            self.saves += 1
            status.showMessage(f"Autosaved at {time.strftime('%H:%M')}", 3_000)
        if not self.document.is_modified():
            remove_recovery(self.session_id)  # saved while the autosave was being written
        elif self._again_after_write:
            self._again_after_write = False
            self.save_now()

    def wait(self, timeout: float = 60.0) -> None:
        """Blocks until a running write ends (closing, tests)."""
        writer = self._writer
        if writer is not None:
            writer.join(timeout)

    # -- closing: one of the window's closing parts ----------------------------------------
    def can_close(self) -> bool:
        return True  # the window's own question about unsaved changes comes after this

    def shut_down(self) -> None:
        """The window closes: the work was saved or discarded, so no recovery is needed."""
        self.timer.stop()
        self._again_after_write = False
        self.wait()
        remove_recovery(self.session_id)
        self._lock.unlock()

    # -- recovery on start -----------------------------------------------------------------
    def ask_restore(self, entry: RecoveryEntry) -> RestoreChoice:
        """Asks whether to restore ``entry`` (tests monkeypatch this)."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at))
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recover unsaved work?")
        if self.crash_notice:
            box.setInformativeText(self.crash_notice)
        if entry.problem:
            box.setText(f"An autosave from {when} was found but is damaged:\n{entry.problem}")
            restore = None
        else:
            box.setText(
                f"SD Studio closed unexpectedly while you were editing {entry.source_name}.\n"
                f"An autosave from {when} with {entry.steps} edit(s) can be restored."
            )
            restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        clicked = box.clickedButton()
        if restore is not None and clicked is restore:
            return "restore"
        return "discard" if clicked is discard else "later"

    def offer_recovery(self) -> bool:
        """Says when the last session crashed, then offers autosaves that no running
        window owns, newest first; True if one was restored."""
        self._remove_orphan_locks()
        ended = take_ended_sessions()
        # Shown inside the first restore question, or on its own when nothing is offered.
        self.crash_notice = crash_notice(ended) if ended else ""
        try:
            offered, restored = self._offer_autosaves()
            if self.crash_notice and not offered:
                self.show_crash_notice(self.crash_notice)
            return restored
        finally:
            self.crash_notice = ""

    def _offer_autosaves(self) -> tuple[bool, bool]:
        offered = False
        for entry in list_recoveries():
            if entry.session_id == self.session_id:
                continue
            lock = _lock_for(entry.session_id)
            if not lock.tryLock(0):
                continue  # another SD Studio window is still working on it
            offered = True
            choice = self.ask_restore(entry)
            self.crash_notice = ""  # said once
            if choice == "discard":
                remove_recovery(entry.session_id)
                lock.unlock()
            elif choice == "restore" and self._restore(entry, lock):
                return offered, True
            else:
                lock.unlock()
        return offered, False

    def show_crash_notice(self, text: str) -> None:
        """The last session crashed and left no autosave (tests monkeypatch this)."""
        QMessageBox.warning(
            self.window, "SD Studio ended unexpectedly", f"{text}\n\nNo unsaved work was left."
        )

    def _restore(self, entry: RecoveryEntry, lock: QLockFile) -> bool:
        try:
            project = read_project(entry.path)
        except UserFacingError as exc:
            self.window.show_error("Cannot restore the autosave", str(exc))
            return False
        project_document.restore(self.document, project, clean=False)
        # This window now owns that autosave: later autosaves replace it, a save removes it.
        remove_recovery(self.session_id)
        self._lock.unlock()
        self.session_id, self._lock = entry.session_id, lock
        notes = " ".join(project.notes)
        self.window.statusBar().showMessage(
            f"Restored your unsaved work on {entry.source_name}. {notes}".strip(), 10_000
        )
        return True

    def _remove_orphan_locks(self) -> None:
        folder = recovery_dir()
        for lock_path in folder.glob("*.lock"):
            session_id = lock_path.name[: -len(".lock")]
            if session_id == self.session_id or (folder / f"{session_id}.sdsproj").exists():
                continue
            lock = _lock_for(session_id)
            if lock.tryLock(0):
                lock.unlock()  # removes the file a killed, saved session left
