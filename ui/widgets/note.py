"""A line of plain text for a page's passing messages, that takes no room while it says nothing."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from ui.widgets.plain import make_plain


class Note(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, wordWrap=True)
        make_plain(self)
        self.setVisible(False)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self.setVisible(bool(text))
