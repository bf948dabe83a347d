"""The header every page opens with: a title, one line on what the page is for, and the page's main
actions on the right; and the outer margins and spacing that every page shares."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QSizePolicy, QVBoxLayout, QWidget

from ui.widgets.plain import plain_label

PAGE_MARGINS = (24, 20, 24, 20)  # left, top, right, bottom
PAGE_SPACING = 10


class PageHeader(QWidget):
    """``title`` and ``subtitle`` are labels the theme styles by their ``role``; the subtitle's text
    may change later (``header.subtitle.setText``)."""

    def __init__(self, title: str, subtitle: str = "", actions: Iterable[QWidget] = (),
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pageHeader")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # the page's body grows
        self.title = plain_label(title, objectName="pageTitle")
        self.title.setProperty("role", "title")
        self.title.setAccessibleName(title)
        self.subtitle = plain_label(subtitle, objectName="pageSubtitle", wordWrap=True)
        self.subtitle.setProperty("role", "subtitle")
        self.actions = QHBoxLayout()
        self.actions.setSpacing(6)
        for widget in actions:
            self.actions.addWidget(widget)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.title, 0, 0, Qt.AlignmentFlag.AlignVCenter)
        grid.addLayout(self.actions, 0, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.subtitle, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)


def page_layout(page: QWidget, header: PageHeader) -> QVBoxLayout:
    """``page``'s outer layout, with the shared margins and spacing and ``header`` at the top."""
    layout = QVBoxLayout(page)
    layout.setContentsMargins(*PAGE_MARGINS)
    layout.setSpacing(PAGE_SPACING)
    layout.addWidget(header)
    return layout
