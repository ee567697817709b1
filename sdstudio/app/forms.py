"""Forms of labelled rows, built from a list: the dialogs, panels and wizard pages share it."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QFormLayout, QLayout, QWidget

# (label, field) or a lone widget that spans both columns.
FormRow = tuple[str | QWidget, QWidget | QLayout] | QWidget


def form_of(rows: Iterable[FormRow], parent: QWidget | None = None) -> QFormLayout:
    """A form with one row per entry, in order; on ``parent`` when one is given."""
    form = QFormLayout(parent) if parent is not None else QFormLayout()
    for row in rows:
        if isinstance(row, tuple):
            form.addRow(*row)
        else:
            form.addRow(row)
    return form
