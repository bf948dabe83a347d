"""Look and feel: Fusion with a light or dark palette that follows the system colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

STYLE_SHEET = """
QListWidget#nav { border: none; padding: 8px 4px; font-size: 10.5pt; }
QListWidget#nav::item { padding: 9px 10px; border-radius: 6px; margin: 1px 4px; }
QListWidget#nav::item:selected { background: palette(highlight); color: palette(highlighted-text); }
QLabel[role="title"] { font-size: 15pt; font-weight: 600; }
QLabel[role="subtitle"] { color: palette(placeholder-text); }
QLabel[role="ok"] { color: #2e9d5b; }
QLabel[role="error"] { color: #d64545; }
QLabel[role="warning"] { color: #c98a12; }
"""


def system_prefers_dark(app: QGuiApplication) -> bool:
    hints = app.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 32, 36), QColor(40, 43, 48), QColor(225, 228, 232)
    for role, color in {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(36, 39, 44),
        QPalette.ColorRole.ToolTipBase: QColor(50, 54, 60),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(48, 52, 58),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.Highlight: QColor(70, 120, 220),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(120, 170, 255),
        QPalette.ColorRole.PlaceholderText: QColor(140, 146, 155),
    }.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 124, 130))
    return p


def apply_theme(app: QApplication, dark: bool | None = None) -> bool:
    """Apply Fusion plus a palette; returns whether the dark palette was used."""
    app.setStyle("Fusion")
    if dark is None:
        dark = system_prefers_dark(app)
    if dark:
        app.setPalette(dark_palette())
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
    return dark
