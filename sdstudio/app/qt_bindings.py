"""Checks that the installed Qt bindings keep Python's ``None`` alive.

PySide6 6.12.0 on Python 3.11 drops one reference to ``None`` per call of a Qt method
that returns nothing; before Python 3.12 ``None`` can be freed, and the process aborts
with ``Fatal Python error: none_dealloc`` after a few minutes of painting. The package's
dependency bounds keep that pair out (docs/decisions.md, "Qt bindings"); this check
catches an installation that got it anyway (a hand-made venv, a frozen build made with
other pins), so the person is warned at start instead of losing work later.
"""

from __future__ import annotations

import gc
import sys

import PySide6
from PySide6.QtGui import QImage, QPainter, QPen

PROBE_CALLS = 200


def none_references_lost(calls: int = PROBE_CALLS) -> int:
    """References to ``None`` that ``calls`` void Qt calls lose (0 with good bindings)."""
    image = QImage(4, 4, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    pen = QPen()
    try:
        gc.collect()
        before = sys.getrefcount(None)
        for _ in range(calls):
            painter.setPen(pen)  # returns nothing: the call the bad bindings get wrong
        after = sys.getrefcount(None)
    finally:
        painter.end()
    return max(0, before - after)


def binding_problem() -> str | None:
    """A message for the person when these bindings will crash a long session."""
    lost = none_references_lost()
    if lost < PROBE_CALLS // 2:
        return None
    python = ".".join(str(part) for part in sys.version_info[:3])
    return (
        f"This installation uses PySide6 {PySide6.__version__} with Python {python}, which "
        "loses a reference to None on every Qt call. SD Studio will abort after a few "
        "minutes of painting. Reinstall it (scripts/setup.sh installs a working PySide6) "
        "or use Python 3.12 or newer. Save your work often until then."
    )
