"""A calm panel for a page that is not built in this version."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.widgets.plain import plain_label


class ComingSoonPage(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for text, role in ((title, "title"), ("Coming in this version.", "subtitle")):
            label = plain_label(text, alignment=Qt.AlignmentFlag.AlignCenter)
            label.setProperty("role", role)  # styled by the theme, as a page header's are
            layout.addWidget(label)
        layout.addStretch(1)
