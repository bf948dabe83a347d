"""A few examples as chat bubbles, and for local models the chat-template text with the trained tokens
highlighted. Everything from the data is shown as plain text: nothing in it can load rich text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPlainTextEdit, QScrollArea, QVBoxLayout, QWidget

from backend.data import CanonicalExample, RenderedExample
from backend.data.tokens import message_text
from ui.widgets.plain import plain_label, plain_tooltip

MAX_CHARS = 1200
_BUBBLE = {"user": "#dbeafe", "assistant": "#dcfce7", "system": "#f3f4f6", "tool": "#fef3c7", "rejected": "#fee2e2"}


def bubble(role: str, text: str) -> QWidget:
    """One message: a caption and a plain-text label, right-aligned for the assistant."""
    label = plain_label(text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + " …", wordWrap=True,
                        textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(f"background: {_BUBBLE.get(role, '#f3f4f6')}; color: #111827; border-radius: 8px; padding: 6px 9px;")
    caption = plain_label(role)  # the data's own role name: anything at all
    caption.setStyleSheet("color: palette(placeholder-text); font-size: 8pt;")
    box = QVBoxLayout()
    box.setSpacing(1)
    box.addWidget(caption)
    box.addWidget(label)
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    right = role in ("assistant", "rejected")
    if right:
        row.addStretch(1)
    row.addLayout(box, 4)
    if not right:
        row.addStretch(1)
    return holder


class ChatPreview(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.clear()

    def clear(self) -> None:
        self._inner = QWidget()
        self._layout = QVBoxLayout(self._inner)
        self._layout.addStretch(1)
        self.setWidget(self._inner)

    def show_examples(self, examples: list[CanonicalExample], place: str = "line") -> None:
        self.clear()
        for ex in examples:
            title = plain_label(f"{place.capitalize()} {ex.line}")
            title.setStyleSheet("font-weight: 600;")
            self._layout.insertWidget(self._layout.count() - 1, title)
            turns = [(m.get("role", "?"), message_text(m)) for m in ex.messages] if ex.text is None else [("text", ex.text)]
            turns += [("assistant", message_text(m)) for m in ex.chosen or []]
            turns += [("rejected", message_text(m)) for m in ex.rejected or []]
            for role, text in turns:
                self._layout.insertWidget(self._layout.count() - 1, bubble(role, text or "(tool call)"))
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            self._layout.insertWidget(self._layout.count() - 1, line)


class TemplatePreview(QPlainTextEdit):
    """The rendered chat template; trained characters get a green background (formats, not HTML)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

    def show_rendered(self, rendered: RenderedExample | None) -> None:
        self.setPlainText("" if rendered is None else rendered.text)
        if rendered is None:
            return
        trained = QTextCharFormat()
        trained.setBackground(QColor("#bbf7d0"))
        trained.setForeground(QColor("#052e16"))
        for start, end in rendered.trained_spans:
            cursor = QTextCursor(self.document())
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(trained)
        note = "" if rendered.exact else " (approximate: the template does not mark assistant turns)"
        self.setToolTip(plain_tooltip(f"{rendered.trained_tokens} of {rendered.tokens} tokens are trained on "
                                      f"(highlighted){note}."))
