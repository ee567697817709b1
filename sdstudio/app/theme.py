"""A neutral dark theme: photos are judged against grey, not against bright chrome."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from sdstudio.paths import resource_path


def dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: QColor(45, 45, 48),
        QPalette.ColorRole.WindowText: QColor(220, 220, 220),
        QPalette.ColorRole.Base: QColor(32, 32, 34),
        QPalette.ColorRole.AlternateBase: QColor(50, 50, 54),
        QPalette.ColorRole.ToolTipBase: QColor(30, 30, 30),
        QPalette.ColorRole.ToolTipText: QColor(230, 230, 230),
        QPalette.ColorRole.Text: QColor(220, 220, 220),
        QPalette.ColorRole.Button: QColor(55, 55, 58),
        QPalette.ColorRole.ButtonText: QColor(220, 220, 220),
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Highlight: QColor(58, 130, 220),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(100, 160, 240),
        QPalette.ColorRole.PlaceholderText: QColor(130, 130, 130),
    }
    for role, color in colors.items():
        palette.setColor(role, color)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(115, 115, 115))
    return palette


def apply_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")  # the one built-in style that follows a palette everywhere
    app.setPalette(dark_palette())
    style_sheet = resource_path("style", "dark.qss")
    if style_sheet.exists():
        app.setStyleSheet(style_sheet.read_text(encoding="utf-8"))
