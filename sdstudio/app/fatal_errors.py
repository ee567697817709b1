"""Fatal errors that no exception hook sees, and telling the next start about them.

A segmentation fault in Qt, an abort such as ``Fatal Python error: none_dealloc``, or a
kill ends the process before ``sys.excepthook`` runs, so the crash dialog of
:mod:`sdstudio.app.crash_report` never appears. :class:`SessionGuard` covers those:

- ``faulthandler`` writes the fatal error and every thread's stack into
  ``fatal-errors.log`` in the user's log folder;
- each running app holds a lock file with a small note of where its part of that log
  starts; a clean exit removes both. A note whose lock is stale (its process is gone)
  means that session ended without closing: the next start reports it once, with the
  fatal error if one was written (a kill writes none), and offers the autosave.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PySide6.QtCore import QCoreApplication, QLockFile, QObject

from sdstudio import APP_NAME, __version__, paths

FATAL_LOG_NAME = "fatal-errors.log"
FATAL_LOG_MAX_BYTES = 2_000_000  # trimmed at start; a crash writes a few kB
NOTE_PREFIX = "running-"
DETAIL_CHARS = 4000  # of the fatal error, shown in the dialog's details

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EndedSession:
    """A session that ended without closing: what the next start tells the person."""

    started_at: float  # seconds since the epoch
    version: str
    details: str  # the fatal error as faulthandler wrote it; "" after a kill
    log_path: Path

    @property
    def summary(self) -> str:
        """The fatal error's first line, or a plain sentence when none was written."""
        for line in self.details.splitlines():
            if line.strip() and not line.startswith("---"):
                return line.strip()
        return "It was stopped without an error report (killed, or the computer shut down)."


class SessionGuard(QObject):
    """This process's fatal-error log and running note; the app's child once started."""

    def __init__(self, app: QCoreApplication | None = None, folder: Path | None = None) -> None:
        super().__init__(app)
        self.folder = folder or paths.logs_dir()
        self.fatal_log = self.folder / FATAL_LOG_NAME
        self.session_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        self.ended_sessions: list[EndedSession] = []
        self._file: IO[str] | None = None
        self._lock: QLockFile | None = None
        self._stderr_was_guarded = False

    def start(self) -> list[EndedSession]:
        """Finds sessions that ended without closing, then guards this one."""
        self.ended_sessions = self._find_ended_sessions()
        _trim(self.fatal_log)
        self._file = open(self.fatal_log, "a", encoding="utf-8")  # noqa: SIM115 (kept open)
        self._file.write(
            f"--- {APP_NAME} {__version__} session {self.session_id} started "
            f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        )
        self._file.flush()
        offset = self.fatal_log.stat().st_size
        self._stderr_was_guarded = faulthandler.is_enabled()  # e.g. python -X faulthandler
        # all_threads: the job worker or the autosave thread may be the one that fails.
        faulthandler.enable(file=self._file, all_threads=True)
        self._lock = _lock_for(self.folder, self.session_id)
        self._lock.tryLock(0)
        note = {"started_at": time.time(), "version": __version__, "log_offset": offset}
        _note_path(self.folder, self.session_id).write_text(json.dumps(note), encoding="utf-8")
        return self.ended_sessions

    def finish(self) -> None:
        """A clean exit: this session needs no report."""
        if self._file is None:
            return
        faulthandler.disable()
        if self._stderr_was_guarded and sys.__stderr__ is not None:
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
        self._file.close()
        self._file = None
        _note_path(self.folder, self.session_id).unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()

    def take_ended_sessions(self) -> list[EndedSession]:
        """The sessions to report, once: later callers get an empty list."""
        ended, self.ended_sessions = self.ended_sessions, []
        return ended

    def _find_ended_sessions(self) -> list[EndedSession]:
        ended = []
        for note_path in sorted(self.folder.glob(f"{NOTE_PREFIX}*.json")):
            session_id = note_path.name[len(NOTE_PREFIX) : -len(".json")]
            lock = _lock_for(self.folder, session_id)
            if not lock.tryLock(0):
                continue  # that app is still running
            try:
                ended.append(self._read_note(note_path))
            except (OSError, ValueError, TypeError, KeyError) as exc:
                log.warning("Unreadable session note %s: %s", note_path, exc)
            note_path.unlink(missing_ok=True)
            lock.unlock()  # removes the stale lock file too
        return sorted(ended, key=lambda session: session.started_at)

    def _read_note(self, note_path: Path) -> EndedSession:
        note = json.loads(note_path.read_text(encoding="utf-8"))
        details = ""
        try:
            with open(self.fatal_log, encoding="utf-8", errors="replace") as fatal:
                fatal.seek(int(note["log_offset"]))
                text = fatal.read(DETAIL_CHARS)
            # Up to the next session's header: what this session wrote, nothing later.
            details = text.split("\n--- ", 1)[0].strip()
        except OSError:
            pass
        return EndedSession(
            float(note["started_at"]), str(note["version"]), details, self.fatal_log
        )


def start_session_guard(app: QCoreApplication) -> SessionGuard:
    """Starts the guard once per app; a clean quit of the app finishes it."""
    existing = app.findChild(SessionGuard)
    if existing is not None:
        return existing
    guard = SessionGuard(app)
    guard.start()
    app.aboutToQuit.connect(guard.finish)
    for session in guard.ended_sessions:
        log.warning(
            "The session started at %s ended without closing: %s",
            time.ctime(session.started_at),
            session.summary,
        )
    return guard


def take_ended_sessions() -> list[EndedSession]:
    """What the running app's guard found at start, once (none without a guard)."""
    app = QCoreApplication.instance()
    guard = app.findChild(SessionGuard) if app is not None else None
    return guard.take_ended_sessions() if guard is not None else []


def crash_notice(sessions: list[EndedSession]) -> str:
    """The sentence the next start shows about the last session that crashed."""
    last = sessions[-1]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last.started_at))
    return (
        f"The last {APP_NAME} session (started {when}) ended in a crash:\n{last.summary}\n\n"
        f"The details are in {last.log_path}."
    )


def _lock_for(folder: Path, session_id: str) -> QLockFile:
    lock = QLockFile(str(folder / f"{NOTE_PREFIX}{session_id}.lock"))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however long it ran
    return lock


def _note_path(folder: Path, session_id: str) -> Path:
    return folder / f"{NOTE_PREFIX}{session_id}.json"


def _trim(fatal_log: Path) -> None:
    """Keeps the log's newest part; runs before this session's offset is taken."""
    try:
        size = fatal_log.stat().st_size
        if size <= FATAL_LOG_MAX_BYTES:
            return
        with open(fatal_log, "rb") as old:
            old.seek(size - FATAL_LOG_MAX_BYTES // 2)
            tail = old.read()
        fatal_log.write_bytes(tail)
    except OSError:
        pass
