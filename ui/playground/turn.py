"""One turn of a conversation: its text as plain text (replies are untrusted), stats, and its actions."""

from __future__ import annotations

from PySide6.QtCore import QSizeF, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette, QTextCursor
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QSizePolicy, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

from ui.widgets.plain import plain_label


# Qt's enums are built on first use (about a millisecond each); resolving them when the page is
# imported keeps that cost off the first Send.
_SELECTABLE = Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
_NO_SCROLLBAR = Qt.ScrollBarPolicy.ScrollBarAlwaysOff
_NO_FRAME, _PANEL = QFrame.Shape.NoFrame, QFrame.Shape.StyledPanel
_EXPANDING, _FIXED = QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed
_USER_ROLE, _REPLY_ROLE = QPalette.ColorRole.AlternateBase, QPalette.ColorRole.Base
_QUIET = QPalette.ColorRole.PlaceholderText
_END = QTextCursor.MoveOperation.End
_HAND = Qt.CursorShape.PointingHandCursor


def message_label() -> QLabel:
    """A turn's (or a pane's) stats, status or error line: plain text (an error quotes the provider),
    selectable, wrapped. Its height comes from height-for-width at the width it gets: with a Minimum
    vertical policy its minimum was its unwrapped-width guess (three short lines for one line of figures),
    which left a gap under the last turn and put the scroll range out of step with what is shown."""
    label = plain_label(textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse, wordWrap=True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    return label


class MessageText(QTextEdit):
    """A message's text: plain text only, and as tall as its content.

    A growing QLabel re-lays out its whole text (several times, for height-for-width) on every
    update, which stalled the GUI for hundreds of milliseconds on long replies; a text document
    lays out only the paragraph that changed, and appends go through a cursor at the end."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAcceptRichText(False)  # pasted or inserted text is never interpreted as HTML
        self.setUndoRedoEnabled(False)
        self.setFrameShape(_NO_FRAME)
        self.setVerticalScrollBarPolicy(_NO_SCROLLBAR)
        self.setHorizontalScrollBarPolicy(_NO_SCROLLBAR)
        self.setTextInteractionFlags(_SELECTABLE)
        self.setSizePolicy(_EXPANDING, _FIXED)
        self.viewport().setAutoFillBackground(False)
        self.document().setDocumentMargin(1)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self.setPlainText(text)
        self._fit(self.document().size())

    def _fit(self, size: QSizeF) -> None:
        height = int(size.height()) + 2
        if height != self.height():
            self.setFixedHeight(height)

    def text(self) -> str:
        return self.toPlainText()

    def append_text(self, piece: str) -> None:
        cursor = QTextCursor(self.document())
        cursor.movePosition(_END)
        cursor.insertText(piece)


class TurnView(QFrame):
    """A user message or a reply. Emits the action the user chose with this turn's index."""

    edited = Signal(int, str)
    regenerate = Signal(int)
    add_to_dataset = Signal(int)

    def __init__(self, index: int, role: str, text: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.index, self.role = index, role
        self.setObjectName("turn-" + role)
        # Palette roles, not a style sheet: style-sheet polish of every new turn's widgets cost tens of
        # milliseconds of GUI time per Send with four panes.
        self.setFrameShape(_PANEL)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(_USER_ROLE if role == "user" else _REPLY_ROLE)
        self.who = plain_label("You" if role == "user" else "Model")
        font = self.who.font()
        font.setBold(True)
        self.who.setFont(font)
        self.body = MessageText(text)
        self.body.setAccessibleName("Message text")
        self.editor = QPlainTextEdit()
        self.editor.hide()
        self.stats = message_label()
        small = self.stats.font()
        small.setPointSizeF(small.pointSizeF() * 0.85)
        self.stats.setFont(small)
        self.stats.setForegroundRole(_QUIET)
        self.stats.hide()
        self.error = message_label()
        self.error.setProperty("role", "error")
        self.error.hide()

        self.actions = QHBoxLayout()
        self.actions.setContentsMargins(0, 0, 0, 0)
        self.actions.setSpacing(0)
        # Narrow panes (four side by side) shorten the actions' labels (see resizeEvent); narrower
        # still, the last action is clipped rather than the pane scrolling sideways.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self._labels: list[tuple[QToolButton, str, str]] = []
        self.copy_button = self._button("Copy", self.copy)
        self.edit_button = self._button("Edit", self.start_edit)
        self.save_button = self._button("Done", self.finish_edit)
        self.save_button.hide()
        if role == "assistant":
            self.regen_button = self._button("Regenerate", lambda: self.regenerate.emit(self.index), short="Redo")
            self.regen_button.setToolTip("Ask this pane's model again for this reply")
            self.dataset_button = self._button("Add to dataset…", lambda: self.add_to_dataset.emit(self.index),
                                               short="Dataset…")
            self.dataset_button.setToolTip("Append this exchange (as corrected) to a chat JSONL training file")
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

    def _button(self, text: str, slot, *, short: str | None = None) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        if short:
            self._labels.append((button, text, short))
        button.setAutoRaise(True)  # flat until hovered: actions stay quiet beside the text
        button.setCursor(_HAND)
        button.clicked.connect(slot)
        self.actions.addWidget(button)
        return button

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_labels(event.size().width())

    def _fit_labels(self, width: int) -> None:
        """Full labels when they fit the pane's width, short ones when they do not."""
        margins = self.layout().contentsMargins()
        metrics = self.fontMetrics()
        full = {id(b): text for b, text, _ in self._labels}
        shown = [w for i in range(self.actions.count())
                 if (w := self.actions.itemAt(i).widget()) is not None and not w.isHidden()]
        needed = sum(w.sizeHint().width() + (metrics.horizontalAdvance(full[id(w)]) - metrics.horizontalAdvance(w.text())
                                             if id(w) in full else 0) for w in shown)
        fits = needed <= width - margins.left() - margins.right()
        for button, text, short in self._labels:
            button.setText(text if fits else short)

    @property
    def text(self) -> str:
        return self.body.toPlainText()

    def append(self, piece: str) -> None:
        self.body.append_text(piece)

    def set_busy(self, busy: bool) -> None:
        """While a reply streams its actions are hidden, so nothing edits a turn that is still growing."""
        for button in (self.copy_button, self.edit_button, getattr(self, "regen_button", None),
                       getattr(self, "dataset_button", None)):
            if button is not None:
                button.setVisible(not busy)
        if not busy:  # the actions reappear without a resize: fit their labels to the width now
            self._fit_labels(self.width())

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
        self.editor.setMinimumHeight(min(220, max(60, self.body.height() + 20)))
        self.body.hide()
        self.editor.show()
        self.edit_button.hide()
        self.save_button.show()
        self.editor.setFocus()

    def finish_edit(self) -> None:
        text = self.editor.toPlainText()
        self.body.setPlainText(text)
        self.editor.hide()
        self.body.show()
        self.save_button.hide()
        self.edit_button.show()
        self.edited.emit(self.index, text)
