"""The session package is plain data and files: no Qt, and no torch either."""

from __future__ import annotations

from tests.test_layers import _forbidden_imports


def test_session_imports_neither_qt_nor_torch():
    assert _forbidden_imports("sdstudio.session", {"PySide6", "shiboken6", "torch", "cv2"}) == []
