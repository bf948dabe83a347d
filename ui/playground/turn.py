"""One turn of a conversation: its text as plain text (replies are untrusted), stats, and its actions."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSizePolicy, QVBoxLayout,
                               QWidget)


def plain_label(text: str = "") -> QLabel:
    """A label that can only ever show plain text: no HTML, no links, no images."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setOpenExternalLinks(False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    label.setText(text)
    return label


class TurnView(QFrame):
    """A user message or a reply. Emits the action the user chose with this turn's index."""

    edited = Signal(int, str)
    regenerate = Signal(int)
    add_to_dataset = Signal(int)

    def __init__(self, index: int, role: str, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.index, self.role = index, role
        self.setObjectName("turn-" + role)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.who = QLabel("You" if role == "user" else "Model")
        font = self.who.font()
        font.setBold(True)
        self.who.setFont(font)
        self.body = plain_label(text)
        self.body.setAccessibleName("Message text")
        self.editor = QPlainTextEdit()
        self.editor.hide()
        self.stats = plain_label()
        self.stats.setProperty("role", "stats")
        self.stats.hide()
        self.error = plain_label()
        self.error.setProperty("role", "error")
        self.error.hide()

        self.actions = QHBoxLayout()
        self.actions.setContentsMargins(0, 0, 0, 0)
        self.copy_button = self._button("Copy", self.copy)
        self.edit_button = self._button("Edit", self.start_edit)
        self.save_button = self._button("Done", self.finish_edit)
        self.save_button.hide()
        if role == "assistant":
            self.regen_button = self._button("Regenerate", lambda: self.regenerate.emit(self.index))
            self.dataset_button = self._button("Add to dataset…", lambda: self.add_to_dataset.emit(self.index))
        self.actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(3)
        layout.addWidget(self.who)
        layout.addWidget(self.body)
        layout.addWidget(self.editor)
        layout.addWidget(self.error)
        layout.addWidget(self.stats)
        layout.addLayout(self.actions)
        self.set_busy(False)

    def _button(self, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setFlat(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.clicked.connect(slot)
        self.actions.addWidget(button)
        return button

    @property
    def text(self) -> str:
        return self.body.text()

    def append(self, piece: str) -> None:
        self.body.setText(self.body.text() + piece)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams its actions are hidden, so nothing edits a turn that is still growing."""
        for button in (self.copy_button, self.edit_button, getattr(self, "regen_button", None),
                       getattr(self, "dataset_button", None)):
            if button is not None:
                button.setVisible(not busy)

    def show_stats(self, summary: str) -> None:
        self.stats.setText(summary)
        self.stats.setVisible(bool(summary))

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text)

    def start_edit(self) -> None:
        self.editor.setPlainText(self.text)
        self.editor.setMinimumHeight(min(220, max(60, self.body.sizeHint().height() + 20)))
        self.body.hide()
        self.editor.show()
        self.edit_button.hide()
        self.save_button.show()
        self.editor.setFocus()

    def finish_edit(self) -> None:
        text = self.editor.toPlainText()
        self.body.setText(text)
        self.editor.hide()
        self.body.show()
        self.save_button.hide()
        self.edit_button.show()
        self.edited.emit(self.index, text)
