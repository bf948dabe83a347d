"""Look and feel: Fusion with a light or dark palette that follows the system colour scheme
(Qt's ``QStyleHints.colorScheme``, else the platform palette's lightness; ``FTS_THEME`` overrides)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from backend import paths

#: The colours that mean something, in both palettes: done well, failed, needs a look.
OK_COLOUR, ERROR_COLOUR, WARNING_COLOUR = "#2e9d5b", "#d64545", "#c98a12"

STYLE_SHEET = """
QListWidget#nav { border: none; border-right: 1px solid palette(mid); background: palette(base);
                  padding: 8px 4px; font-size: 10.5pt; }
QListWidget#nav::item { padding: 9px 10px; border-radius: 6px; margin: 1px 4px; }
QListWidget#nav::item:selected { background: palette(highlight); color: palette(highlighted-text); }
QLabel[role="title"] { font-size: 15pt; font-weight: 600; }
QLabel[role="heading"] { font-size: 12pt; font-weight: 600; }
QLabel[role="subtitle"] { color: palette(placeholder-text); }
""" + f"""QLabel[role="ok"] {{ color: {OK_COLOUR}; }}
QLabel[role="error"] {{ color: {ERROR_COLOUR}; }}
QLabel[role="warning"] {{ color: {WARNING_COLOUR}; }}
"""


def system_prefers_dark(app: QGuiApplication, *, ask_scheme: bool = True) -> bool:
    """Whether the system uses a dark theme: a dark platform palette says so at no cost; otherwise Qt's
    colour scheme (Qt 6.5+) decides. ``ask_scheme=False`` skips that question, whose first call costs
    20 ms (Qt's enum namespace), at start; ``follow_system_scheme`` asks it after the first show."""
    if system_palette(app).color(QPalette.ColorRole.Window).lightness() < 128:
        return True
    scheme = getattr(app.styleHints(), "colorScheme", None) if ask_scheme else None
    return scheme is not None and scheme().name == "Dark"


def system_palette(app: QGuiApplication) -> QPalette:
    """The palette the platform gave the app, before this theme replaced it."""
    saved = app.property("fts_system_palette")
    if saved is None:
        saved = app.palette()  # a copy; not QPalette(app.palette()): that overload check builds Qt's enums (20 ms)
        app.setProperty("fts_system_palette", saved)
    return saved


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
        QPalette.ColorRole.Light: QColor(72, 77, 84),
        QPalette.ColorRole.Midlight: QColor(60, 64, 70),
        QPalette.ColorRole.Mid: QColor(54, 58, 64),
        QPalette.ColorRole.Dark: QColor(24, 26, 30),
        QPalette.ColorRole.Shadow: QColor(12, 13, 15),
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


#: The dark theme's style (``ui.contrast_style``: built only for a dark start; the class costs ~20 ms to create).
_contrast_style = None


def uses_contrast_style() -> bool:
    """Whether the dark theme's ``ContrastStyle`` is the app's style now."""
    return _contrast_style is not None


def apply_theme(app: QApplication, dark: bool | None = None, *, ask_scheme: bool = True,
                set_style: bool = True) -> bool:
    """Apply Fusion plus a palette; returns whether the dark palette was used. With ``dark`` None the
    theme follows the system (``FTS_THEME`` overrides it). ``set_style=False``: the app was made
    with ``-style Fusion``."""
    system = system_palette(app)
    if dark is None:
        override = paths.theme_override()
        dark = override == "dark" if override else system_prefers_dark(app, ask_scheme=ask_scheme)
    global _contrast_style
    if dark and _contrast_style is None:  # only for the dark palette: a light start keeps Qt's own Fusion
        from ui.contrast_style import ContrastStyle

        _contrast_style = ContrastStyle()  # referenced here: Python keeps it alive while the app uses it
        app.setStyle(_contrast_style)
    elif not dark and _contrast_style is not None:
        _contrast_style = None
        app.setStyle("Fusion")  # the app deletes the contrast style
    elif set_style and not dark and app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else system)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
    return dark


def follow_system_scheme(app: QApplication) -> None:
    """After the first show: apply the system's colour scheme if the palette did not tell it, and again
    whenever it changes."""
    if paths.theme_override():
        return
    dark = system_prefers_dark(app)
    if dark != (app.palette().color(QPalette.ColorRole.Window).lightness() < 128):
        apply_theme(app, dark)
    if not app.property("fts_follows_scheme"):
        app.setProperty("fts_follows_scheme", True)
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app, system_prefers_dark(app)))
