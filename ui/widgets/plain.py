"""Text from datasets, providers and models shown as text, never as HTML: the one way the UI shows it.

Qt guesses whether a string is rich text (``Qt::mightBeRichText``) for labels, message boxes and tooltips
unless told otherwise, and rich text loads what its ``<img>`` tags name: a dataset value of
``<img src=/dev/zero>`` read memory until the app died, one naming a FIFO hung it for good, and ``<a>``
and ``<b>`` changed what the user saw. So:

- labels: ``plain_label`` (or ``make_plain`` for a QLabel subclass) sets ``Qt.PlainText`` before any text;
- message boxes: ``plain_message_box``, ``confirm`` and ``show_error`` set ``Qt.PlainText`` on the box;
- tooltips (widgets' ``setToolTip`` and models' ``ToolTipRole``): a tooltip has no text format of its
  own, so ``plain_tooltip`` escapes the text and wraps it in a paragraph that keeps its spaces and line
  breaks: Qt renders it as rich text that shows exactly the original characters, and nothing loads;
- desktop notifications: ``notification_text``, as the notification server may read markup.

Item views (tables, lists, trees, combo boxes), buttons, line edits, the status bar and window titles
draw their text plainly; only their tooltips need ``plain_tooltip``. A QFormLayout row label given as a
string is a QLabel Qt makes with the guessing format: give it only the app's own words, or a plain_label.
``tests/foundation/test_plain_text.py``
feeds hostile strings to every place that shows untrusted text and checks ``ui/`` for code that bypasses
this module.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

# Replacements for the three characters that make markup, for channels whose format the app cannot set.
_NOTIFICATION_LOOKALIKES = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def escape(text: str) -> str:
    """``text`` as HTML text (what ``html.escape(text, quote=False)`` does, without importing the
    entity tables at start)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_tooltip(text: str | None) -> str:
    """A tooltip that shows ``text`` literally (spaces and line breaks kept, long lines wrapped);
    an empty text gives no tooltip."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + escape(text) + "</p>"


def make_plain(label: QLabel) -> QLabel:
    """Make ``label`` show its text as plain text (for a QLabel subclass; call before setting text)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setOpenExternalLinks(False)
    return label


def plain_label(text: str = "", parent: QWidget | None = None, **properties) -> QLabel:
    """A QLabel that can only show plain text. ``properties`` are Qt properties (``wordWrap=True``,
    ``alignment=...``, ``objectName=...``); the format is set before the text, so the text is never
    parsed as HTML, not even once."""
    if "textFormat" in properties:
        raise TypeError("plain_label is always Qt.PlainText")
    label = make_plain(QLabel(parent, **properties))
    label.setText(text)
    return label


def set_role(widget: QWidget, role: str | None) -> None:
    """Give ``widget`` the theme's look for ``role`` ("heading", "error", "warning", "subtitle" ...; None: plain),
    at once, also when it is already shown (the style sheet is matched again)."""
    widget.setProperty("role", role or "")
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def plain_message_box(parent: QWidget | None, title: str, text: str, *,
                      icon: QMessageBox.Icon = QMessageBox.Icon.Information,
                      buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
                      default: QMessageBox.StandardButton = QMessageBox.StandardButton.NoButton) -> QMessageBox:
    """A message box whose text is plain text (QMessageBox's static helpers guess, like QLabel)."""
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    box.setStandardButtons(buttons)
    if default != QMessageBox.StandardButton.NoButton:
        box.setDefaultButton(default)
    return box


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question; No is the default, as the questions are about undoing something."""
    Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No  # noqa: N806 - Qt's names
    box = plain_message_box(parent, title, text, icon=QMessageBox.Icon.Question, buttons=Yes | No, default=No)
    return box.exec() == Yes


def show_error(parent: QWidget | None, title: str, text: str) -> None:
    plain_message_box(parent, title, text, icon=QMessageBox.Icon.Critical).exec()


def notification_text(text: str) -> str:
    """``text`` for a desktop notification. Freedesktop notification servers may read the body as
    markup (``<b>``, ``<a>``, ``<img>``), Qt's own balloon reads the title as rich text, and neither
    says which: the markup characters become lookalikes, which read the same whichever it is."""
    return text.translate(_NOTIFICATION_LOOKALIKES)
