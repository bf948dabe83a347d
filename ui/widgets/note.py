"""A line of plain text for a page's passing messages, that takes no room while it says nothing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


class Note(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, textFormat=Qt.TextFormat.PlainText, wordWrap=True)
        self.setVisible(False)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setVisible(bool(text))
