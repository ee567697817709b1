"""The start-up probe for Qt bindings that leak references to None."""

from __future__ import annotations

import sys

from sdstudio.app import qt_bindings


def test_the_installed_bindings_pass_the_probe(qapp):
    # CI installs the project's bounds: a leaking pair must never get through them.
    assert qt_bindings.none_references_lost() < qt_bindings.PROBE_CALLS // 2
    assert qt_bindings.binding_problem() is None


def test_a_leaking_binding_is_reported_in_plain_words(qapp, monkeypatch):
    monkeypatch.setattr(qt_bindings, "none_references_lost", lambda: qt_bindings.PROBE_CALLS)
    message = qt_bindings.binding_problem()
    assert message is not None
    assert "abort after a few minutes" in message
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}" in message
